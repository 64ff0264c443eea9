// hooks.test.mjs: every test file registers its suite's set-up through lib/aam.mjs before(t, fn),
// never uvu's t.before(fn) directly: uvu drops an error thrown by a before hook and reports the
// suite as "(0 / N)" with no reason (tests/README.md). A scan of the test files' text.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../lib/aam.mjs";

function testFiles(dir, out = []) {
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== "node_modules") testFiles(rel, out); }
    else if (/\.test\.(mjs|ts)$/.test(e.name)) out.push(rel);
  }
  return out;
}

test("no test file calls uvu's before hook directly (set-up errors would be dropped); they use lib/aam.mjs before(t, fn)", () => {
  const files = testFiles("tests");
  assert.ok(files.length > 50, `only ${files.length} test files found`);
  const bad = [];
  for (const f of files) {
    fs.readFileSync(path.join(ROOT, f), "utf8").split("\n").forEach((line, i) => {
      if (/\b\w+\.before\s*\(/.test(line) && !/^\s*\/\//.test(line)) bad.push(`${f}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.equal(bad, [], bad.join("\n"));
});

test.run();
