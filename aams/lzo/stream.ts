// stream.ts: lzop files as streams, on the client's side of machine "lzo": read a source in
// 256 KiB blocks, have the machine compress several of them at once (its cores work in parallel),
// write the results in order; and the reverse, the same way. Owns: the buffering, the
// order of writes, the file offset for errors, which block sizes are worth sending ahead. Not: the
// formats (the machine parses and checks every byte).
//
// The source and sink are function references with the signatures of "aam"'s stdinRead and
// stdoutWrite, so `lzopCompress(lzo, stdinRead, stdoutWrite)` is a pipe stage; tests pass
// readers over memory. Both return "" on success or what went wrong; nothing stays allocated.

import { heapAlloc, heapFree } from "aam";
import { LzoClient, LzopHeader, LzopBlock, LzoBlockWriteCall, LzoBlockReadCall } from "./lzo_igen_client";
import { F_ADLER32_D, F_STDIN, F_STDOUT, F_OS_UNIX, LZOP_VERSION, LZOP_LIB_VERSION, LZOP_NEEDED, LZOP_METHOD_LZO1X_1,
  LZOP_LEVEL, LZOP_BLOCK_SIZE, LZOP_HEADER_MAX, LZOP_MAX_BLOCK, F_ADLER32_C, F_CRC32_D, F_CRC32_C, lzopBlockBound } from "./lzop";

/** Reads up to len bytes into buf: the count, 0 at the end, < 0 on an error (as stdinRead). */
export type ReadFn = (buf: usize, len: i32) => i32;
/** Writes len bytes from buf (as stdoutWrite). */
export type WriteFn = (buf: usize, len: i32) => void;

/** The flags lzop 1.04 writes for `lzop -c < in`: Adler-32 of each block's data, Unix. */
export const LZOP_DEFAULT_FLAGS: u32 = F_OS_UNIX | F_STDIN | F_STDOUT | F_ADLER32_D;

/** The string an error of a call carries, copied: the call's own lives only until its release. */
function copyOf(s: string): string { return String.UTF16.decodeUnsafe(changetype<usize>(s), <usize>s.length << 1); }

// Reads until len bytes or the end; the count, or a negative read error.
function readFull(read: ReadFn, buf: usize, len: i32): i32 {
  let got = 0;
  while (got < len) {
    let r = read(buf + got, len - got);
    if (r < 0) return r;
    if (r == 0) break;
    got += r;
  }
  return got;
}

// ── compression: up to `inFlight` blocks at the machine at once, written in input order ─────

// A slot: the block read, its lzop block, the call in flight (0: none).
const C_IN = 0, C_OUT = 4, C_CALL = 8, C_SLOT = 12;

/** Compresses everything read() gives into one lzop file given to write(). flags: the
 *  checksum and OS bits of the header (LZOP_DEFAULT_FLAGS is what lzop writes). */
export function lzopCompress(lzo: LzoClient, read: ReadFn, write: WriteFn, flags: u32 = LZOP_DEFAULT_FLAGS, inFlight: i32 = 4): string {
  let h = LzopHeader.alloc();
  h.version = LZOP_VERSION; h.lib_version = LZOP_LIB_VERSION; h.version_needed = LZOP_NEEDED;
  h.method = LZOP_METHOD_LZO1X_1; h.level = LZOP_LEVEL; h.flags = flags; h.mode = 0o100644;
  let out = heapAlloc(LZOP_HEADER_MAX);
  let hc = lzo.headerWrite(h, out, LZOP_HEADER_MAX);
  let n = hc.wait(), err = hc.failed ? copyOf(hc.error) : "";
  hc.release();
  h.free();
  if (err.length == 0) write(out, n);
  heapFree(out);
  if (err.length) return err;

  // Slot k % inFlight holds block k from its read until its write.
  let bound = lzopBlockBound(LZOP_BLOCK_SIZE);
  let slots = heapAlloc(<usize>inFlight * C_SLOT);
  for (let k = 0; k < inFlight; k++) {
    let sl = slots + <usize>k * C_SLOT;
    store<usize>(sl + C_IN, heapAlloc(LZOP_BLOCK_SIZE));
    store<usize>(sl + C_OUT, heapAlloc(bound));
    store<usize>(sl + C_CALL, 0);
  }
  let issued = 0, retired = 0, eof = false;
  while (err.length == 0) {
    if (!eof && issued - retired < inFlight) {          // a free slot: read and issue the next block
      let sl = slots + <usize>(issued % inFlight) * C_SLOT;
      let got = readFull(read, load<usize>(sl + C_IN), <i32>LZOP_BLOCK_SIZE);
      if (got < 0) { err = "lzop: read error " + got.toString(); break; }
      if (got < <i32>LZOP_BLOCK_SIZE) eof = true;
      if (got == 0) continue;
      store<usize>(sl + C_CALL, changetype<usize>(lzo.blockWrite(load<usize>(sl + C_IN), <u32>got, flags, load<usize>(sl + C_OUT), bound)));
      issued++;
      continue;
    }
    if (retired == issued) break;                        // the end, and every block written
    let sl = slots + <usize>(retired % inFlight) * C_SLOT;   // the oldest: wait for it, write it
    let c = changetype<LzoBlockWriteCall>(load<usize>(sl + C_CALL));
    let len = c.wait();
    if (c.failed) err = copyOf(c.error);
    else write(load<usize>(sl + C_OUT), len);
    c.release();
    store<usize>(sl + C_CALL, 0);
    retired++;
  }
  for (let k = 0; k < inFlight; k++) {                   // after an error: wait what is in flight
    let sl = slots + <usize>k * C_SLOT;
    if (load<usize>(sl + C_CALL)) { let c = changetype<LzoBlockWriteCall>(load<usize>(sl + C_CALL)); c.wait(); c.release(); }
    heapFree(load<usize>(sl + C_IN)); heapFree(load<usize>(sl + C_OUT));
  }
  heapFree(slots);
  if (err.length) return err;
  let end = heapAlloc(16);
  store<u32>(end, 0);                                    // the end marker: a block of size 0
  write(end, 4);
  heapFree(end);
  return "";
}

// ── decompression: the header, then blocks until the end marker ────────────────────────────
// A block whose sizes look sane is copied out of the input buffer and handed to the machine, up
// to `inFlight` at once, and written when its turn comes; anything else (the end marker, sizes
// the machine will refuse, a short input) waits until every block before it is written and goes
// to the machine alone, which then says what it needs or what is wrong.

// A slot: the block's bytes, its output, the call in flight (0: none), its result struct.
const S_IN = 0, S_IN_CAP = 4, S_OUT = 8, S_OUT_CAP = 12, S_CALL = 16, S_B = 20, SLOT = 24;

// The bytes of the block at p (8 bytes readable) if its sizes are ones the machine accepts, else 0.
function blockSpan(p: usize, flags: u32): u32 {
  let dlen = bswap<u32>(load<u32>(p)), clen = bswap<u32>(load<u32>(p, 4));
  if (dlen == 0 || dlen > LZOP_MAX_BLOCK || clen == 0 || clen > dlen) return 0;
  let hd: u32 = 8 + (flags & F_ADLER32_D ? 4 : 0) + (flags & F_CRC32_D ? 4 : 0);
  let hc: u32 = clen < dlen ? (flags & F_ADLER32_C ? 4 : 0) + (flags & F_CRC32_C ? 4 : 0) : 0;
  return hd + hc + clen;
}

// Waits for the slot's call and writes its output; "" or the call's error.
function retire(sl: usize, write: WriteFn): string {
  let c = changetype<LzoBlockReadCall>(load<usize>(sl + S_CALL));
  c.wait();
  let e = c.failed ? copyOf(c.error) : "";
  c.release();
  store<usize>(sl + S_CALL, 0);
  if (e.length == 0) write(load<usize>(sl + S_OUT), <i32>changetype<LzopBlock>(load<usize>(sl + S_B)).produced);
  return e;
}

// Grows the buffer whose address is at a and capacity at a + 4 to at least n bytes (contents lost).
function ensure(a: usize, n: u32): usize {
  if (load<u32>(a, 4) < n) { heapFree(load<usize>(a)); store<usize>(a, heapAlloc(n)); store<u32>(a, n, 4); }
  return load<usize>(a);
}

/** Decompresses the lzop file (or concatenated files) read() gives into write(). */
export function lzopDecompress(lzo: LzoClient, read: ReadFn, write: WriteFn, inFlight: i32 = 4): string {
  let cap: u32 = 2 * LZOP_BLOCK_SIZE, buf = heapAlloc(cap);    // input: [pos, have) unread
  let outCap: u32 = LZOP_BLOCK_SIZE, out = heapAlloc(outCap);
  let pos: u32 = 0, have: u32 = 0, at: u64 = 0, eof = false, err = "";
  let h = LzopHeader.alloc(), b = LzopBlock.alloc();
  let slots = heapAlloc(<usize>inFlight * SLOT);
  for (let k = 0; k < inFlight; k++) {
    let sl = slots + <usize>k * SLOT;
    store<usize>(sl + S_IN, heapAlloc(16)); store<u32>(sl + S_IN_CAP, 16);
    store<usize>(sl + S_OUT, heapAlloc(16)); store<u32>(sl + S_OUT_CAP, 16);
    store<usize>(sl + S_CALL, 0);
    store<usize>(sl + S_B, changetype<usize>(LzopBlock.alloc()));
  }
  let issued = 0, retired = 0;
  let flags: u32 = 0, inHeader = true;
  while (true) {
    let need: u32 = 0;
    if (inHeader) {
      let c = lzo.headerRead(buf + pos, have - pos, h);
      let size = c.wait();
      if (c.failed) err = (at > 0 ? "(the file header at offset " + at.toString() + ") " : "") + copyOf(c.error);
      c.release();
      if (err.length) break;
      if (size == 0) need = h.size;
      else { flags = h.flags; pos += size; at += size; inHeader = false; continue; }
    } else {
      let span = have - pos >= 8 ? blockSpan(buf + pos, flags) : 0;
      if (span != 0 && span <= have - pos) {             // a whole block: to the machine, in a slot
        let sl = slots + <usize>(issued % inFlight) * SLOT;
        if (issued - retired == inFlight) { err = retire(slots + <usize>(retired % inFlight) * SLOT, write); retired++; if (err.length) break; continue; }
        let dlen = bswap<u32>(load<u32>(buf + pos));
        memory.copy(ensure(sl + S_IN, span), buf + pos, span);
        ensure(sl + S_OUT, dlen);
        store<usize>(sl + S_CALL, changetype<usize>(lzo.blockRead(load<usize>(sl + S_IN), span, flags, at, load<usize>(sl + S_OUT), dlen,
          changetype<LzopBlock>(load<usize>(sl + S_B)))));
        issued++;
        pos += span; at += span;
        continue;
      }
      if (span != 0) need = span;
      else if (retired < issued) { err = retire(slots + <usize>(retired % inFlight) * SLOT, write); retired++; if (err.length) break; continue; }
      else {                                             // nothing in flight: the machine decides
        let c = lzo.blockRead(buf + pos, have - pos, flags, at, out, outCap, b);
        c.wait();
        if (c.failed) err = copyOf(c.error);
        c.release();
        if (err.length) break;
        if (b.consumed != 0) {
          if (b.produced) write(out, b.produced);
          pos += b.consumed; at += b.consumed;
          if (!b.end) continue;
          // The end of one file: another may follow (lzop reads concatenated files too).
          if (pos == have && !eof) {
            pos = 0;
            have = 0;
            let r = read(buf, <i32>cap);
            if (r < 0) { err = "lzop: read error " + r.toString(); break; }
            if (r == 0) eof = true; else have = <u32>r;
          }
          if (pos == have) break;
          inHeader = true;
          continue;
        }
        if (b.dst_need) { heapFree(out); outCap = b.dst_need; out = heapAlloc(outCap); continue; }
        need = b.need;
      }
    }
    // `need` bytes from pos are needed: move them to the front, grow, read more.
    if (eof) {
      if (retired < issued) { err = retire(slots + <usize>(retired % inFlight) * SLOT, write); retired++; if (err.length) break; continue; }
      err = "lzop: the input ends inside the " + (inHeader ? "file header" : "block") + " at offset " + at.toString() +
        " (it needs " + need.toString() + " bytes, " + (have - pos).toString() + " are left)";
      break;
    }
    if (pos > 0) { memory.copy(buf, buf + pos, have - pos); have -= pos; pos = 0; }
    if (need > cap) {
      let bigger = heapAlloc(need);
      memory.copy(bigger, buf, have);
      heapFree(buf);
      buf = bigger; cap = need;
    }
    while (have < need) {
      let r = read(buf + have, <i32>(cap - have));
      if (r < 0) { err = "lzop: read error " + r.toString(); break; }
      if (r == 0) { eof = true; break; }
      have += <u32>r;
    }
    if (err.length) break;
  }
  for (let k = 0; k < inFlight; k++) {                   // after an error: wait for what is in flight
    let sl = slots + <usize>k * SLOT;
    if (load<usize>(sl + S_CALL)) { let c = changetype<LzoBlockReadCall>(load<usize>(sl + S_CALL)); c.wait(); c.release(); }
    heapFree(load<usize>(sl + S_IN)); heapFree(load<usize>(sl + S_OUT));
    changetype<LzopBlock>(load<usize>(sl + S_B)).free();
  }
  heapFree(slots);
  h.free(); b.free();
  heapFree(buf); heapFree(out);
  return err;
}
