// mkdisk.test.mjs: `aam mkdisk img --size S [--from dir] [--fat 16|32]` makes images that
// fsck.fat passes and mtools and machine fs read (the example: 32M from a folder), and
// refuses bad sizes, paths and folders with one line and status 2, leaving no file behind.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { aam, image } from "../lib/aam.mjs";

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "aam-mkdisk-"));
test.after(() => fs.rmSync(TMP, { recursive: true, force: true }));
const SRC = path.join(TMP, "somedir");
fs.mkdirSync(path.join(SRC, "sub"), { recursive: true });
fs.writeFileSync(path.join(SRC, "FILE"), "hello from the disk\n");
fs.writeFileSync(path.join(SRC, "sub", "a long name.txt"), Buffer.alloc(5000, 7));

const fsck = (img) => spawnSync("fsck.fat", ["-n", img], { encoding: "utf8" });
const mtype = (img, p) => spawnSync("mtype", ["-i", img, "::" + p], { env: { ...process.env, MTOOLS_SKIP_CHECK: "1" } }).stdout;

test("aam mkdisk d.img --size 32M --from somedir: FAT16 (FAT32 needs 33 MiB), fsck clean, mtools and machine fs read the files", async () => {
  const img = path.join(TMP, "d.img");
  const r = await aam(["mkdisk", img, "--size", "32M", "--from", SRC]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, `aam: wrote ${img} (FAT16: FAT32 needs at least 33 MiB, 32 MiB, the files of ${SRC})\n`);
  assert.is(fs.statSync(img).size, 32 << 20);
  assert.is(fsck(img).status, 0, fsck(img).stdout);
  assert.is(mtype(img, "/FILE").toString(), "hello from the disk\n");
  const run = spawnSync(process.execPath, ["tools/bin/aam.js", "run", await image("tests/fs/programs/fsops.ts"), "--", "cat", "/FILE", "hash", "/sub/a long name.txt", "statfs"],
    { input: fs.readFileSync(img), encoding: "utf8" });
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stderr, /^\| seekread \/FILE 0: hello from the disk$/m);
  assert.match(run.stderr, /^\| hash \/sub\/a long name\.txt 5000 /m);
  assert.match(run.stderr, /^\| statfs fat16 /m);
});

test("FAT32 from 33 MiB up, and --fat 16; an empty image without --from", async () => {
  for (const [size, extra, bits] of [["33M", [], 32], ["64M", ["--from", SRC], 32], ["8M", ["--fat", "16"], 16]]) {
    const img = path.join(TMP, `e${size}.img`);
    const r = await aam(["mkdisk", img, "--size", size, ...extra]);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`\\(FAT${bits}[,:]`));
    assert.is(fsck(img).status, 0);
  }
});

test("bad sizes, paths and folders: one line, status 2, no image", async () => {
  const img = path.join(TMP, "bad.img");
  const cases = [
    [["mkdisk", img], "aam: aam mkdisk needs --size (e.g. --size 64M)"],
    [["mkdisk", "--size", "64M"], "aam: aam mkdisk needs an image file: aam mkdisk <img> --size 64M [--from dir] [--fat 16|32]"],
    [["mkdisk", img, "--size", "64X"], "aam: --size takes a size like 64M, 1G or 40960K, got '64X'"],
    [["mkdisk", img, "--size", "1000"], "aam: --size 1000 is not a whole number of KiB"],
    [["mkdisk", img, "--size", "1M"], "aam: --size 1M is too small for FAT16 (at least 3 MiB)"],
    [["mkdisk", img, "--size", "32M", "--fat", "32"], "aam: --size 32M is too small for FAT32 (at least 33 MiB: 65525 clusters of 512 bytes; below that aam mkdisk makes FAT16)"],
    [["mkdisk", img, "--size", "3G", "--fat", "16"], "aam: --size 3G is too large for FAT16 (at most 2 GiB)"],
    [["mkdisk", img, "--size", "64M", "--fat", "12"], "aam: --fat takes 16 or 32, got '12'"],
    [["mkdisk", img, "--size", "64M", "--from", path.join(TMP, "nope")], `aam: --from ${path.join(TMP, "nope")}: no such folder`],
    [["mkdisk", img, "--size", "64M", "--from", path.join(SRC, "FILE")], `aam: --from ${path.join(SRC, "FILE")}: not a folder`],
    [["mkdisk", img, "--size", "64M", "--cores", "2"], "aam: aam mkdisk does not take --cores"],
    [["mkdisk", "/proc/x.img", "--size", "4M"], null],
  ];
  for (const [args, line] of cases) {
    const r = await aam(args);
    assert.is(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    if (line) assert.is(r.stderr, line + "\n");
    else assert.is(r.stderr.split("\n").length, 2, r.stderr);
    assert.not.ok(fs.existsSync(img));
  }
  // Files that do not fit, names FAT cannot tell apart, an image that exists.
  const big = path.join(TMP, "big");
  fs.mkdirSync(big);
  fs.writeFileSync(path.join(big, "x.bin"), Buffer.alloc(5 << 20));
  let r = await aam(["mkdisk", img, "--size", "4M", "--from", big]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^aam: the files of .* do not fit in 4M \(mcopy: .*\)\n$/);
  assert.is(fs.readdirSync(TMP).filter((f) => f.includes("bad.img")).length, 0, "no image, no temporary file");
  const clash = path.join(TMP, "clash");
  fs.mkdirSync(clash);
  fs.writeFileSync(path.join(clash, "a.txt"), "1");
  fs.writeFileSync(path.join(clash, "A.TXT"), "2");
  r = await aam(["mkdisk", img, "--size", "4M", "--from", clash]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^aam: --from .*clash: (a\.txt and A\.TXT|A\.TXT and a\.txt) differ only in case \(FAT names ignore case\)\n$/);
  fs.writeFileSync(img, "keep");
  r = await aam(["mkdisk", img, "--size", "4M"]);
  assert.is(r.stderr, `aam: ${img} exists: aam mkdisk does not overwrite (remove it first)\n`);
  assert.is(fs.readFileSync(img, "utf8"), "keep");
});

test.run();
