// hostile.test.mjs: machine fs (aams/fs) on images a tool did not make or an attacker edited: a
// truncated image, boot sectors with zero sizes, random bytes, cyclic cluster chains, chains and
// directory entries pointing outside the volume, a size longer than the chain. The mount or the
// call fails with a clear error, the device is never asked for a sector past its end (the
// RamDisk counts such calls), and the program goes on (later calls, exit status 0).
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import { image, before } from "../lib/aam.mjs";
import { makeImage, fsops, pattern } from "./images.mjs";

const PROGRAM = "tests/fs/programs/fsops.ts";
let prog, fat16, fat32;

before(test, async () => {
  prog = await image(PROGRAM);
  fat16 = fs.readFileSync(makeImage("hostile16", { fat: 16, mb: 4 }));
  fat32 = fs.readFileSync(makeImage("hostile32", { fat: 32, mb: 34 }));
});

// The FAT16 image's layout, and its root entries by 8.3 name.
function layout(b) {
  const reserved = b.readUInt16LE(14), nfats = b[16], rootEntries = b.readUInt16LE(17), fatSize = b.readUInt16LE(22);
  const fat = reserved * 512, root = (reserved + nfats * fatSize) * 512;
  const entry = (name83) => {
    for (let i = 0; i < rootEntries; i++) if (b.toString("latin1", root + i * 32, root + i * 32 + 11) === name83) return root + i * 32;
    throw new Error(`no ${name83}`);
  };
  return { fat, fatSize, nfats, entry, data: root + rootEntries * 32, setFat: (c, v) => { for (let k = 0; k < nfats; k++) b.writeUInt16LE(v, fat + k * fatSize * 512 + 2 * c); } };
}

function edited(f) { const b = Buffer.from(fat16); f(b, layout(b)); return b; }

function run(img, ops) {
  const r = fsops(prog, img, [...ops, "outside"]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.lines.at(-1), "outside 0", r.lines.join("\n"));
  return r.lines.slice(0, -1);
}

const MOUNT_OPS = ["mount", "stat", "/HELLO.TXT", "statfs"];

for (const [what, img, err] of [
  ["a truncated image (the first MiB of 4)", () => fat16.subarray(0, 1 << 20), "EIO: input/output error (mount: truncated image: the boot sector counts more sectors than the device has)"],
  ["bytes per sector 0", () => edited((b) => b.writeUInt16LE(0, 11)), "EINVAL: invalid argument (mount: bytes per sector is 0)"],
  ["sectors per cluster 0", () => edited((b) => { b[13] = 0; }), "EINVAL: invalid argument (mount: sectors per cluster is 0)"],
  ["reserved sectors 0", () => edited((b) => b.writeUInt16LE(0, 14)), "EINVAL: invalid argument (mount: reserved sectors is 0 (the boot sector is one))"],
  ["no FATs", () => edited((b) => { b[16] = 0; }), "EINVAL: invalid argument (mount: the number of FATs is 0)"],
  ["total sectors 0", () => edited((b) => { b.writeUInt16LE(0, 19); b.writeUInt32LE(0, 32); }), "EINVAL: invalid argument (mount: total sectors is 0)"],
  ["sectors per FAT 0", () => edited((b) => { b.writeUInt16LE(0, 22); b.writeUInt32LE(0, 36); }), "EINVAL: invalid argument (mount: sectors per FAT is 0)"],
  ["a FAT too small for the clusters", () => edited((b) => b.writeUInt16LE(4, 22)), "EINVAL: invalid argument (mount: the FAT is too small for the volume's clusters)"],
  ["random bytes", () => pattern(1 << 20, 99), "EINVAL: invalid argument (mount: no boot sector signature (0x55 0xAA at byte 510): not a FAT volume)"],
  ["an empty device", () => Buffer.alloc(0), "EINVAL: invalid argument (mount: the device is empty)"],
]) {
  test(`mount refuses ${what}; every call says why; the program goes on`, () => {
    const lines = run(img(), MOUNT_OPS);
    assert.equal(lines, [`mount error fs.mount: ${err}`, `stat /HELLO.TXT error fs.stat /HELLO.TXT: ${err}`, `statfs error fs.statfs: ${err}`]);
  });
}

for (const [what, edit, err] of [
  ["a root cluster outside the volume", (b) => b.writeUInt32LE(0x0FFFFFF0, 44), "EINVAL: invalid argument (mount: the root directory's cluster is outside the volume)"],
  ["a FAT32 version other than 0.0", (b) => b.writeUInt16LE(1, 42), "EINVAL: invalid argument (mount: FAT32 version is not 0.0)"],
  ["FAT16 root entries on a FAT32 volume", (b) => b.writeUInt16LE(512, 17), "EINVAL: invalid argument (mount: FAT32 cluster count but FAT16 fields (root entries or 16-bit FAT size) set)"],
]) {
  test(`FAT32: mount refuses ${what}`, () => {
    const b = Buffer.from(fat32);
    edit(b);
    assert.equal(run(b, ["mount", "statfs"]), [`mount error fs.mount: ${err}`, `statfs error fs.statfs: ${err}`]);
  });
}

test("FAT32: the root directory's chain made cyclic: a lookup ends with EIO; an FSInfo free count of garbage is not trusted", () => {
  const b = Buffer.from(fat32);
  const reserved = b.readUInt16LE(14), fatAt = reserved * 512, root = b.readUInt32LE(44), fatSize = b.readUInt32LE(36);
  const fsinfo = b.readUInt16LE(48) * 512;
  b.writeUInt32LE(12345, fsinfo + 488);
  const good = run(Buffer.from(b), ["statfs"]);
  assert.match(good[0], /^statfs fat32 cluster 512 clusters \d+ free (\d+)$/);
  assert.not.match(good[0], / free 12345$/);
  for (let k = 0; k < b[16]; k++) b.writeUInt32LE(root, fatAt + k * fatSize * 512 + 4 * root);
  const dirAt = (reserved + b[16] * fatSize) * 512;                          // cluster 2 = the root here
  for (let i = 0; i < 16; i++) if (b[dirAt + i * 32] === 0) b[dirAt + i * 32] = 0xE5;
  assert.equal(run(b, ["stat", "/nothere"]), ["stat /nothere error fs.stat /nothere: EIO: input/output error (a directory of more than 65536 entries (or a cyclic chain))"]);
});

test("a cyclic cluster chain: opening, reading and deleting the file fail with EIO; other files still read", () => {
  const img = edited((b, l) => { const c = b.readUInt16LE(l.entry("F4096   DAT") + 26); l.setFat(c + 3, c); });
  const lines = run(img, ["hash", "/f4096.dat", "rm", "/f4096.dat", "cat", "/HELLO.TXT", "write", "/new.bin", "2000", "1"]);
  assert.equal(lines, [
    "open /f4096.dat error fs.open /f4096.dat: EIO: input/output error (cyclic cluster chain)",
    "hash /f4096.dat ",
    "unlink /f4096.dat error fs.unlink /f4096.dat: EIO: input/output error (cyclic cluster chain)",
    "seekread /HELLO.TXT 0: hello, fat",
    "write /new.bin 2000",
  ]);
});

test("a cyclic directory chain: a lookup in it ends with EIO after 65536 entries; the rest of the volume reads", () => {
  const img = edited((b, l) => {
    const c = b.readUInt16LE(l.entry("SUB        ") + 26), at = l.data + (c - 2) * 512;
    l.setFat(c, c);
    for (let i = 0; i < 16; i++) if (b[at + i * 32] === 0) b[at + i * 32] = 0xE5;   // no end marker: only the cycle ends the scan
  });
  const lines = run(img, ["stat", "/sub/nothere", "cat", "/HELLO.TXT"]);
  assert.equal(lines, [
    "stat /sub/nothere error fs.stat /sub/nothere: EIO: input/output error (a directory of more than 65536 entries (or a cyclic chain))",
    "seekread /HELLO.TXT 0: hello, fat",
  ]);
});

test("chains and entries pointing outside the volume, and a size past the chain's end: EIO, nothing read outside", () => {
  const img = edited((b, l) => {
    const f = l.entry("F4096   DAT"), c = b.readUInt16LE(f + 26);
    l.setFat(c + 1, 0xFF00);                                   // past the last cluster (8096)
    b.writeUInt16LE(0xFFF0, l.entry("HELLO   TXT") + 26);      // a first cluster past the volume
    b.writeUInt16LE(0xFFF0, l.entry("SUB        ") + 26);      // a folder past the volume
    b.writeUInt32LE(100000, l.entry("F4095   DAT") + 28);      // 100000 bytes on a chain of 4095
  });
  const lines = run(img, ["hash", "/f4096.dat", "hash", "/HELLO.TXT", "ls", "/sub", "stat", "/sub/f4097.dat", "hash", "/f4095.dat", "cat", "/one.bin"]);
  assert.equal(lines.filter((l) => !l.startsWith("hash ")), [
    "open /f4096.dat error fs.open /f4096.dat: EIO: input/output error (a cluster chain points outside the volume (or at a bad cluster))",
    "open /HELLO.TXT error fs.open /HELLO.TXT: EIO: input/output error (a directory entry points outside the volume)",
    "ls /sub error fs.readdir /sub: EIO: input/output error (a directory entry points outside the volume)",
    "stat /sub/f4097.dat error fs.stat /sub/f4097.dat: EIO: input/output error (a directory entry points outside the volume)",
    "open /f4095.dat error fs.open /f4095.dat: EIO: input/output error (the file's cluster chain is shorter than its size)",
    "seekread /one.bin 0: 1",
  ]);
});

test("fuzz: 10 images with 40 random bytes changed in the boot sector, FATs, root and first clusters: every run ends with status 0, every failure is a failed fs call, no device access past the end", () => {
  const { fat, fatSize, nfats, data } = layout(Buffer.from(fat16));
  const regions = [[0, 512], [fat, fat + 1024], [fat + fatSize * 512 * (nfats - 1), fat + fatSize * 512 * (nfats - 1) + 1024], [data - 16384, data + 65536]];
  let x = 0x9e3779b9, failures = 0;
  const rnd = (n) => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x % n; };
  for (let k = 0; k < 10; k++) {
    const b = Buffer.from(fat16);
    for (let i = 0; i < 40; i++) { const [lo, hi] = regions[rnd(k % 6 === 0 ? 1 : regions.length)]; b[lo + rnd(hi - lo)] = rnd(256); }
    const r = fsops(prog, b, ["tree", "write", "/x.bin", "5000", "1", "mkdir", "/d", "mv", "/HELLO.TXT", "/d/h", "rm", "/f4096.dat", "sync", "outside"]);
    assert.is(r.code, 0, `image ${k}: ${r.stderr}`);
    assert.is(r.lines.at(-1), "outside 0", `image ${k}`);
    // A failed call is an answer (failQuietly: nothing printed); nothing in machine fs traps on a
    // bad image (aams/fs/machine.ts step 4), so no trap report at all.
    assert.not.match(r.stderr, /trapped/, `image ${k}: ${r.stderr}`);
    failures += r.lines.filter((l) => / error fs\.\w+[ :]/.test(l)).length;
  }
  assert.ok(failures > 10, `only ${failures} failed calls: the edits did not reach the metadata`);
});

test.run();
