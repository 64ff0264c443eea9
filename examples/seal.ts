// seal.ts: the paper's pipeline of library machines (§4.1): standard input through the zlib
// machine (the real zlib, a foreign machine on its own core), then the AES-GCM machine (user-level,
// on its own cores), to standard output; and back.
//
//   aam run examples/seal.ts -- seal -K <hex key> --iv <hex 12-byte IV> < in > sealed
//   aam run examples/seal.ts -- open -K <hex key> --iv <hex 12-byte IV> < sealed > in
//   add --stats before `--` to see each machine's calls and the cores it was granted
//
// sealed = AES-GCM(key, iv, zlib deflate(in)) followed by the 16-byte tag: what Node writes with
// `createCipheriv("aes-256-gcm", key, iv)` over `zlib.deflateSync(in)` (tests/aams/seal.test.mjs).
// Sealing streams: each 64 KiB of input is compressed, each piece of zlib's output encrypted and
// written while the next is read. Opening checks the tag over the whole message before any
// plaintext leaves (a GCM decryption that streamed would release unauthenticated bytes), so it
// reads all its input first. A bad key, IV or tag, or corrupt data: a message on stderr, status 1;
// a bad command line: status 2.

import { args, eprintln, heapAlloc, heapFree, stdinRead, stdoutWrite, stdinReadAll } from "aam";
import { zlibMachine, ZStream, ZLIB_DEFLATE, ZLIB_INFLATE, ZLIB_FORMAT_ZLIB } from "../aams/zlib";
import { AesMode, AesDir, AesClient, connectAes } from "../aams/aes/aes_igen_client";
import { defineAes, AES_TAG_BYTES } from "../aams/aes/machine";

export function machines(): void {
  zlibMachine();
  defineAes({ maxCores: 2 });
}

const USAGE = "usage: seal seal|open -K <hex key of 16, 24 or 32 bytes> --iv <hex IV>";
const CHUNK: i32 = 65536;

function usage(why: string): i32 {
  eprintln("seal: " + why);
  eprintln(USAGE);
  return 2;
}

function hexVal(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  c |= 32;
  return c >= 97 && c <= 102 ? c - 87 : -1;
}

// The bytes of hex string `h` in a new heap block (its length is h.length / 2); 0 if not hex.
function unhex(h: string): usize {
  if (h.length == 0 || (h.length & 1)) return 0;
  let p = heapAlloc(<usize>h.length >> 1);
  for (let i = 0; i < h.length >> 1; i++) {
    let hi = hexVal(h.charCodeAt(2 * i)), lo = hexVal(h.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) { heapFree(p); return 0; }
    store<u8>(p + <usize>i, <u8>((hi << 4) | lo));
  }
  return p;
}

// What the zlib sink needs to encrypt a piece: a heap record, its address the sink's argument
// (a task may move between cores, and module-level variables are per core).
@unmanaged class Sealer { aes: AesClient; ctx: u32; out: usize; cap: u32; failed: bool; }

// zlib's output (pieces of any size) → machine aes (one update call per CHUNK bytes) → stdout.
function encryptPiece(p: usize, n: i32, arg: u64): void {
  let s = changetype<Sealer>(<usize>arg);
  for (let off = 0; off < n && !s.failed; off += CHUNK) {
    let k = min(CHUNK, n - off);
    let u = s.aes.update(s.ctx, p + <usize>off, <u32>k, s.out, s.cap);
    let w = u.wait();
    if (u.failed) { eprintln("seal: " + u.error); s.failed = true; u.release(); return; }
    u.release();
    stdoutWrite(s.out, <i32>w);
  }
}

function seal(c: AesClient, key: usize, keyLen: u32, iv: usize, ivLen: u32): i32 {
  let o = c.open(AesMode.AES_GCM, AesDir.AES_ENCRYPT, key, keyLen, iv, ivLen, 0);
  let ctx = <u32>o.wait();
  if (o.failed) { eprintln("seal: " + o.error); o.release(); return 1; }
  o.release();
  let z = ZStream.open(ZLIB_DEFLATE, ZLIB_FORMAT_ZLIB, -1);
  if (!z) { eprintln("seal: " + ZStream.lastError); c.closeSync(ctx); return 1; }
  let s = changetype<Sealer>(heapAlloc(offsetof<Sealer>()));
  s.aes = c; s.ctx = ctx; s.cap = <u32>CHUNK + 16; s.out = heapAlloc(<usize>s.cap); s.failed = false;
  let buf = heapAlloc(<usize>CHUNK);
  let status = 0;
  while (true) {
    let n = stdinRead(buf, CHUNK);
    if (n < 0) { eprintln("seal: cannot read standard input (errno " + (-n).toString() + ")"); status = 1; break; }
    if (!z.push(buf, <u32>n, n == 0, encryptPiece, <u64>changetype<usize>(s))) { eprintln("seal: " + z.error); status = 1; break; }
    if (s.failed) { status = 1; break; }
    if (n == 0) break;
  }
  z.close();
  if (status == 0) {
    let tag = heapAlloc(AES_TAG_BYTES);
    let f = c.final(ctx, s.out, s.cap, tag);
    let w = f.wait();
    if (f.failed) { eprintln("seal: " + f.error); status = 1; }
    else { stdoutWrite(s.out, <i32>w); stdoutWrite(tag, <i32>AES_TAG_BYTES); }
    f.release();
    heapFree(tag);
  } else c.closeSync(ctx);
  heapFree(buf); heapFree(s.out); heapFree(changetype<usize>(s));
  return status;
}

function toStdout(p: usize, n: i32, arg: u64): void { stdoutWrite(p, n); }

function open(c: AesClient, key: usize, keyLen: u32, iv: usize, ivLen: u32): i32 {
  let all = stdinReadAll();
  let n = <u32>all.byteLength, src = changetype<usize>(all);
  if (n < AES_TAG_BYTES) { eprintln("seal: a sealed input is at least its 16-byte tag; got " + n.toString() + " bytes"); return 1; }
  let m = n - AES_TAG_BYTES;
  let plain = heapAlloc(<usize>max<u32>(m, 1));
  let g = c.gcmDecrypt(key, keyLen, iv, ivLen, 0, 0, src, m, src + m, plain, 0);
  g.wait();
  if (g.failed) { eprintln("seal: " + g.error); g.release(); heapFree(plain); return 1; }
  g.release();
  let z = ZStream.open(ZLIB_INFLATE, ZLIB_FORMAT_ZLIB, -1);
  if (!z) { eprintln("seal: " + ZStream.lastError); heapFree(plain); return 1; }
  let status = 0;
  for (let off: u32 = 0; ; off += <u32>CHUNK) {           // zlib takes 64 KiB a call
    let k = min<u32>(<u32>CHUNK, m - min(off, m));
    let last = off + k >= m;
    if (!z.push(plain + off, k, last, toStdout)) { eprintln("seal: " + z.error); status = 1; break; }
    if (last) break;
  }
  z.close();
  heapFree(plain);
  return status;
}

export function main(): i32 {
  let a = args();
  if (a.length < 2 || (a[1] != "seal" && a[1] != "open")) return usage("the first argument is seal or open");
  let key: usize = 0, keyLen: u32 = 0, iv: usize = 0, ivLen: u32 = 0;
  for (let i = 2; i < a.length; i++) {
    let opt = a[i];
    if (i + 1 >= a.length) return usage(opt + " needs a value");
    let v = a[++i];
    let p = unhex(v);
    if (!p) return usage(opt + ": not an even number of hex digits");
    if (opt == "-K") { key = p; keyLen = <u32>v.length >> 1; }
    else if (opt == "--iv") { iv = p; ivLen = <u32>v.length >> 1; }
    else return usage("unknown option " + opt);
  }
  if (!key) return usage("-K is required");
  if (!iv) return usage("--iv is required");
  let c = connectAes(4);
  return a[1] == "seal" ? seal(c, key, keyLen, iv, ivLen) : open(c, key, keyLen, iv, ivLen);
}
