// images.mjs: the disk images of the fs tests, made once per test process with the real tools
// (mkfs.fat, mcopy) from a generated tree of files, and the helpers that check images with
// fsck.fat and mtools and run the driver program (tests/fs/programs/fsops.ts) on one.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, AAM, HANG_MS } from "../lib/aam.mjs";

export const DIR = path.join(ROOT, "build/test-images/fs");

function* xorshift(seed) { let x = (seed | 1) >>> 0; for (;;) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; yield x; } }
/** The bytes fsops.ts `write P N SEED` writes. */
export function pattern(n, seed) { const b = Buffer.alloc(n), g = xorshift(seed); for (let i = 0; i < n; i++) b[i] = g.next().value >>> 24; return b; }
export function fnv(b) { let h = 0x811c9dc5; for (const x of b) h = Math.imul(h ^ x, 0x01000193) >>> 0; return h.toString(16); }

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 28, timeout: HANG_MS, ...opts });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr?.toString() ?? "" };
}

/** The files of the tree (relative path → bytes): sizes 0, 1, 4095, 4096, 4097, long names,
 *  nested folders; `big` adds a large file. */
export function tree(big) {
  const t = {
    "HELLO.TXT": Buffer.from("hello, fat\n"),
    "empty": Buffer.alloc(0),
    "one.bin": Buffer.from("1"),
    "f4095.dat": pattern(4095, 1),
    "f4096.dat": pattern(4096, 2),
    "sub/f4097.dat": pattern(4097, 3),
    "sub/deeper/A rather long file name.text": Buffer.from("a long name\n"),
    "sub/deeper/Mixed Case Name With Spaces and more.data": pattern(700, 4),
    "sub/deeper/third/x.y.z.tar.gz": pattern(5000, 5),
    "Ünïcödé näme.txt": Buffer.from("unicode\n"),
  };
  if (big) t["big/large.bin"] = pattern(big, 6);
  return t;
}

/** Makes `name` (FAT16 of `mb` MiB or FAT32) from tree(big) with mkfs.fat and mcopy; returns its path. */
export function makeImage(name, { fat, mb, big = 0 }) {
  fs.mkdirSync(DIR, { recursive: true });
  const src = path.join(DIR, name + ".src"), img = path.join(DIR, name + ".img");
  fs.rmSync(src, { recursive: true, force: true });
  for (const [p, b] of Object.entries(tree(big))) {
    fs.mkdirSync(path.dirname(path.join(src, p)), { recursive: true });
    fs.writeFileSync(path.join(src, p), b);
  }
  fs.rmSync(img, { force: true });
  let r = run("mkfs.fat", ["-C", "-F", String(fat), "-s", "1", "-i", "12345678", img, String(mb * 1024)]);
  if (r.code !== 0) throw new Error(`mkfs.fat: ${r.stderr}`);
  r = run("mcopy", ["-s", "-i", img, ...fs.readdirSync(src).map((f) => path.join(src, f)), "::"], { env: { ...process.env, MTOOLS_SKIP_CHECK: "1" } });
  if (r.code !== 0) throw new Error(`mcopy: ${r.stderr}`);
  return img;
}

/** fsck.fat -n on image bytes: {code, out}. */
export function fsck(bytes) {
  const f = path.join(DIR, `fsck-${process.pid}.img`);
  fs.writeFileSync(f, bytes);
  const r = run("fsck.fat", ["-n", f]);
  return { code: r.code, out: r.stdout.toString() + r.stderr, file: f };
}

/** mtools on image bytes: `mtype` of a path, or `mdir -/`. */
export function mtools(bytes, tool, ...args) {
  const f = path.join(DIR, `mtools-${process.pid}.img`);
  fs.writeFileSync(f, bytes);
  const r = run(tool, ["-i", f, ...args], { env: { ...process.env, MTOOLS_SKIP_CHECK: "1" } });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

/** Runs fsops on `input` (image bytes): {code, lines (the "| " report), stdout (Buffer), stderr}. */
export function fsops(image, input, ops, { how = "run", cores = 2 } = {}) {
  const r = run(process.execPath, [AAM, how, image, "--cores", String(cores), "--", ...ops], { cwd: ROOT, input });
  const lines = r.stderr.split("\n").filter((l) => l.startsWith("| ")).map((l) => l.slice(2));
  return { code: r.code, lines, stdout: r.stdout, stderr: r.stderr };
}
