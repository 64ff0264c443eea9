// errors.test.mjs: every error of machine fs (aams/fs) as its callers see it: the failed call's
// POSIX code and message naming the path, for bad paths, missing files, existing names, folders
// in the way, bad descriptors, bad flags and names, a full volume, a full FAT16 root, open files,
// a read-only device; no heap block leaks over failed calls; the volume stays clean (fsck.fat).
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import { image, before } from "../lib/aam.mjs";
import { makeImage, fsck, mtools, fsops } from "./images.mjs";

const PROGRAM = "tests/fs/programs/fsops.ts";
let prog, fat16;

before(test, async () => {
  prog = await image(PROGRAM);
  fat16 = fs.readFileSync(makeImage("errors16", { fat: 16, mb: 4 }));
});

function lines(ops, img = fat16) {
  const r = fsops(prog, img, ops);
  assert.is(r.code, 0, r.stderr);
  return r;
}

test("paths and names: ENOENT, ENOTDIR, EISDIR, EEXIST, ENOTEMPTY, EINVAL, ENAMETOOLONG, EBUSY, with the path in the message", () => {
  const long = "n".repeat(256);
  const r = lines(["open", "/nope", "0", "open", "/nodir/x", "0", "open", "/HELLO.TXT/x", "0", "open", "/sub", "0", "open", "/HELLO.TXT", "193",
    "open", "/HELLO.TXT", "3", "mkdir", "/sub", "rmdir", "/HELLO.TXT", "rmdir", "/sub", "rmdir", "/", "rm", "/sub", "rm", "/nope",
    "put", "/a:b", "x", "put", "/trailing.", "x", "put", "/" + long, "x", "mv", "/sub", "/sub/deeper/in", "mv", "/HELLO.TXT", "/sub",
    "mv", "/sub", "/HELLO.TXT", "ls", "/HELLO.TXT", "stat", "/nope", "hold", "/one.bin", "rm", "/one.bin", "mv", "/one.bin", "/two.bin"]);
  const want = [
    "open /nope error fs.open /nope: ENOENT: no such file or directory",
    "open /nodir/x error fs.open /nodir/x: ENOENT: no such file or directory (a directory on the path does not exist)",
    "open /HELLO.TXT/x error fs.open /HELLO.TXT/x: ENOTDIR: not a directory (a component of the path is not a directory)",
    "open /sub error fs.open /sub: EISDIR: is a directory (directories are read with readdir)",
    "open /HELLO.TXT error fs.open /HELLO.TXT: EEXIST: file exists (O_EXCL and the file exists)",
    "open /HELLO.TXT error fs.open /HELLO.TXT: EINVAL: invalid argument (unknown open flags)",
    "mkdir /sub error fs.mkdir /sub: EEXIST: file exists (the name exists)",
    "rmdir /HELLO.TXT error fs.rmdir /HELLO.TXT: ENOTDIR: not a directory",
    "rmdir /sub error fs.rmdir /sub: ENOTEMPTY: directory not empty (it has entries)",
    "rmdir / error fs.rmdir /: EBUSY: resource busy (the root directory cannot be removed)",
    "unlink /sub error fs.unlink /sub: EISDIR: is a directory (a directory is removed with rmdir)",
    "unlink /nope error fs.unlink /nope: ENOENT: no such file or directory",
    "open /a:b error fs.open /a:b: EINVAL: invalid argument (not a valid FAT file name)",
    "open /trailing. error fs.open /trailing.: EINVAL: invalid argument (not a valid FAT file name)",
    `open /${long} error fs.open /${long}: ENAMETOOLONG: file name too long (a name is longer than 255 characters)`,
    "mv /sub /sub/deeper/in error fs.rename /sub -> /sub/deeper/in: EINVAL: invalid argument (a directory cannot move into itself)",
    "mv /HELLO.TXT /sub error fs.rename /HELLO.TXT -> /sub: EISDIR: is a directory (the target is a directory)",
    "mv /sub /HELLO.TXT error fs.rename /sub -> /HELLO.TXT: ENOTDIR: not a directory (the target is not a directory)",
    "ls /HELLO.TXT error fs.readdir /HELLO.TXT: ENOTDIR: not a directory",
    "stat /nope error fs.stat /nope: ENOENT: no such file or directory",
    "hold /one.bin fd 0",
    "unlink /one.bin error fs.unlink /one.bin: EBUSY: resource busy (the file is open: close it first)",
    "mv /one.bin /two.bin error fs.rename /one.bin -> /two.bin: EBUSY: resource busy (the file is open: close it first)",
  ];
  assert.equal(r.lines, want);
  // A failed call is an answer (failQuietly): nothing on stderr, no task of machine fs trapped,
  // and the machine goes on.
  const other = r.stderr.split("\n").filter((l) => l && !l.startsWith("| "));      // the program's own lines start "| "
  assert.equal(other, [], r.stderr);
});

test("descriptors and positions: EBADF for descriptors not open and for the wrong access mode, EINVAL, EFBIG", () => {
  const r = lines(["badfd", "seekread", "/HELLO.TXT", "-5", "3", "trunc", "/HELLO.TXT", "5000000000"]);
  assert.equal(r.lines, [
    "read 99 error fs.read: EBADF: bad file descriptor (not an open file descriptor)",
    "write -1 error fs.write: EBADF: bad file descriptor (not an open file descriptor)",
    "close 7 error fs.close: EBADF: bad file descriptor (not an open file descriptor)",
    "seek 3 error fs.seek: EBADF: bad file descriptor (not an open file descriptor)",
    "seek /HELLO.TXT error fs.seek: EINVAL: invalid argument (the position would be negative or past 4 GiB - 1)",
    "trunc /HELLO.TXT error fs.truncate: EFBIG: file too large (FAT files end below 4 GiB) (a FAT file ends below 4 GiB)",
  ]);
  const w = lines(["badmode", "/HELLO.TXT"]);
  assert.equal(w.lines, [
    "write O_RDONLY error fs.write: EBADF: bad file descriptor (the file is open for reading only)",
    "read O_WRONLY error fs.read: EBADF: bad file descriptor (the file is open for writing only)",
  ]);
});

test("pointers that are not the caller's memory: the kernel refuses the call before the file system sees it; the machine goes on", () => {
  const r = lines(["badptr", "cat", "/HELLO.TXT"]);
  assert.equal(r.lines.map((l) => l.replace(/0x[0-9a-f]+/g, "0x…")), [
    "open 0x… error machine 'fs' task open, parameter path: [0x…, +5) is not memory of the calling machine 'main'",
    "read into static data error machine 'fs' task read, parameter buf: [0x…, +64) is not memory of the calling machine 'main'",
    "read past the block error machine 'fs' task read, parameter buf: [0x…, +100000) is not memory of the calling machine 'main'",
    "seekread /HELLO.TXT 0: hello, fat",
  ]);
});

test("a full volume: ENOSPC for the write that does not fit (the part that fit is kept), then the volume is clean", () => {
  const r = lines(["write", "/huge.bin", String(6 << 20), "1", "statfs", "stat", "/huge.bin", "image"]);
  assert.ok(r.lines.some((l) => /^write \/huge\.bin error fs\.write: ENOSPC: no space left on the volume/.test(l)), r.lines.join("\n"));
  assert.ok(r.lines.some((l) => /^statfs fat16 .* free 0$/.test(l)), r.lines.join("\n"));
  const f = fsck(r.stdout);
  assert.is(f.code, 0, f.out);
  const size = Number(/^stat \/huge\.bin file size (\d+)/m.exec(r.lines.join("\n"))[1]);
  assert.ok(size > 3 << 20 && size < 4 << 20, String(size));
  assert.is(mtools(r.stdout, "mtype", "::/huge.bin").out.length, size);
});

test("a full FAT16 root directory (512 entries): ENOSPC; sub-folders still grow", () => {
  const ops = [];
  for (let i = 0; i < 520; i++) ops.push("put", `/F${i}`, "x");
  ops.push("put", "/sub/more.txt", "y", "image");
  const r = lines(ops);
  assert.ok(r.lines.some((l) => /^open \/F50\d error fs\.open \/F50\d: ENOSPC: no space left on the volume \(the root directory is full\)$/.test(l)), r.lines.slice(-12).join("\n"));
  assert.ok(r.lines.includes("put /sub/more.txt 1"), r.lines.slice(-3).join("\n"));
  assert.is(fsck(r.stdout).code, 0);
});

test("a read-only device: reads work, every change fails with EROFS", () => {
  const r = lines(["ro", "cat", "/HELLO.TXT", "put", "/x", "y", "open", "/HELLO.TXT", "2", "mkdir", "/d", "rm", "/one.bin", "mv", "/one.bin", "/two", "rmdir", "/sub/deeper/third"]);
  assert.equal(r.lines.map((l) => l.replace(/ \(.*\)$/, "")), [
    "seekread /HELLO.TXT 0: hello, fat",
    "open /x error fs.open /x: EROFS: read-only volume",
    "open /HELLO.TXT error fs.open /HELLO.TXT: EROFS: read-only volume",
    "mkdir /d error fs.mkdir /d: EROFS: read-only volume",
    "unlink /one.bin error fs.unlink /one.bin: EROFS: read-only volume",
    "mv /one.bin /two error fs.rename /one.bin -> /two: EROFS: read-only volume",
    "rmdir /sub/deeper/third error fs.rmdir /sub/deeper/third: EROFS: read-only volume",
  ]);
});

test("a failing device: EIO for the read, the write and the mount that meet its bad sectors; the rest still works", () => {
  const b = fat16, dataStart = b.readUInt16LE(14) + b[16] * b.readUInt16LE(22) + b.readUInt16LE(17) / 16;
  let r = lines(["faulty", String(dataStart + 2), "hash", "/f4095.dat", "cat", "/HELLO.TXT"]);
  assert.equal(r.lines, ["read /f4095.dat error fs.read: EIO: input/output error (the device failed a read)", "hash /f4095.dat 0 811c9dc5", "seekread /HELLO.TXT 0: hello, fat"]);
  r = lines(["faulty", "4000", "write", "/x", "2000000", "1", "sync"]);
  assert.equal(r.lines, ["write /x error fs.write: EIO: input/output error (the device failed a write)", "write /x 1974000", "sync ok"]);
  r = lines(["faulty", "0", "statfs"]);
  assert.equal(r.lines, ["statfs error fs.statfs: EIO: input/output error (mount: the boot sector cannot be read)"]);
});

test("200 failed calls leave no heap block behind (messages go with their calls), nor do 700 that succeed", () => {
  const r = lines(["leak"]);
  assert.equal(r.lines, ["leak 0", "leak ok-calls 0"]);
});

test.run();
