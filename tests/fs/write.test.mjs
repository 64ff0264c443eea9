// write.test.mjs: what machine fs (aams/fs) writes, read by the real tools: files created,
// overwritten, appended, truncated, renamed and deleted, folders made and removed, on FAT16 and
// FAT32 images; after each run the synced image passes `fsck.fat -n` (exit 0) and mtools
// (`mtype`, `mdir`, `mcopy`) read the names and bytes the machine wrote.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import { image, before } from "../lib/aam.mjs";
import { makeImage, pattern, fsck, mtools, fsops } from "./images.mjs";

const PROGRAM = "tests/fs/programs/fsops.ts";
let prog, fat16, fat32;

before(test, async () => {
  prog = await image(PROGRAM);
  fat16 = fs.readFileSync(makeImage("write16", { fat: 16, mb: 4 }));
  fat32 = fs.readFileSync(makeImage("write32", { fat: 32, mb: 34 }));
});

function clean(img, what) {
  const f = fsck(img);
  assert.is(f.code, 0, `${what}: fsck.fat -n found problems:\n${f.out}`);
}
const mtype = (img, p) => mtools(img, "mtype", "::" + p).out;

// Every FAT copy equals the first (the mirrors are kept in step).
function mirrors(img) {
  const reserved = img.readUInt16LE(14), nfats = img[16], size = (img.readUInt16LE(22) || img.readUInt32LE(36)) * 512;
  assert.is(nfats, 2);
  const fat = (k) => img.subarray((reserved * 512) + k * size, (reserved * 512) + (k + 1) * size);
  for (let k = 1; k < nfats; k++) assert.ok(fat(k).equals(fat(0)), `FAT ${k + 1} differs from FAT 1`);
}

for (const [name, img] of [["FAT16", () => fat16], ["FAT32", () => fat32]]) {
  test(`${name}: new files (0 B to 300 KiB, long and short names), append, overwrite, truncate; fsck clean, mtools reads them`, () => {
    const r = fsops(prog, img(), ["write", "/new.bin", "300000", "7", "write", "/A.TXT", "0", "1", "put", "/A file with a long name.txt", "long!",
      "put", "/lower.txt", "lower", "put", "/HELLO.TXT", "replaced", "append", "/one.bin", "+23", "write", "/f4096.dat", "4097", "9",
      "trunc", "/f4095.dat", "100", "trunc", "/sub/f4097.dat", "5000", "put", "/Ünïcödé näme.txt", "über", "image"]);
    assert.is(r.code, 0, r.stderr);
    assert.ok(r.lines.includes("sync ok"), r.lines.join("\n"));
    clean(r.stdout, name);
    mirrors(r.stdout);
    assert.ok(mtype(r.stdout, "/new.bin").equals(pattern(300000, 7)));
    assert.is(mtype(r.stdout, "/A.TXT").length, 0);
    assert.is(mtype(r.stdout, "/A file with a long name.txt").toString(), "long!");
    assert.is(mtype(r.stdout, "/lower.txt").toString(), "lower");
    assert.is(mtype(r.stdout, "/HELLO.TXT").toString(), "replaced");
    assert.is(mtype(r.stdout, "/one.bin").toString(), "1+23");
    assert.ok(mtype(r.stdout, "/f4096.dat").equals(pattern(4097, 9)));
    assert.ok(mtype(r.stdout, "/f4095.dat").equals(pattern(4095, 1).subarray(0, 100)));
    assert.ok(mtype(r.stdout, "/sub/f4097.dat").equals(Buffer.concat([pattern(4097, 3), Buffer.alloc(903)])));
    const dir = mtools(r.stdout, "mdir", "-/", "::").out.toString();
    assert.match(dir, /A file with a long name\.txt/);
    assert.match(dir, /AFILEW~1 TXT/);
    assert.match(dir, /lower\.txt/);
  });

  test(`${name}: mkdir, rename across folders (files and folders, replacing a file), unlink, rmdir; fsck clean, mtools sees the result`, () => {
    const r = fsops(prog, img(), ["mkdir", "/newdir", "mkdir", "/newdir/Inner Folder", "put", "/newdir/Inner Folder/x.txt", "xx",
      "mv", "/HELLO.TXT", "/newdir/hello moved.txt", "mv", "/sub", "/newdir/Inner Folder/sub2", "mv", "/one.bin", "/ONE.BIN",
      "put", "/victim.txt", "gone", "mv", "/f4095.dat", "/victim.txt", "rm", "/f4096.dat", "rm", "/empty",
      "mkdir", "/tmp", "rmdir", "/tmp", "ls", "/", "ls", "/newdir/Inner Folder/sub2", "image"]);
    assert.is(r.code, 0, r.stderr);
    clean(r.stdout, name);
    mirrors(r.stdout);
    assert.is(mtype(r.stdout, "/newdir/hello moved.txt").toString(), "hello, fat\n");
    assert.is(mtype(r.stdout, "/newdir/Inner Folder/x.txt").toString(), "xx");
    assert.ok(mtype(r.stdout, "/newdir/Inner Folder/sub2/f4097.dat").equals(pattern(4097, 3)));
    assert.ok(mtype(r.stdout, "/victim.txt").equals(pattern(4095, 1)));
    assert.is(mtype(r.stdout, "/ONE.BIN").toString(), "1");
    const root = mtools(r.stdout, "mdir", "-b", "::/").out.toString();
    assert.not.match(root, /f4096|HELLO|tmp|empty|f4095/i, root);
    // ".." of the moved folder names its new parent: mtools walks up through it.
    assert.is(mtools(r.stdout, "mtype", "::/newdir/Inner Folder/sub2/../x.txt").out.toString(), "xx");
    assert.ok(r.lines.includes("ls /newdir/Inner Folder/sub2: f4097.dat deeper/"), r.lines.join("\n"));
  });
}

test("many files in one folder: the folder grows past its first cluster, ~N short names stay unique; fsck clean, mcopy reads all", () => {
  const ops = ["mkdir", "/many"];
  for (let i = 0; i < 120; i++) ops.push("put", `/many/same long prefix ${i}.txt`, `file ${i}`);
  ops.push("image");
  const r = fsops(prog, fat16, ops);
  assert.is(r.code, 0, r.stderr);
  clean(r.stdout, "many");
  for (const i of [0, 1, 9, 10, 57, 119]) assert.is(mtype(r.stdout, `/many/same long prefix ${i}.txt`).toString(), `file ${i}`);
  const names = mtools(r.stdout, "mdir", "::/many").out.toString().split("\n").map((l) => l.slice(0, 12)).filter((l) => /~/.test(l));
  assert.is(new Set(names).size, 120, names.join("\n"));
});

test("a 10 MiB file written (mtools reads it), another written, deleted and its space reused: the free count in FSInfo stays exact (FAT32)", () => {
  const BIG = 10 << 20;
  const r = fsops(prog, fat32, ["statfs", "write", "/big.bin", "2000000", "5", "statfs", "rm", "/big.bin", "statfs", "write", "/b2", "1000", "3",
    "write", "/ten.bin", String(BIG), "11", "image"]);
  assert.is(r.code, 0, r.stderr);
  assert.ok(mtype(r.stdout, "/ten.bin").equals(pattern(BIG, 11)));
  mirrors(r.stdout);
  const free = r.lines.filter((l) => l.startsWith("statfs")).map((l) => Number(/free (\d+)/.exec(l)[1]));
  assert.is(free[1], free[0] - Math.ceil(2000000 / 512));
  assert.is(free[2], free[0]);
  clean(r.stdout, "fsinfo");
});

test("16 tasks on 1, 2 and 4 cores write and read back a file each at once (fs on up to 2 cores, one operation at a time); fsck clean", () => {
  for (const cores of [1, 2, 4]) {
    const r = fsops(prog, fat16, ["parallel", "16", "image"], { cores });
    assert.is(r.code, 0, r.stderr);
    assert.ok(r.lines.includes("parallel 16 ok 16"), r.lines.join("\n"));
    clean(r.stdout, `parallel on ${cores} cores`);
    for (const k of [0, 7, 15]) assert.ok(mtype(r.stdout, `/par${k}`).equals(pattern(20000, k + 100)));
  }
});

test("after a crash without sync (the image as the device holds it): fsck clean, the volume as at the last sync (README, 'After a crash')", () => {
  const r = fsops(prog, fat16, ["put", "/synced.txt", "kept", "sync", "write", "/unsynced.bin", "100000", "1", "mkdir", "/newdir", "rm", "/HELLO.TXT", "rawimage"]);
  assert.is(r.code, 0, r.stderr);
  clean(r.stdout, "unsynced");
  assert.is(mtype(r.stdout, "/synced.txt").toString(), "kept");
  const root = mtools(r.stdout, "mdir", "-b", "::/").out.toString();
  assert.match(root, /HELLO\.TXT/);
  assert.not.match(root, /unsynced|newdir/);
});

test("600 folders made without a sync (more than the cache holds): the image as the device holds it is clean and has a prefix of them", () => {
  const ops = ["mkdir", "/d"];
  for (let i = 0; i < 600; i++) ops.push("mkdir", `/d/d${i}`);
  const r = fsops(prog, fat16, [...ops, "rawimage"]);
  assert.is(r.code, 0, r.stderr);
  clean(r.stdout, "600 folders, no sync");
  const names = mtools(r.stdout, "mdir", "-b", "::/d").out.toString().trim().split("\n").map((l) => l.replace(/\/$/, "").replace(/^.*\//, ""));
  assert.ok(names.length > 100 && names.length < 600, String(names.length));
  assert.equal(names, Array.from({ length: names.length }, (_, i) => `d${i}`));
});

test.run();
