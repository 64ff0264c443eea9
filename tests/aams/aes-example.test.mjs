// aes-example.test.mjs: examples/aes.ts as a shell filter: its output is byte-equal to
// `openssl enc` (CTR, CBC with PKCS#7 and with --nopad) and to Node's crypto (GCM: ciphertext then
// the 16-byte tag), and it decrypts theirs; a tampered GCM input gives no output and status 1;
// bad usage gives status 2. Needs the runtime's stdinRead/stdoutWrite (the stdio work): without
// them the tests are skipped with a note, as the example cannot be built.
//
// Runs with --cores 1: on the Node host each core keeps the stdout bytes after its last newline
// until its next write (tools/host/worker.ts consoleWrite), so binary output written by a task
// that moved to another core in between can come out of order (seen with --cores 2, ~1 run in 3).
import * as fs from "node:fs";
import * as path from "node:path";
import * as crypto from "node:crypto";
import { spawn, spawnSync } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { image, ROOT, AAM, HANG_MS, before } from "../lib/aam.mjs";


/** `aam run <img> --cores 1 -- …args` with `input` on stdin; {code, stdout: Buffer, stderr}. */
function filter(img, args, input) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [AAM, "run", img, "--cores", "1", "--", ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    const out = [], err = [];
    p.stdout.on("data", (d) => out.push(d));
    p.stderr.on("data", (d) => err.push(d));
    const timer = setTimeout(() => { p.kill("SIGKILL"); reject(new Error(`aes ${args.join(" ")} hung`)); }, HANG_MS);
    p.on("close", (code) => { clearTimeout(timer); resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }); });
    p.stdin.on("error", () => {});
    p.stdin.end(input);
  });
}

function prng(n, seed) {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; out[i] = x & 0xff; }
  return out;
}
const CORPUS = [
  ["empty", Buffer.alloc(0)], ["1 byte", Buffer.from("x")], ["text", Buffer.from("all work and no play makes jack a dull boy\n".repeat(50))],
  ["random 3 MB", prng(3_000_000, 17)], ["repetitive 2 MiB", Buffer.alloc(2 << 20, 0x20)],
];
const KEYS = { 128: "000102030405060708090a0b0c0d0e0f", 256: "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4" };
const IV = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", GIV = "cafebabefacedbaddecaf888", AAD = "feedfacedeadbeef";

let img;
before(test, async () => { img = await image("examples/aes.ts"); });
const t = test;

for (const [mode, bits, extra] of [["ctr", 128, []], ["ctr", 256, []], ["cbc", 128, []], ["cbc", 256, ["--nopad"]]]) {
  t(`${mode} AES-${bits}${extra.length ? " --nopad" : ""}: aes enc equals openssl enc, and aes dec gives back what openssl enc made, over the corpus`, async () => {
    const K = KEYS[bits];
    for (const [name, data0] of CORPUS) {
      const data = extra.length ? data0.subarray(0, data0.length & ~15) : data0;
      const ossl = ["enc", `-aes-${bits}-${mode}`, "-K", K, "-iv", IV, ...(extra.length ? ["-nopad"] : [])];
      const ours = await filter(img, ["enc", "--mode", mode, "-K", K, "--iv", IV, ...extra], data);
      assert.is(ours.code, 0, ours.stderr);
      const theirs = spawnSync("openssl", ossl, { input: data, maxBuffer: 64 << 20 }).stdout;
      assert.ok(ours.stdout.equals(theirs), `${name}: our ciphertext is not openssl's (${ours.stdout.length} vs ${theirs.length} bytes)`);
      const back = await filter(img, ["dec", "--mode", mode, "-K", K, "--iv", IV, ...extra], theirs);
      assert.is(back.code, 0, back.stderr);
      assert.ok(back.stdout.equals(data), `${name}: we do not decrypt openssl's`);
    }
  });
}

t("gcm: aes enc writes Node's ciphertext then its 16-byte tag; aes dec opens what Node sealed, over the corpus", async () => {
  for (const [name, data] of CORPUS) {
    const c = crypto.createCipheriv("aes-128-gcm", Buffer.from(KEYS[128], "hex"), Buffer.from(GIV, "hex"));
    c.setAAD(Buffer.from(AAD, "hex"));
    const sealed = Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
    const ours = await filter(img, ["enc", "--mode", "gcm", "-K", KEYS[128], "--iv", GIV, "--aad", AAD], data);
    assert.is(ours.code, 0, ours.stderr);
    assert.ok(ours.stdout.equals(sealed), `${name}: not Node's ciphertext || tag`);
    const back = await filter(img, ["dec", "--mode", "gcm", "-K", KEYS[128], "--iv", GIV, "--aad", AAD], sealed);
    assert.is(back.code, 0, back.stderr);
    assert.ok(back.stdout.equals(data), `${name}: we do not open Node's`);
  }
});

t("--ct (the constant-time cipher) writes the same bytes as without it, and reads them back: ctr, cbc, gcm over text and 3 MB", async () => {
  for (const mode of ["ctr", "cbc", "gcm"]) {
    const iv = mode === "gcm" ? GIV : IV;
    for (const [name, data] of [CORPUS[2], CORPUS[3]]) {
      const plain = await filter(img, ["enc", "--mode", mode, "-K", KEYS[256], "--iv", iv], data);
      const ct = await filter(img, ["enc", "--mode", mode, "-K", KEYS[256], "--iv", iv, "--ct"], data);
      assert.is(ct.code, 0, ct.stderr);
      assert.ok(ct.stdout.equals(plain.stdout), `${mode} ${name}: --ct differs`);
      const back = await filter(img, ["dec", "--mode", mode, "-K", KEYS[256], "--iv", iv, "--ct"], ct.stdout);
      assert.is(back.code, 0, back.stderr);
      assert.ok(back.stdout.equals(data), `${mode} ${name}: --ct does not decrypt`);
    }
  }
});

t("gcm dec of a tampered or truncated input writes nothing and exits 1 with the machine's message", async () => {
  const data = prng(100000, 3);
  const c = crypto.createCipheriv("aes-128-gcm", Buffer.from(KEYS[128], "hex"), Buffer.from(GIV, "hex"));
  const sealed = Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
  const bad = Buffer.from(sealed); bad[99999] ^= 1;
  for (const [what, input] of [["a flipped bit", bad], ["the tag cut off", sealed.subarray(0, 100000)], ["under 16 bytes", sealed.subarray(0, 10)]]) {
    const r = await filter(img, ["dec", "--mode", "gcm", "-K", KEYS[128], "--iv", GIV], input);
    assert.is(r.code, 1, `${what}: ${r.stderr}`);
    assert.is(r.stdout.length, 0, `${what}: wrote output`);
    assert.match(r.stderr, what === "under 16 bytes" ? "aes: GCM input of 10 bytes is shorter than its 16-byte tag" : "aes: aes.gcm_decrypt: tag mismatch", what);
  }
});

t("cbc dec of a truncated ciphertext or with the wrong key exits 1 naming the failure; bad usage exits 2", async () => {
  const enc = await filter(img, ["enc", "--mode", "cbc", "-K", KEYS[128], "--iv", IV], Buffer.from("sixteen bytes!!!and more"));
  const trunc = await filter(img, ["dec", "--mode", "cbc", "-K", KEYS[128], "--iv", IV], enc.stdout.subarray(0, 20));
  assert.is(trunc.code, 1);
  assert.match(trunc.stderr, "(CBC): ciphertext of 20 bytes is not a multiple of 16");
  const wrong = await filter(img, ["dec", "--mode", "cbc", "-K", KEYS[256], "--iv", IV], enc.stdout);
  assert.is(wrong.code, 1);
  assert.match(wrong.stderr, "bad padding");
  const short = await filter(img, ["enc", "--mode", "ctr", "-K", "0011", "--iv", IV], Buffer.from("x"));
  assert.is(short.code, 1);
  assert.match(short.stderr, "aes: aes.open: key of 2 bytes (AES takes 16, 24 or 32)");
  for (const args of [["enc"], ["zip", "--mode", "ctr"], ["enc", "--mode", "ofb", "-K", KEYS[128], "--iv", IV], ["enc", "--mode", "ctr", "-K", "xyz", "--iv", IV]]) {
    const r = await filter(img, args, Buffer.alloc(0));
    assert.is(r.code, 2, args.join(" "));
    assert.match(r.stderr, "usage: aes enc|dec --mode ctr|cbc|gcm");
  }
});

test.run();
