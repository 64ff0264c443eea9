// The README's first command on a fresh clone: installs, builds and runs the default system.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../lib/aam.mjs";

test("`make run` on a clean clone installs, builds and runs hello on every core with the shared counter correct", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aam-clone-"));
  try {
    const clone = spawnSync("git", ["clone", "-q", ROOT, dir], { encoding: "utf8" });
    assert.is(clone.status, 0, clone.stderr);
    const r = spawnSync("make", ["run", "CORES=3"], { cwd: dir, encoding: "utf8", timeout: 900000, env: { ...process.env, MAKEFLAGS: "" } });
    assert.is(r.status, 0, r.stdout + r.stderr);
    for (let c = 0; c < 3; c++) assert.match(r.stdout, `hello from core ${c} of 3`);
    assert.match(r.stdout, "shared counter: 300000 (expected 300000) ok");
    assert.match(r.stderr, /blocks in use/);                    // --stats table
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
