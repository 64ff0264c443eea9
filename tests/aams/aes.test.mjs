// aes.test.mjs: machine aes (aams/aes) against the published vectors, on the Node host and under
// QEMU with the same output, and its refusals of hostile input (the call fails with a message
// naming what was wrong, the machine keeps serving, no heap block is left behind).
// The peers (Node's crypto, openssl enc) over a generated corpus: aes-peers.test.mjs.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image } from "../lib/aam.mjs";
import { vectorOps, GCM } from "./vectors.mjs";

const CLI = "tests/aams/programs/aes_cli.ts";
const ops = vectorOps([0, 1, 5, 16, 17]);

async function runCli(specs, cores = 2, host = "run") {
  const img = await image(CLI);
  return aam([host, img, "--cores", String(cores), "--", ...specs]);
}

function checkLines(r, list) {
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.is(lines.length, list.length, r.stdout);
  list.forEach(([spec, want], i) => assert.is(lines[i], want, spec));
}

test("FIPS-197 C.1-C.3, SP 800-38A F.1/F.2/F.5 (ECB, CBC, CTR, each key size) and GCM test cases 1-6 encrypt and decrypt to the published bytes, whole and in 1-, 5-, 16- and 17-byte updates (Node, 2 cores)", async () => {
  checkLines(await runCli(ops.map((o) => o[0])), ops);
});

test("the same vectors on 1 core", async () => {
  checkLines(await runCli(ops.map((o) => o[0]), 1), ops);
});

test("the same vectors with the constant-time cipher and GHASH (AES_CONSTTIME), whole and in 1-, 17- and 64-byte updates", async () => {
  const ct = vectorOps([0, 1, 17, 64], true);
  checkLines(await runCli(ct.map((o) => o[0])), ct);
});

test("GCM: a flipped bit in the tag, the ciphertext or the AAD fails gcm_decrypt with 'tag mismatch' and writes no plaintext; the untouched message still opens", async () => {
  const v = GCM[3];                                 // test case 4: AAD and a partial last block
  const flip = (hex, i) => hex.slice(0, 2 * i) + ((parseInt(hex.slice(2 * i, 2 * i + 2), 16) ^ 1).toString(16).padStart(2, "0")) + hex.slice(2 * i + 2);
  const specs = [
    `dec:gcm:${v.key}:${v.iv}:${v.aad}:${v.ct}:0:${flip(v.tag, 15)}`,
    `dec:gcm:${v.key}:${v.iv}:${v.aad}:${flip(v.ct, 59)}:0:${v.tag}`,
    `dec:gcm:${v.key}:${v.iv}:${flip(v.aad, 0)}:${v.ct}:0:${v.tag}`,
    `dec:gcm:${v.key}:${v.iv.slice(2)}:${v.aad}:${v.ct}:0:${v.tag}`,
    `dec:gcm:${v.key}:${v.iv}:${v.aad}:${v.ct}:0:${v.tag}`,
  ];
  const r = await runCli(specs);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  const mismatch = "error aes.gcm_decrypt: tag mismatch: the 60-byte message or its additional data is not authentic (wrong key, IV, AAD or tag); no plaintext was written";
  for (let i = 0; i < 4; i++) assert.is(lines[i], mismatch, specs[i]);
  assert.is(lines[4], `out ${v.pt}`);
});

test("hostile input: wrong key and IV lengths, truncated and empty CBC ciphertext, bad padding, unpadded partial input, wrong GCM tag, AAD on CTR each fail the call with its message; 200 rounds of them, with good calls between (ECB, streamed constant-time GCM, streamed padded CBC), leave no heap block", async () => {
  const r = await runCli(["hostile", "200"]);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  const want = [
    /^error aes\.open: key of 15 bytes \(AES takes 16, 24 or 32\)$/,
    /^error aes\.open: IV of 15 bytes for CBC \(it takes 16\)$/,
    /^error aes\.open: IV of 0 bytes for GCM \(it takes 1 to 2\^29 - 1; 12 is usual\)$/,
    /^error aes\.final: context \d+ \(CBC\): ciphertext of 17 bytes is not a multiple of 16$/,
    /^error aes\.final: context \d+ \(CBC\): bad padding \(wrong key or IV, or a corrupt or truncated ciphertext\)$/,
    /^error aes\.final: context \d+ \(CBC\): empty ciphertext \(PKCS#7 padding takes at least one block\)$/,
    /^error aes\.final: context \d+ \(CBC\): input of 2 bytes is not a multiple of 16 \(no padding\)$/,
    /^error aes\.gcm_decrypt: tag mismatch: the 5-byte message .* no plaintext was written$/,
    /^error aes\.aad: context \d+ \(CTR\): additional data is for GCM only$/,
    /^out $/,
    /^out [0-9a-f]{66} tag [0-9a-f]{32}$/,
    /^out [0-9a-f]{96}$/,
    /^hostile rounds 200 wrong 0 blocks 0$/,
  ];
  assert.is(lines.length, want.length, r.stdout);
  want.forEach((re, i) => assert.match(lines[i], re));
  // Each refusal is reported as the handler task's failure (not the system's).
  assert.match(r.stderr, /aam: task trapped on core \d+ in serve_aes_final \(machine aes\): aes\.final: context \d+ \(CBC\): bad padding/);
});

test("misuse of handles: after final, made up, 0, a free slot's current generation, closed twice, a GCM decryption context, unknown flags, an output buffer too small: each refused by name; two calls at once on one context never both run", async () => {
  const r = await runCli(["handles"]);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  const want = [
    /^update after final: aes\.update: context \d+ is closed \(or was never opened\)$/,
    /^made-up handle: aes\.update: context 30583 is closed \(or was never opened\)$/,
    /^handle 0: aes\.close: context 0 is not a handle of machine aes$/,
    /^free slot, current generation: aes\.update: context 4095 is closed \(or was never opened\)$/,
    /^closed twice: aes\.close: context \d+ is closed \(or was never opened\)$/,
    /^GCM decrypt context: aes\.open: GCM decryption is one call, aes\.gcm_decrypt \(it checks the tag before it writes any plaintext\)$/,
    /^unknown flags: aes\.open: unknown flags 0xc \(AES_NOPAD is 1, AES_CONSTTIME 2\)$/,
    /^concurrent updates: 100 of 100 either ran or were refused as in use$/,
    /^small output: aes\.update: context \d+ \(CBC\): output buffer of 10 bytes, this call writes 96$/,
  ];
  assert.is(lines.length, want.length, r.stdout);
  want.forEach((re, i) => assert.match(lines[i], re));
});

// The kernel keeps 1 KiB of argument text (boot/platform.c args_buf) and drops what does not fit,
// so the operations go in batches, each booted on its own.
function batches(specs, bytes = 900) {
  const out = [[]];
  let used = 0;
  for (const s of specs) {
    if (used + s.length + 1 > bytes && out[out.length - 1].length) { out.push([]); used = 0; }
    out[out.length - 1].push(s);
    used += s.length + 1;
  }
  return out;
}

test("QEMU (aam boot, -smp 2) prints the same bytes as Node for every vector operation, whole and in 17-byte updates, with both ciphers", async () => {
  const list = [...vectorOps([0, 17]), ...vectorOps([0, 17], true)];
  const byspec = new Map(list);
  for (const batch of batches(list.map((o) => o[0]))) {
    const node = await runCli(batch);
    checkLines(node, batch.map((s) => [s, byspec.get(s)]));
    const qemu = await runCli(batch, 2, "boot");
    assert.is(qemu.code, 0, qemu.stderr);
    assert.is(qemu.stdout, node.stdout);
  }
});

test("QEMU -smp 1 and 2: the hostile inputs fail with the same messages as on Node, and leave no heap block", async () => {
  const node = await runCli(["hostile", "20"]);
  for (const smp of [1, 2]) {
    const qemu = await runCli(["hostile", "20"], smp, "boot");
    assert.is(qemu.code, 0, qemu.stderr);
    assert.is(qemu.stdout, node.stdout, `-smp ${smp}`);
  }
  assert.match(node.stdout, "hostile rounds 20 wrong 0 blocks 0");
});

test.run();
