// read.test.mjs: machine fs (aams/fs) reads what the real tools wrote: a FAT16 image of 4 MiB and
// a FAT32 image of 40 MiB made by mkfs.fat and mcopy from one tree of files (sizes 0, 1, 4095,
// 4096, 4097 and 10 MiB, nested folders, long and non-ASCII names): every file's name, size and
// bytes (FNV-1a of what the machine read, against the file's), on the Node host.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { aam, image, ROOT, before } from "../lib/aam.mjs";
import { makeImage, tree, fnv, fsops } from "./images.mjs";

const PROGRAM = "tests/fs/programs/fsops.ts";
let prog, fat16, fat32;
const BIG = 10 * 1024 * 1024;

before(test, async () => {
  prog = await image(PROGRAM);
  fat16 = fs.readFileSync(makeImage("read16", { fat: 16, mb: 4 }));
  fat32 = fs.readFileSync(makeImage("read32", { fat: 32, mb: 40, big: BIG }));
});

function expected(big) {
  const want = new Set();
  const dirs = new Set();
  for (const [p, b] of Object.entries(tree(big))) {
    want.add(`tree /${p} ${b.length} ${fnv(b)}`);
    const parts = p.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(`tree /${parts.slice(0, i).join("/")}/ dir`);
  }
  return [...want, ...dirs].sort();
}

function got(lines) {
  return lines.filter((l) => l.startsWith("tree ")).map((l) => l.endsWith(" dir") ? l : l.replace(/ \S+$/, "")).sort();
}

test("aams/fs's checked-in igen outputs are what aam igen makes of fs.idl today", async () => {
  const dir = path.join(ROOT, "build/test-images/fs-igen");
  fs.rmSync(dir, { recursive: true, force: true });
  const r = await aam(["igen", "aams/fs/fs.idl", "-o", dir]);
  assert.is(r.code, 0, r.stderr);
  for (const f of fs.readdirSync(dir)) {
    assert.is(fs.readFileSync(path.join(dir, f), "utf8"), fs.readFileSync(path.join(ROOT, "aams/fs", f), "utf8"), `${f} is stale: run aam igen aams/fs/fs.idl`);
  }
  assert.is(fs.readdirSync(dir).length, 5);
});

test("a FAT16 image made by mkfs.fat + mcopy: every file and folder, its name, size and bytes", () => {
  const r = fsops(prog, fat16, ["tree", "statfs"]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(got(r.lines), expected(0));
  assert.ok(r.lines.some((l) => /^statfs fat16 cluster 512 /.test(l)), r.lines.join("\n"));
  // Long names carry the short names mcopy made for them.
  assert.ok(r.lines.some((l) => l.startsWith("tree /sub/deeper/A rather long file name.text 12 ") && l.endsWith(" ARATHE~1.TEX")), r.lines.join("\n"));
});

test("a FAT32 image of 40 MiB with a 10 MiB file: every file and folder, its name, size and bytes", () => {
  const r = fsops(prog, fat32, ["tree", "statfs"]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(got(r.lines), expected(BIG));
  assert.ok(r.lines.some((l) => /^statfs fat32 cluster 512 /.test(l)), r.lines.join("\n"));
});

test("the generated client's three variants: async (the rest of the suite), sync and event calls", () => {
  const r = fsops(prog, fat16, ["variants", "/HELLO.TXT", "variants", "/sub/f4097.dat"]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.lines, ["variants /HELLO.TXT: sync 11 bytes (fstat 11), event size 11", "variants /sub/f4097.dat: sync 4097 bytes (fstat 4097), event size 4097"]);
});

test("a 10 MiB file read in pieces of 4097 bytes takes a few device calls per piece, not one per 512-byte cluster", () => {
  const r = fsops(prog, fat32, ["hash", "/big/large.bin", "devstats"]);
  assert.is(r.code, 0, r.stderr);
  const reads = Number(/^devstats reads (\d+)/m.exec(r.lines.join("\n"))[1]);
  assert.ok(reads < 3 * Math.ceil(BIG / 4097), `${reads} device reads`);       // 20480 clusters
});

test("paths: case-insensitive names, short names, '.', '..', repeated and trailing slashes; reads at offsets", () => {
  const r = fsops(prog, fat16, ["cat", "/hello.txt", "cat", "//SUB/./deeper/../deeper/arathe~1.tex", "seekread", "/HELLO.TXT", "7", "100",
    "stat", "/sub/", "stat", "/", "ls", "/sub/deeper", "stat", "/sub/deeper/THIRD/X.Y.Z.TAR.GZ"]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.lines, [
    "seekread /hello.txt 0: hello, fat",
    "seekread //SUB/./deeper/../deeper/arathe~1.tex 0: a long name",
    "seekread /HELLO.TXT 7: fat",
    "stat /sub/ dir size 0 attr 10",
    "stat / dir size 0 attr 10",
    "ls /sub/deeper: A rather long file name.text third/ Mixed Case Name With Spaces and more.data",
    "stat /sub/deeper/THIRD/X.Y.Z.TAR.GZ file size 5000 attr 20",
  ]);
});

test.run();
