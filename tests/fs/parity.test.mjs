// parity.test.mjs: machine fs (aams/fs) on both hosts: the same image and operations under
// `aam run` (Node) and `aam boot` (QEMU, TCG) give the same report, the same exit status and,
// for writes, the same image bytes, which fsck.fat passes. The disk image travels over stdin and
// back over stdout, so this covers the hosts' binary stdio too (4 MiB each way: about a second
// under QEMU here).
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import { image, before } from "../lib/aam.mjs";
import { makeImage, fsops, fsck } from "./images.mjs";

const PROGRAM = "tests/fs/programs/fsops.ts";
let prog, fat16;

before(test, async () => {
  prog = await image(PROGRAM);
  fat16 = fs.readFileSync(makeImage("parity16", { fat: 16, mb: 4 }));
});

test("reading every file, and an error: the same report on Node and QEMU", () => {
  const ops = ["tree", "statfs", "open", "/nope", "0", "ls", "/sub/deeper"];
  const node = fsops(prog, fat16, ops), qemu = fsops(prog, fat16, ops, { how: "boot" });
  assert.is(node.code, 0, node.stderr);
  assert.is(qemu.code, 0, qemu.stderr);
  assert.ok(node.lines.length > 10, node.lines.join("\n"));
  assert.equal(qemu.lines, node.lines);
});

test("writing, renaming and deleting: the same report and the same image bytes on Node and QEMU; fsck clean", () => {
  const ops = ["write", "/x.bin", "100000", "3", "put", "/a long name.txt", "hi", "mkdir", "/d", "mv", "/HELLO.TXT", "/d/hello.txt",
    "rm", "/f4096.dat", "trunc", "/f4095.dat", "10", "image"];
  const node = fsops(prog, fat16, ops), qemu = fsops(prog, fat16, ops, { how: "boot" });
  assert.is(node.code, 0, node.stderr);
  assert.is(qemu.code, 0, qemu.stderr);
  assert.equal(qemu.lines, node.lines);
  assert.is(node.stdout.length, fat16.length);
  assert.ok(qemu.stdout.equals(node.stdout), "the images differ");
  assert.is(fsck(qemu.stdout).code, 0, fsck(qemu.stdout).out);
});

test.run();
