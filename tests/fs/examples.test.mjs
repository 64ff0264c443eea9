// examples.test.mjs: the file-system machine on a real disk, end to end: `aam mkdisk` makes a
// FAT image from a folder, examples/cat.ts, cp.ts and zfile.ts run on it with --disk (machine fs
// on machine block, virtio) under `aam run` and `aam boot`, and the real tools read back what
// they wrote: mtype/mcopy (the bytes), gunzip (zfile's output), fsck.fat -n (clean). Errors: a
// missing file, no disk, a read-only disk.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { aam, image, prebuild, ROOT, before } from "../lib/aam.mjs";
import { tree, run } from "./images.mjs";

const WORK = path.join(ROOT, "build/test-images/fs-examples");
const SRC = path.join(WORK, "src");
const FILES = { ...tree(0), "big/blob.bin": Buffer.from(Array.from({ length: 300000 }, (_, i) => (i * 7919 + (i >> 9)) & 255)) };
const HOSTS = [["node", "run"], ["qemu", "boot"]];
const images = {};

before(test, async () => {
  fs.rmSync(WORK, { recursive: true, force: true });
  for (const [rel, bytes] of Object.entries(FILES)) {
    fs.mkdirSync(path.dirname(path.join(SRC, rel)), { recursive: true });
    fs.writeFileSync(path.join(SRC, rel), bytes);
  }
  await prebuild([["examples/cat.ts"], ["examples/cp.ts"], ["examples/zfile.ts"]]);
  for (const n of ["cat", "cp", "zfile"]) images[n] = await image(`examples/${n}.ts`);
});

const mkdisk = async (name, size = "32M") => {
  const img = path.join(WORK, name);
  fs.rmSync(img, { force: true });
  const r = await aam(["mkdisk", img, "--size", size, "--from", SRC]);
  assert.is(r.code, 0, r.stderr);
  return img;
};
const mtools = { env: { ...process.env, MTOOLS_SKIP_CHECK: "1" } };
const mtype = (img, p) => run("mcopy", ["-i", img, `::${p}`, "-"], mtools).stdout;
const fsck = (img) => run("fsck.fat", ["-n", img]);

for (const [host, cmd] of HOSTS) {
  test(`${host}: cat prints every file of an image that aam mkdisk made (0, 1, 4095, 4096, 4097 bytes, long and non-ASCII names, nested folders, 300 KB) byte for byte`, async () => {
    const img = await mkdisk(`cat-${host}.img`);
    const names = host === "qemu" ? ["HELLO.TXT", "sub/f4097.dat", "Ünïcödé näme.txt", "big/blob.bin", "empty"] : Object.keys(FILES);
    for (const rel of names) {
      const r = await aam([cmd, images.cat, "--disk", img, "--", `/${rel}`], { binary: true });
      assert.is(r.code, 0, `${rel}: ${r.stderr}`);
      assert.ok(Buffer.compare(r.stdout, FILES[rel]) === 0, `${rel}: ${r.stdout.length} bytes, want ${FILES[rel].length}`);
    }
    assert.is(fsck(img).code, 0, "cat changed the image");
  });

  test(`${host}: cp copies within the image and zfile compresses to gzip and back; mtype, gunzip and fsck.fat read what they wrote`, async () => {
    const img = await mkdisk(`cp-${host}.img`);
    let r = await aam([cmd, images.cp, "--disk", img, "--", "/big/blob.bin", "/sub/Copy of the blob.bin"]);
    assert.is(r.code, 0, r.stderr);
    assert.ok(Buffer.compare(mtype(img, "/sub/Copy of the blob.bin"), FILES["big/blob.bin"]) === 0, "cp's copy");
    r = await aam([cmd, images.zfile, "--disk", img, "--", "-c", "/sub/Copy of the blob.bin", "/BLOB.GZ"]);
    assert.is(r.code, 0, r.stderr);
    assert.ok(Buffer.compare(zlib.gunzipSync(mtype(img, "/BLOB.GZ")), FILES["big/blob.bin"]) === 0, "gunzip of zfile -c");
    r = await aam([cmd, images.zfile, "--disk", img, "--", "-d", "/BLOB.GZ", "/back.bin"]);
    assert.is(r.code, 0, r.stderr);
    assert.ok(Buffer.compare(mtype(img, "/back.bin"), FILES["big/blob.bin"]) === 0, "zfile -d");
    const f = fsck(img);
    assert.is(f.code, 0, f.stdout + f.stderr);
  });

  test(`${host}: a missing file, a program run without --disk, and a copy onto a read-only disk fail with the file system's error and status 1`, async () => {
    const img = await mkdisk(`err-${host}.img`);
    let r = await aam([cmd, images.cat, "--disk", img, "--", "/no/such.txt"]);
    assert.is(r.code, 1);
    assert.match(r.stderr, "cat: fs.open /no/such.txt: ENOENT");
    r = await aam([cmd, images.cat, "--", "/HELLO.TXT"]);
    assert.is(r.code, 1);
    assert.match(r.stderr, "no disk attached");
    const was = fs.readFileSync(img);
    r = await aam([cmd, images.cp, "--disk", `${img}:ro`, "--", "/HELLO.TXT", "/NEW.TXT"]);
    assert.is(r.code, 1);
    assert.match(r.stderr, "EROFS");
    assert.ok(Buffer.compare(fs.readFileSync(img), was) === 0, "a read-only disk changed");
  });
}

test.run();
