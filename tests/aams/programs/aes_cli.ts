// aes_cli.ts: machine aes (aams/aes) driven from the command line, for tests/aams: each argument
// after `--` is one operation, `enc|dec:mode:key:iv:aad:data:chunk[:tag][:flags]` (hex fields,
// chunk the update size in bytes, 0 = all at once; flags nopad, ct or nopad+ct), and prints one line per operation:
// `out <hex> tag <hex>` or `error <the failed call's message>`. `hostile N` instead runs every
// hostile case N times quietly, counts the calls that did not fail with the expected error and
// the heap blocks left over, then prints each case's message once.
// Output depends only on the arguments, so Node and QEMU must print the same bytes.
import { println, args, heapAlloc, heapFree, coreCount, heapBlocksInUse, yieldNow, tasksLive } from "aam";
import { FW_CTX_LIVE } from "~lib/rt/abi";
import { AesMode, AesDir, AesClient, connectAes } from "../../../aams/aes/aes_igen_client";
import { defineAes, AES_NOPAD, AES_CONSTTIME } from "../../../aams/aes/machine";

export function machines(): void { defineAes({ maxCores: 2 }); }

// ── hex ──────────────────────────────────────────────────────────────────────────────────────
function hexVal(c: i32): i32 { return c <= 57 ? c - 48 : (c | 32) - 87; }
/** The bytes of `h` in a new heap block (at least 1 byte, so 0 means nothing). */
function unhex(h: string): usize {
  let n = h.length >> 1, p = heapAlloc(<usize>max(n, 1));
  for (let i = 0; i < n; i++) store<u8>(p + i, <u8>((hexVal(h.charCodeAt(2 * i)) << 4) | hexVal(h.charCodeAt(2 * i + 1))));
  return p;
}
function hex(p: usize, n: u32): string {
  let s = "";
  const D = "0123456789abcdef";
  for (let i: u32 = 0; i < n; i++) { let b = load<u8>(p + i); s += D.charAt(b >> 4) + D.charAt(b & 15); }
  return s;
}
function modeOf(m: string): AesMode {
  return m == "ecb" ? AesMode.AES_ECB : m == "cbc" ? AesMode.AES_CBC : m == "ctr" ? AesMode.AES_CTR : m == "gcm" ? AesMode.AES_GCM : <AesMode>99;
}

// ── one operation ────────────────────────────────────────────────────────────────────────────
// An operation's inputs, parsed once into heap blocks.
@unmanaged class Op {
  enc: bool; mode: AesMode; flags: u32; chunk: u32;
  key: usize; kl: u32; iv: usize; il: u32; aad: usize; al: u32; data: usize; n: u32; tag: usize; out: usize;
}

function parse(spec: string): Op {
  let f = spec.split(":");
  let x = changetype<Op>(heapAlloc(offsetof<Op>()));
  x.enc = f[0] == "enc"; x.mode = modeOf(f[1]);
  x.key = unhex(f[2]); x.kl = <u32>f[2].length >> 1;
  x.iv = unhex(f[3]); x.il = <u32>f[3].length >> 1;
  x.aad = unhex(f[4]); x.al = <u32>f[4].length >> 1;
  x.data = unhex(f[5]); x.n = <u32>f[5].length >> 1;
  x.chunk = <u32>I32.parseInt(f[6]);
  x.tag = f.length > 7 && f[7].length > 0 ? unhex(f[7]) : heapAlloc(16);
  x.flags = 0;                                       // field 8: "nopad", "ct" or "nopad+ct"
  if (f.length > 8 && f[8].includes("nopad")) x.flags |= AES_NOPAD;
  if (f.length > 8 && f[8].includes("ct")) x.flags |= AES_CONSTTIME;
  x.out = heapAlloc(<usize>x.n + 32);
  return x;
}

function freeOp(x: Op): void {
  heapFree(x.key); heapFree(x.iv); heapFree(x.aad); heapFree(x.data); heapFree(x.tag); heapFree(x.out);
  heapFree(changetype<usize>(x));
}

// A failed call: its message (verbose), or whether it starts with `want` (quiet: no allocation).
function failure(err: string, verbose: bool, want: string): string {
  if (verbose) return "error " + err;
  return want != "ok" && err.startsWith(want) ? "match" : "mismatch";
}

/** Runs x; verbose: `out <hex> [tag <hex>]` or `error <message>`; quiet: "match" when it failed
 *  with `want` (or succeeded, want "ok"), else "mismatch". */
function run(c: AesClient, x: Op, verbose: bool, want: string): string {
  if (!x.enc && x.mode == AesMode.AES_GCM) {
    let g = c.gcmDecrypt(x.key, x.kl, x.iv, x.il, x.aad, x.al, x.data, x.n, x.tag, x.out, x.flags);
    let w = g.wait();
    let r = g.failed ? failure(g.error, verbose, want) : verbose ? "out " + hex(x.out, w) : want == "ok" ? "match" : "mismatch";
    g.release();
    return r;
  }
  let o = c.open(x.mode, x.enc ? AesDir.AES_ENCRYPT : AesDir.AES_DECRYPT, x.key, x.kl, x.iv, x.il, x.flags);
  let h = o.wait();
  if (o.failed) { let r = failure(o.error, verbose, want); o.release(); return r; }
  o.release();
  if (x.al > 0) {
    let a = c.aad(h, x.aad, x.al);
    a.wait();
    if (a.failed) { let r = failure(a.error, verbose, want); a.release(); c.closeSync(h); return r; }
    a.release();
  }
  let written: u32 = 0, n = x.n;
  let step = x.chunk == 0 ? max<u32>(n, 1) : x.chunk;
  for (let i: u32 = 0; i < n; i += step) {
    let u = c.update(h, x.data + i, min(step, n - i), x.out + written, n + 32 - written);
    let w = u.wait();
    if (u.failed) { let r = failure(u.error, verbose, want); u.release(); c.closeSync(h); return r; }
    u.release();
    written += w;
  }
  let fin = c.final(h, x.out + written, n + 32 - written, x.tag);
  let w = fin.wait();
  if (fin.failed) { let r = failure(fin.error, verbose, want); fin.release(); return r; }
  fin.release();
  if (!verbose) return want == "ok" ? "match" : "mismatch";
  return "out " + hex(x.out, written + w) + (x.mode == AesMode.AES_GCM ? " tag " + hex(x.tag, 16) : "");
}

// ── hostile inputs, repeated, with a leak count ──────────────────────────────────────────────
const K16 = "000102030405060708090a0b0c0d0e0f";
const IV = "101112131415161718191a1b1c1d1e1f";
// [spec, the start of the expected error]
const HOSTILE: string[][] = [
  ["enc:ctr:" + K16.slice(2) + ":" + IV + "::00:0", "aes.open: key of 15 bytes (AES takes 16, 24 or 32)"],
  ["enc:cbc:" + K16 + ":" + IV.slice(2) + "::00:0", "aes.open: IV of 15 bytes for CBC (it takes 16)"],
  ["enc:gcm:" + K16 + ":::00:0", "aes.open: IV of 0 bytes for GCM"],
  ["dec:cbc:" + K16 + ":" + IV + "::" + K16 + "00:0", "aes.final: context"],               // 17 bytes: truncated/extended
  ["dec:cbc:" + K16 + ":" + IV + "::" + K16 + ":0", "aes.final: context"],                 // one block that decrypts to bad padding
  ["dec:cbc:" + K16 + ":" + IV + ":::0", "aes.final: context"],                            // empty ciphertext
  ["enc:cbc:" + K16 + ":" + IV + "::0011:0::nopad", "aes.final: context"],                 // no padding, 2 bytes
  ["dec:gcm:" + K16 + ":cafebabefacedbaddecaf888:feed:0102030405:0:" + K16, "aes.gcm_decrypt: tag mismatch"],
  ["enc:ctr:" + K16 + ":" + IV + ":aa:00:0", "aes.aad: context"],                          // AAD on CTR
  ["enc:ecb:" + K16 + "::::0", "ok"],                                                      // good calls between the bad ones:
  ["enc:gcm:" + K16 + ":cafebabefacedbaddecaf888:feed:" + IV + IV + "00:5::ct", "ok"],     // streamed, constant-time
  ["enc:cbc:" + K16 + ":" + IV + "::" + K16 + IV + "ff:3", "ok"],                          // streamed in 3-byte updates, padded
];

function settled(): i64 {
  for (let i = 0; i < 100000 && (tasksLive() > 1 || atomic.load<u32>(FW_CTX_LIVE) > 0); i++) yieldNow();
  let b: i64 = 0;
  for (let k = 0; k < coreCount(); k++) b += <i64>heapBlocksInUse(k);
  return b;
}

// Handles used wrongly: after final, made up, closed twice, two calls on one context at once.
function handles(c: AesClient): void {
  let key = heapAlloc(32), buf = heapAlloc(4096), tag = heapAlloc(16);
  memory.fill(key, 7, 32);
  let h = c.openSync(AesMode.AES_CTR, AesDir.AES_ENCRYPT, key, 16, key, 16, 0);
  c.finalSync(h, buf, 16, tag);
  let u = c.update(h, buf, 16, buf, 16); u.wait(); println("update after final: " + u.error); u.release();
  let m = c.update(0x7777, buf, 16, buf, 16); m.wait(); println("made-up handle: " + m.error); m.release();
  let z = c.close(0); z.wait(); println("handle 0: " + z.error); z.release();
  let v = c.update(4095, buf, 16, buf, 16); v.wait(); println("free slot, current generation: " + v.error); v.release();
  let h2 = c.openSync(AesMode.AES_GCM, AesDir.AES_ENCRYPT, key, 32, key, 12, 0);
  c.closeSync(h2);
  let d = c.close(h2); d.wait(); println("closed twice: " + d.error); d.release();
  let g = c.open(AesMode.AES_GCM, AesDir.AES_DECRYPT, key, 16, key, 12, 0); g.wait(); println("GCM decrypt context: " + g.error); g.release();
  let f = c.open(AesMode.AES_CBC, AesDir.AES_ENCRYPT, key, 16, key, 16, 12); f.wait(); println("unknown flags: " + f.error); f.release();
  // Two updates in flight on one context: one may find it taken ("in use"); both never run at once.
  let h3 = c.openSync(AesMode.AES_CTR, AesDir.AES_ENCRYPT, key, 16, key, 16, 0);
  let busy = 0, done = 0;
  for (let i = 0; i < 50; i++) {
    let x = c.update(h3, buf, 4096, buf, 4096), y = c.update(h3, buf, 4096, buf, 4096);
    x.wait(); y.wait();
    if (x.failed && x.error.includes("is in use by another call")) busy++; else if (!x.failed) done++;
    if (y.failed && y.error.includes("is in use by another call")) busy++; else if (!y.failed) done++;
    x.release(); y.release();
  }
  c.closeSync(h3);
  println("concurrent updates: " + (busy + done).toString() + " of 100 either ran or were refused as in use");
  let small = c.openSync(AesMode.AES_CBC, AesDir.AES_ENCRYPT, key, 16, key, 16, 0);
  let s2 = c.update(small, buf, 100, buf, 10); s2.wait(); println("small output: " + s2.error); s2.release();
  c.closeSync(small);
  heapFree(key); heapFree(buf); heapFree(tag);
}

export function main(): i32 {
  let a = args();
  let c = connectAes(16);
  if (a.length > 1 && a[1] == "handles") { handles(c); return 0; }
  if (a.length > 1 && a[1] == "hostile") {
    let rounds = I32.parseInt(a[2]);
    let ops = new Array<Op>(HOSTILE.length);
    for (let k = 0; k < HOSTILE.length; k++) { ops[k] = parse(HOSTILE[k][0]); run(c, ops[k], false, HOSTILE[k][1]); }
    let wrong = 0;
    let before = settled();
    for (let r = 0; r < rounds; r++)
      for (let k = 0; k < HOSTILE.length; k++) if (run(c, ops[k], false, HOSTILE[k][1]) != "match") wrong++;
    let grew = settled() - before;
    for (let k = 0; k < HOSTILE.length; k++) { println(run(c, ops[k], true, "")); freeOp(ops[k]); }
    println("hostile rounds " + rounds.toString() + " wrong " + wrong.toString() + " blocks " + grew.toString());
    return 0;
  }
  for (let i = 1; i < a.length; i++) { let x = parse(a[i]); println(run(c, x, true, "")); freeOp(x); }
  return 0;
}
