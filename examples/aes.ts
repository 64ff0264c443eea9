// aes.ts: AES from the command line through machine aes (aams/aes), stdin to stdout.
//   aam run examples/aes.ts -- enc|dec --mode ctr|cbc|gcm -K <hex key> --iv <hex IV> [--aad <hex>] [--nopad] [--ct]
// Byte-compatible with `openssl enc -aes-<bits>-ctr|cbc -K … -iv …` (CBC with PKCS#7 padding
// unless --nopad, like openssl's -nopad) and with Node's crypto in every mode. GCM (openssl enc
// has none): encryption writes the ciphertext, then the 16-byte tag; decryption takes the same
// layout, checks the tag before anything is written and, on a mismatch, writes nothing and exits 1.
// The key's length picks AES-128, -192 or -256; --ct the constant-time cipher (aams/aes/README.md). Exit status: 0 done, 1 refused by the machine
// (its message on stderr), 2 bad usage.
//
// Streaming: ctr, cbc and gcm encryption go through one context in 1 MiB updates; the next piece
// of stdin is read while the machine works on the last (two buffers). GCM decryption reads all of
// stdin first: the tag is at the end, and no plaintext may come out before it is checked.
import { args, eprintln, heapAlloc, heapFree, stdinRead, stdoutWrite } from "aam";
import { AesMode, AesDir, AesClient, connectAes } from "../aams/aes/aes_igen_client";
import { defineAes, AES_NOPAD, AES_CONSTTIME, AES_TAG_BYTES } from "../aams/aes/machine";

export function machines(): void { defineAes(); }

const CHUNK: i32 = 1 << 20;
const USAGE = "usage: aes enc|dec --mode ctr|cbc|gcm -K <hex key> --iv <hex IV> [--aad <hex>] [--nopad] [--ct]";

// ── arguments ────────────────────────────────────────────────────────────────────────────────
@unmanaged class Bytes { p: usize; n: u32; }

function hexVal(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  c |= 32;
  return c >= 97 && c <= 102 ? c - 87 : -1;
}
/** The bytes of hex string `h` (null if it is not hex). */
function unhex(h: string): Bytes | null {
  if (h.length & 1) return null;
  let b = changetype<Bytes>(heapAlloc(offsetof<Bytes>()));
  b.n = <u32>h.length >> 1;
  b.p = heapAlloc(<usize>max<u32>(b.n, 1));
  for (let i: u32 = 0; i < b.n; i++) {
    let hi = hexVal(h.charCodeAt(2 * i)), lo = hexVal(h.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    store<u8>(b.p + i, <u8>((hi << 4) | lo));
  }
  return b;
}

function usage(why: string): i32 {
  eprintln("aes: " + why);
  eprintln(USAGE);
  return 2;
}

/** stdin into [p, p+cap) until it is full or the input ends; the count, or -1 on a read error. */
function readFull(p: usize, cap: i32): i32 {
  let n = 0;
  while (n < cap) {
    let r = stdinRead(p + n, cap - n);
    if (r < 0) return -1;
    if (r == 0) break;
    n += r;
  }
  return n;
}

// ── streaming: one context, two buffers ──────────────────────────────────────────────────────
function stream(c: AesClient, mode: AesMode, dir: AesDir, key: Bytes, iv: Bytes, aad: Bytes | null, flags: u32): i32 {
  let o = c.open(mode, dir, key.p, key.n, iv.p, iv.n, flags);
  let h = o.wait();
  if (o.failed) { eprintln("aes: " + o.error); o.release(); return 1; }
  o.release();
  if (aad != null && aad.n > 0) c.aadSync(h, aad.p, aad.n);
  let cap = CHUNK + 16;
  let inb = heapAlloc(<usize>CHUNK * 2), outb = heapAlloc(<usize>cap * 2);
  let cur = 0, n = readFull(inb, CHUNK);
  while (n > 0) {
    let src = inb + <usize>cur * CHUNK, dst = outb + <usize>cur * cap;
    let u = c.update(h, src, n, dst, cap);
    let next = readFull(inb + <usize>(cur ^ 1) * CHUNK, CHUNK);      // while the machine works
    let w = u.wait();
    if (u.failed) { eprintln("aes: " + u.error); u.release(); c.closeSync(h); return 1; }
    u.release();
    stdoutWrite(dst, <i32>w);
    if (next < 0) { eprintln("aes: reading stdin failed"); c.closeSync(h); return 1; }
    n = next;
    cur ^= 1;
  }
  if (n < 0) { eprintln("aes: reading stdin failed"); c.closeSync(h); return 1; }
  let tag = heapAlloc(AES_TAG_BYTES);
  let f = c.final(h, outb, cap, tag);
  let w = f.wait();
  if (f.failed) { eprintln("aes: " + f.error); f.release(); return 1; }
  f.release();
  stdoutWrite(outb, <i32>w);
  if (mode == AesMode.AES_GCM) stdoutWrite(tag, <i32>AES_TAG_BYTES);
  heapFree(tag); heapFree(inb); heapFree(outb);
  return 0;
}

// ── GCM decryption: all of stdin, the tag checked before any output ─────────────────────────
function gcmOpen(c: AesClient, key: Bytes, iv: Bytes, aad: Bytes | null, flags: u32): i32 {
  let cap = CHUNK, n = 0;
  let buf = heapAlloc(<usize>cap);
  for (;;) {
    if (n == cap) {
      let b = heapAlloc(<usize>cap << 1);
      memory.copy(b, buf, <usize>n);
      heapFree(buf);
      buf = b;
      cap <<= 1;
    }
    let r = stdinRead(buf + n, cap - n);
    if (r < 0) { eprintln("aes: reading stdin failed"); return 1; }
    if (r == 0) break;
    n += r;
  }
  if (n < <i32>AES_TAG_BYTES) { eprintln("aes: GCM input of " + n.toString() + " bytes is shorter than its 16-byte tag"); return 1; }
  let m = <u32>n - AES_TAG_BYTES;
  let out = heapAlloc(<usize>max<u32>(m, 1));
  let g = c.gcmDecrypt(key.p, key.n, iv.p, iv.n, aad != null ? aad.p : 0, aad != null ? aad.n : 0, buf, m, buf + m, out, flags);
  g.wait();
  if (g.failed) { eprintln("aes: " + g.error); g.release(); return 1; }
  g.release();
  stdoutWrite(out, <i32>m);
  heapFree(out); heapFree(buf);
  return 0;
}

export function main(): i32 {
  let a = args();
  if (a.length < 2 || (a[1] != "enc" && a[1] != "dec")) return usage("the first argument is enc or dec");
  let enc = a[1] == "enc";
  let mode = <AesMode>0, flags: u32 = 0;
  let key: Bytes | null = null, iv: Bytes | null = null, aad: Bytes | null = null;
  for (let i = 2; i < a.length; i++) {
    let opt = a[i];
    if (opt == "--nopad") { flags |= AES_NOPAD; continue; }
    if (opt == "--ct") { flags |= AES_CONSTTIME; continue; }
    if (i + 1 >= a.length) return usage(opt + " needs a value");
    let v = a[++i];
    if (opt == "--mode") {
      mode = v == "ctr" ? AesMode.AES_CTR : v == "cbc" ? AesMode.AES_CBC : v == "gcm" ? AesMode.AES_GCM : <AesMode>0;
      if (mode == 0) return usage("--mode " + v + ": not ctr, cbc or gcm");
    } else if (opt == "-K" || opt == "--iv" || opt == "--aad") {
      let b = unhex(v);
      if (b == null) return usage(opt + ": not an even number of hex digits");
      if (opt == "-K") key = b; else if (opt == "--iv") iv = b; else aad = b;
    } else return usage("unknown option " + opt);
  }
  if (mode == 0) return usage("--mode is required");
  if (key == null) return usage("-K is required");
  if (iv == null) return usage("--iv is required");
  if (aad != null && mode != AesMode.AES_GCM) return usage("--aad is for --mode gcm");
  if ((flags & AES_NOPAD) != 0 && mode != AesMode.AES_CBC) return usage("--nopad is for --mode cbc");
  let c = connectAes(4);
  if (!enc && mode == AesMode.AES_GCM) return gcmOpen(c, key!, iv!, aad, flags);
  return stream(c, mode, enc ? AesDir.AES_ENCRYPT : AesDir.AES_DECRYPT, key!, iv!, aad, flags);
}
