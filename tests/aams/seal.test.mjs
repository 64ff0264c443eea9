// seal.test.mjs: examples/seal.ts, the pipeline of library machines (stdin → zlib → AES-GCM →
// stdout, and back), against Node's zlib and crypto both ways, on Node and under QEMU. (Node's
// own deflate is Chromium's zlib: its bytes differ from zlib 1.3.1's, so peers are compared by
// what they open, not by the bytes they write.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as crypto from "node:crypto";
import * as zlib from "node:zlib";
import { aam, image, before } from "../lib/aam.mjs";

const KEY = Buffer.from("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "hex");
const IV = Buffer.from("cafebabefacedbaddecaf888", "hex");
const ARGS = ["-K", KEY.toString("hex"), "--iv", IV.toString("hex")];
const TIMEOUT = 300000;

// A deterministic corpus: text, random bytes (a fixed-seed generator), nothing.
function random(n, seed) {
  const b = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) { x = (x * 1664525 + 1013904223) >>> 0; b[i] = x >>> 24; }
  return b;
}
const TEXT = Buffer.from("The machine call is the mechanism every AAM design rides on.\n".repeat(20000));
const CORPUS = [["empty", Buffer.alloc(0)], ["text 1.2 MB", TEXT], ["random 1 MB", random(1 << 20, 7)]];

function nodeSeal(data) {
  const c = crypto.createCipheriv("aes-256-gcm", KEY, IV);
  const body = Buffer.concat([c.update(zlib.deflateSync(data)), c.final()]);
  return Buffer.concat([body, c.getAuthTag()]);
}
function nodeOpen(sealed) {
  const d = crypto.createDecipheriv("aes-256-gcm", KEY, IV);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return zlib.inflateSync(Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]));
}

let img;
before(test, async () => { img = await image("examples/seal.ts"); });

for (const [name, data] of CORPUS) {
  test(`seal (${name}): Node's crypto and zlib open what the pipeline wrote; the pipeline opens what Node sealed`, async () => {
    const s = await aam(["run", img, "--cores", "4", "--", "seal", ...ARGS], { input: data, binary: true, timeoutMs: TIMEOUT });
    assert.is(s.code, 0, s.stderr);
    assert.ok(nodeOpen(s.stdout).equals(data), "Node opens the sealed bytes to the input");
    const o = await aam(["run", img, "--cores", "4", "--", "open", ...ARGS], { input: nodeSeal(data), binary: true, timeoutMs: TIMEOUT });
    assert.is(o.code, 0, o.stderr);
    assert.ok(o.stdout.equals(data), `opened ${o.stdout.length} bytes, want ${data.length}`);
  });
}

test("--stats: both machines served calls, each on cores of its own", async () => {
  const r = await aam(["run", img, "--cores", "4", "--stats", "--", "seal", ...ARGS], { input: TEXT, binary: true, timeoutMs: TIMEOUT });
  assert.is(r.code, 0, r.stderr);
  const rows = Object.fromEntries(r.stderr.split("\n").filter((l) => /^(main|zlib|aes)\s/.test(l))
    .map((l) => { const [m, ...v] = l.trim().split(/\s+/); return [m, v.map(Number)]; }));
  assert.ok(rows.zlib && rows.aes, r.stderr);
  assert.ok(rows.zlib[2] >= 2 && rows.aes[2] >= 2, `calls in: zlib ${rows.zlib[2]}, aes ${rows.aes[2]}`);
  assert.ok(rows.zlib[6] >= 1 && rows.aes[6] >= 1, "each machine was granted a core");
});

test("a wrong key, a changed byte or a cut tag: open fails with the machine's error and writes nothing", async () => {
  const sealed = nodeSeal(TEXT.subarray(0, 5000));
  const bad = Buffer.from(sealed); bad[10] ^= 1;
  const wrongKey = ["-K", "11".repeat(32), "--iv", IV.toString("hex")];
  for (const [why, input, args] of [["changed byte", bad, ARGS], ["wrong key", sealed, wrongKey], ["cut", sealed.subarray(0, 8), ARGS]]) {
    const r = await aam(["run", img, "--cores", "2", "--", "open", ...args], { input, binary: true, timeoutMs: TIMEOUT });
    assert.is(r.code, 1, `${why}: ${r.stderr}`);
    assert.is(r.stdout.length, 0, `${why}: nothing written`);
    assert.match(r.stderr, /^seal: /m, why);
  }
  const u = await aam(["run", img, "--cores", "2", "--", "seal", "-K", "abc"], { input: "", timeoutMs: TIMEOUT });
  assert.is(u.code, 2, u.stderr);
});

test("QEMU: the same sealed bytes as on the Node host (the same zlib, byte for byte), and it opens them", async () => {
  const data = TEXT.subarray(0, 200000);
  const q = await aam(["boot", img, "--cores", "2", "--", "seal", ...ARGS], { input: data, binary: true, timeoutMs: TIMEOUT });
  assert.is(q.code, 0, q.stderr);
  const n = await aam(["run", img, "--cores", "2", "--", "seal", ...ARGS], { input: data, binary: true, timeoutMs: TIMEOUT });
  assert.ok(q.stdout.equals(n.stdout), "QEMU's sealed bytes are the Node host's");
  assert.ok(nodeOpen(q.stdout).equals(data), "Node's crypto and zlib open them");
  const o = await aam(["boot", img, "--cores", "2", "--", "open", ...ARGS], { input: q.stdout, binary: true, timeoutMs: TIMEOUT });
  assert.is(o.code, 0, o.stderr);
  assert.ok(o.stdout.equals(data));
});

test.run();
