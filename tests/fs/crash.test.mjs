// crash.test.mjs: what the file system guarantees after a crash (aams/fs/README.md "After a
// crash"), tested as claimed: tests/fs/programs/crashload.ts writes, syncs and deletes on a disk
// attached with --disk, and the test kills the whole system (Node: the process group; QEMU: QEMU
// with it) right after it printed its k-th "synced" line, k from a fixed seed. Then:
//  - every file synced before the kill reads back whole with mtools (the last synced state);
//  - fsck.fat -n finds the image clean, or (a kill inside a sync) only what the README lists for
//    a torn sync: lost clusters, a free-cluster count to recompute, FAT copies that differ;
//  - after fsck.fat -a, fsck.fat -n finds it clean.
// The kill point is an event count plus a fixed delay of 0–15 ms (so that some kills land inside
// the next sync, some between syncs); no assertion depends on where it lands. After its rounds the
// workload goes on writing and deleting unsynced files until the kill (crashload's "forever"), so
// a kill that a busy machine delays still lands inside it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { aam, image, AAM, ROOT, HANG_MS, before } from "../lib/aam.mjs";
import { pattern, run } from "./images.mjs";

const WORK = path.join(ROOT, "build/test-images/fs-crash");
const ROUNDS = 40;
const ALLOWED = /unused clusters|Free cluster summary|FATs differ|Reclaimed|lost|Orphan/i;
let img;

before(test, async () => { fs.rmSync(WORK, { recursive: true, force: true }); fs.mkdirSync(WORK, { recursive: true }); img = await image("tests/fs/programs/crashload.ts"); });

// Runs the workload on `disk` and kills the whole process group after the k-th "synced" line. Resolves with the number of rounds it saw synced.
function runAndKill(cmd, disk, k, delayMs) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [AAM, cmd, img, "--cores", "2", "--disk", disk, "--", String(ROUNDS), "forever"], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "", synced = 0, killed = false;
    const timer = setTimeout(() => { try { process.kill(-p.pid, "SIGKILL"); } catch {} reject(new Error(`hung:\n${out}\n${err}`)); }, HANG_MS);
    p.stdout.on("data", (d) => {
      out += d;
      synced = (out.match(/^synced \d+$/gm) ?? []).length;
      if (!killed && synced >= k) { killed = true; setTimeout(() => { try { process.kill(-p.pid, "SIGKILL"); } catch {} }, delayMs); }
    });
    p.stderr.on("data", (d) => (err += d));
    p.on("close", () => { clearTimeout(timer); resolve({ synced: (out.match(/^synced \d+$/gm) ?? []).length, killed, out, err }); });
  });
}

function check(disk, synced, where) {
  const mt = { env: { ...process.env, MTOOLS_SKIP_CHECK: "1" } };
  for (let i = 0; i < synced; i++) {
    const got = run("mcopy", ["-i", disk, `::/W${i}.BIN`, "-"], mt).stdout;
    assert.ok(Buffer.compare(got, pattern(4000 + 1500 * i, i + 1)) === 0, `${where}: /W${i}.BIN (synced before the kill) reads back wrong: ${got.length} bytes`);
  }
  const f = run("fsck.fat", ["-n", disk]);
  if (f.code !== 0) {
    const complaints = f.stdout.toString().split("\n").slice(1).filter((l) => l.trim() && !/^\/|^\s*(Perform|Leaving|\d+ files)/.test(l) && !/^ /.test(l));
    for (const c of complaints) assert.match(c, ALLOWED, `${where}: fsck.fat -n found what a crash may not leave:\n${f.stdout}`);
    const a = run("fsck.fat", ["-a", disk]);
    assert.ok(a.code === 0 || a.code === 1, `${where}: fsck.fat -a: ${a.stdout}`);
    assert.is(run("fsck.fat", ["-n", disk]).code, 0, `${where}: not clean after fsck.fat -a`);
  }
  return f.code === 0 ? "clean" : "repaired";
}

const seeds = [[3, 0], [11, 3], [27, 7], [36, 15]];
for (const [host, cmd, points] of [["node", "run", seeds], ["qemu", "boot", seeds.slice(0, 2)]]) {
  test(`${host}: killed after the k-th sync (k = ${points.map((p) => p[0]).join(", ")}, then 0–15 ms) during a write/delete workload: every synced file reads back whole, fsck.fat -n finds the image clean or only a torn sync's lost clusters, clean after fsck.fat -a`, async () => {
    const seen = [];
    for (const [k, delay] of points) {
      const disk = path.join(WORK, `${host}-${k}.img`);
      fs.rmSync(disk, { force: true });
      const m = await aam(["mkdisk", disk, "--size", "8M"]);
      assert.is(m.code, 0, m.stderr);
      const r = await runAndKill(cmd, disk, k, delay);
      assert.ok(r.killed && r.synced >= k && !/^done$/m.test(r.out), `${host} k=${k}: the workload ended before the kill (${r.synced} synced):\n${r.out}\n${r.err}`);
      seen.push(`k=${k}: ${r.synced} synced, ${check(disk, r.synced, `${host} k=${k}`)}`);
    }
    console.log(`  ${host}: ${seen.join("; ")}`);
  });
}

test.run();
