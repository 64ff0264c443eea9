// random.test.mjs: seeded random workloads on machine fs (aams/fs) against a model in JS: files
// created, overwritten, appended, truncated, renamed across folders and deleted, folders made and
// removed, with short, long and mixed-case names. After each run the machine's own listing
// (names, sizes, bytes) equals the model, fsck.fat -n is clean, and mtools reads every file's
// bytes as the model has them.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import { image, before } from "../lib/aam.mjs";
import { makeImage, pattern, fnv, fsck, mtools, fsops } from "./images.mjs";

const PROGRAM = "tests/fs/programs/fsops.ts";
let prog, fat16, fat32;

before(test, async () => {
  prog = await image(PROGRAM);
  fat16 = fs.readFileSync(makeImage("random16", { fat: 16, mb: 4 }));
  fat32 = fs.readFileSync(makeImage("random32", { fat: 32, mb: 34 }));
});

const NAMES = ["a.txt", "B.TXT", "notes", "A much longer file name.text", "x.y.z", "report 2026.csv", "README", "data.bin", "Zz", "e"];
const DIRS = ["/w1", "/w1/Sub Two", "/Long Directory Name"];

function workload(seed, n) {
  let x = seed >>> 0 || 1;
  const rnd = (k) => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x % k; };
  const files = new Map(), dirs = new Set(["/"]);
  const ops = [];
  const key = (p) => p.toLowerCase();
  const existing = () => [...files.keys()];
  const dirOf = () => { const d = [...dirs]; return d[rnd(d.length)]; };
  const join = (d, f) => (d === "/" ? "/" + f : d + "/" + f);
  const findFile = (p) => [...files.keys()].find((k) => key(k) === key(p));
  const taken = (p) => findFile(p) !== undefined || [...dirs].some((d) => key(d) === key(p));
  for (let i = 0; i < n; i++) {
    const kind = rnd(10);
    if (kind <= 2) {                                          // write or put a file (new or existing)
      const p = join(dirOf(), NAMES[rnd(NAMES.length)]);
      if ([...dirs].some((d) => key(d) === key(p))) continue;
      const old = findFile(p);
      const name = old ?? p;
      if (rnd(2)) { const len = rnd(20000), s = rnd(1000) + 1; ops.push("write", name, String(len), String(s)); files.delete(old); files.set(name, pattern(len, s)); }
      else { const t = `text ${i}`; ops.push("put", name, t); files.delete(old); files.set(name, Buffer.from(t)); }
    } else if (kind === 3 && files.size) {                      // append
      const p = existing()[rnd(files.size)], t = `+${i}`;
      ops.push("append", p, t); files.set(p, Buffer.concat([files.get(p), Buffer.from(t)]));
    } else if (kind === 4 && files.size) {                      // truncate
      const p = existing()[rnd(files.size)], len = rnd(6000), b = files.get(p);
      ops.push("trunc", p, String(len));
      files.set(p, len <= b.length ? b.subarray(0, len) : Buffer.concat([b, Buffer.alloc(len - b.length)]));
    } else if (kind === 5 && files.size) {                      // delete
      const p = existing()[rnd(files.size)];
      ops.push("rm", p); files.delete(p);
    } else if (kind === 6 && files.size) {                      // rename to a new name or over a file
      const p = existing()[rnd(files.size)], q = join(dirOf(), NAMES[rnd(NAMES.length)]);
      if ([...dirs].some((d) => key(d) === key(q))) continue;
      const over = findFile(q);
      if (over !== undefined && key(over) === key(p)) continue;
      ops.push("mv", p, q);
      const b = files.get(p); files.delete(p); if (over !== undefined) files.delete(over); files.set(q, b);
    } else if (kind === 7) {                                    // mkdir
      const d = DIRS[rnd(DIRS.length)], parent = d.slice(0, d.lastIndexOf("/")) || "/";
      if (dirs.has(d) || !dirs.has(parent) || taken(d)) continue;
      ops.push("mkdir", d); dirs.add(d);
    } else if (kind === 8) {                                    // rmdir of an empty folder
      const d = [...dirs].filter((x) => x !== "/")[rnd(Math.max(1, dirs.size - 1))];
      if (!d || [...files.keys()].some((f) => f.startsWith(d + "/")) || [...dirs].some((e) => e.startsWith(d + "/"))) continue;
      ops.push("rmdir", d); dirs.delete(d);
    } else if (kind === 9) ops.push("sync");
  }
  return { ops, files, dirs };
}

for (const [name, img, seed] of [["FAT16", () => fat16, 1], ["FAT16", () => fat16, 2], ["FAT16", () => fat16, 4], ["FAT32", () => fat32, 3]]) {
  test(`${name}, seed ${seed}: 400 random operations; the machine's listing, fsck and mtools agree with the model`, () => {
    const base = new Map();                                   // the image's own files stay as they were
    const { ops, files, dirs } = workload(seed, 400);
    const r = fsops(prog, img(), [...ops, "tree", "image"]);
    assert.is(r.code, 0, r.stderr);
    const errors = r.lines.filter((l) => / error /.test(l));
    assert.equal(errors, [], errors.join("\n"));
    const listed = new Map(r.lines.filter((l) => l.startsWith("tree ") && !l.endsWith(" dir")).map((l) => {
      const m = /^tree (.*) (\d+) ([0-9a-f]+) \S+$/.exec(l);
      return [m[1], `${m[2]} ${m[3]}`];
    }));
    for (const [p, b] of files) assert.is(listed.get(p), `${b.length} ${fnv(b)}`, `${p} in the machine's listing`);
    for (const p of listed.keys()) if (!files.has(p) && !base.has(p)) {
      assert.ok(!/^\/(w1|Long Directory Name)\//.test(p) && !NAMES.some((n) => p.toLowerCase() === "/" + n.toLowerCase()), `${p} should not exist`);
    }
    for (const d of dirs) if (d !== "/") assert.ok(r.lines.includes(`tree ${d}/ dir`), `${d}/ listed`);
    const f = fsck(r.stdout);
    assert.is(f.code, 0, f.out);
    for (const [p, b] of files) assert.ok(mtools(r.stdout, "mtype", "::" + p).out.equals(b), `mtype ${p}`);
  });
}

test.run();
