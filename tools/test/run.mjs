// run.mjs: `make test`. Runs every suite under tests/ with uvu, each in its own process, and ends
// with one summary line `N passed, N failed[, N skipped]` totalled over all suites.
// A suite is a folder of tests/ with *.test.mjs files (plain ESM) or *.test.ts files (run through
// esbuild-register). Pass folder names to run only those suites: `node tools/test/run.mjs runtime`.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const testsDir = path.join(root, "tests");
const only = process.argv.slice(2);
const suites = fs.readdirSync(testsDir, { withFileTypes: true })
  .filter((e) => e.isDirectory() && (!only.length || only.includes(e.name)))
  .map((e) => e.name).sort();

let passed = 0, failed = 0, skipped = 0;
const t0 = Date.now();
// A folder may hold both kinds: then uvu runs twice (once per kind) and the counts add up.
function runUvu(s, ts) {
  const uvu = path.join(root, "node_modules/uvu/bin.js");
  const args = ts ? [uvu, "--no-color", "-r", "esbuild-register", `tests/${s}`, "\\.test\\.ts$"] : [uvu, "--no-color", `tests/${s}`, "\\.test\\.mjs$"];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0" }, maxBuffer: 1 << 28 });
  const out = (r.stdout ?? "") + (r.stderr ?? "");
  process.stdout.write(out);
  const num = (label) => { const m = new RegExp(`${label}:\\s+(\\d+)`).exec(out); return m ? Number(m[1]) : null; };
  const total = num("Total"), p = num("Passed"), sk = num("Skipped") ?? 0;
  if (total === null || p === null) {
    process.stdout.write(`suite ${s}: no uvu summary (exit ${r.status}${r.signal ? ", " + r.signal : ""}); counted as 1 failure\n`);
    return { p: 0, total: 1, sk: 0 };                // the suite died before uvu could count
  }
  if (r.status !== 0 && total - p - sk === 0) { process.stdout.write(`suite ${s}: exit ${r.status}; counted as 1 failure\n`); return { p, total: total + 1, sk }; }
  return { p, total, sk };
}

for (const s of suites) {
  const files = fs.readdirSync(path.join(testsDir, s));
  const ts = files.some((f) => f.endsWith(".test.ts"));
  const mjs = files.some((f) => f.endsWith(".test.mjs"));
  if (!ts && !mjs) continue;
  const started = Date.now();
  process.stdout.write(`\n=== suite ${s}\n`);
  let sp = 0, st = 0;
  for (const kind of [ts && "ts", mjs && "mjs"].filter(Boolean)) {
    const { p, total, sk } = runUvu(s, kind === "ts");
    passed += p; skipped += sk; failed += total - p - sk;
    sp += p; st += total;
  }
  process.stdout.write(`suite ${s}: ${sp}/${st} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
process.stdout.write(`\nall suites in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
process.exit(failed ? 1 : 0);
