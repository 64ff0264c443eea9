// sweep.test.ts: tools/build/files.ts sweepTmp, which build/foreign runs before a build: what a
// killed build left (NAME.tmp-PID files and folders) goes; a live process's temporaries stay.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { sweepTmp } from "../../tools/build/files";

test("sweepTmp removes the .tmp-PID files and folders of processes that ended; this process's, other names and a missing folder are left alone", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aam-sweep-"));
  try {
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;      // has exited when spawnSync returns
    const made = [`a.o.tmp-${dead}`, `img.wasm.tmp-${dead}-3`, `.tmp-${dead}`, `src.tmp-${dead}`,
      `a.o.tmp-${process.pid}`, `b.json.tmp-${process.pid}-0`, "a.o", "notes.tmp-x", `a.o.tmp-${dead}.bak`];
    for (const n of made) {
      if (n.startsWith(".tmp-") || n.startsWith("src.")) { fs.mkdirSync(path.join(dir, n)); fs.writeFileSync(path.join(dir, n, "f"), "x"); }
      else fs.writeFileSync(path.join(dir, n), "x");
    }
    assert.is(sweepTmp(dir), 4);
    assert.equal(fs.readdirSync(dir).sort(), [`a.o.tmp-${process.pid}`, `b.json.tmp-${process.pid}-0`, "a.o", "notes.tmp-x", `a.o.tmp-${dead}.bak`].sort());
    assert.is(sweepTmp(path.join(dir, "missing")), 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
