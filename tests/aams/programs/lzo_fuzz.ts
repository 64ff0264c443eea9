// lzo_fuzz.ts: machine lzo fed truncated and bit-flipped streams (raw LZO1X and lzop files of the
// corpus's text) and random bytes as raw streams, every one through a machine call: each call must fail or decode within its
// buffers (guard bytes around every output stay intact), the machine must keep serving, and the
// heap must hold as many blocks after as before (a failed call's message goes with the call).
// Then one corruption of each kind with its error message, printed after the heap check.
import { println, heapAlloc, heapFree, heapBlocksInUse, heapLargeCount, coreCount } from "aam";
import { connectLzo, LzoClient, LzopBlock, LzopHeader } from "../../../aams/lzo/lzo_igen_client";
import { lzopCompress, lzopDecompress, LZOP_DEFAULT_FLAGS } from "../../../aams/lzo/stream";
import { makeCorpus } from "./lzo_data";
import { memReader, memWriter, memRead, memWrite, sink, sinkLen, sinkFree } from "./lzo_mem";

const GUARD: u32 = 64;

function blocksInUse(): u64 {
  let b: u64 = 0;
  for (let c = 0; c < coreCount(); c++) b += heapBlocksInUse(c);
  return b + heapLargeCount();
}

// An output buffer of n bytes with GUARD bytes of 0xA5 on each side; guardsOk checks them.
function guarded(n: u32): usize { let p = heapAlloc(n + 2 * GUARD); memory.fill(p, 0xA5, n + 2 * GUARD); return p + GUARD; }
function guardsOk(p: usize, n: u32): bool {
  for (let i: u32 = 1; i <= GUARD; i++) if (load<u8>(p - i) != 0xA5 || load<u8>(p + n + i - 1) != 0xA5) return false;
  return true;
}

// Raw decompress of z[0..zn) into out (cap n): 0 decoded, 1 the call failed.
function raw(lzo: LzoClient, z: usize, zn: u32, out: usize, n: u32): i32 {
  let c = lzo.decompress(z, zn, out, n);
  c.wait();
  let failed = c.failed;
  c.release();
  return failed ? 1 : 0;
}

// An lzop file f[0..fn) decoded by calls only: 0 decoded whole, 1 a call failed, 2 the input
// ends inside a header or block, 3 a block larger than the output, 4 data after the end.
function lzop(lzo: LzoClient, f: usize, fn: u32, out: usize, cap: u32, h: LzopHeader, b: LzopBlock): i32 {
  let hc = lzo.headerRead(f, fn, h);
  let size = hc.wait(), failed = hc.failed;
  hc.release();
  if (failed) return 1;
  if (size == 0) return 2;
  let pos = size, made: u32 = 0;
  while (true) {
    let c = lzo.blockRead(f + pos, fn - pos, h.flags, pos, out + made, cap - made, b);
    c.wait();
    failed = c.failed;
    c.release();
    if (failed) return 1;
    if (b.consumed == 0) return b.dst_need ? 3 : 2;
    made += b.produced;
    pos += b.consumed;
    if (b.end) return pos == fn ? 0 : 4;
  }
}

// counts[k + r]: outcome r of kind k (0 raw cut, 6 raw flipped, 12 lzop cut, 18 lzop flipped,
// 24 raw random bytes).
const SAME = 0, DIFFERENT = 5;
function line(what: string, n: i32, c: StaticArray<i32>, k: i32): string {
  return what + " " + n.toString() + " failed " + c[k + 1].toString() + " truncated " + c[k + 2].toString() +
    " oversize " + c[k + 3].toString() + " trailing " + c[k + 4].toString() + " decoded-same " + c[k + SAME].toString() +
    " decoded-different " + c[k + DIFFERENT].toString();
}

// The outcome r, with a decoded output compared with the original.
function outcome(r: i32, out: usize, p: usize, n: u32): i32 { return r == 0 && memory.compare(out, p, n) != 0 ? DIFFERENT : r; }

export function fuzzMain(rounds: i32): i32 {
  let lzo = connectLzo();
  let n: u32 = 20000, p = heapAlloc(n);
  let all = heapAlloc(makeCorpus("text"));
  makeCorpus("text", all);
  memory.copy(p, all, n);
  heapFree(all);
  let zcap = n + (n >> 4) + 67, z = heapAlloc(zcap), zn = lzo.compressSync(p, n, z, zcap);
  memReader(p, n); memWriter();
  lzopCompress(lzo, memRead, memWrite, LZOP_DEFAULT_FLAGS);
  let fn = sinkLen(), f = heapAlloc(fn);
  memory.copy(f, sink(), fn);
  heapFree(sink());
  let h = LzopHeader.alloc(), b = LzopBlock.alloc();
  let work = heapAlloc(fn), out = guarded(n), counts = new StaticArray<i32>(6 * 5);
  let guardsBroken = 0, x: u32 = 12345;

  let before = blocksInUse();
  for (let r = 0; r < rounds; r++) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    // raw, truncated: every cut loses the end marker
    counts[outcome(raw(lzo, z, <u32>(<u64>x * zn >> 32), out, n), out, p, n)]++;
    // raw, one bit flipped
    memory.copy(work, z, zn);
    let at = (x >> 8) % zn;
    store<u8>(work + at, load<u8>(work + at) ^ (<u8>1 << <u8>(x & 7)));
    counts[6 + outcome(raw(lzo, work, zn, out, n), out, p, n)]++;
    // lzop, truncated and flipped
    counts[12 + outcome(lzop(lzo, f, <u32>(<u64>x * fn >> 32), out, n, h, b), out, p, n)]++;
    memory.copy(work, f, fn);
    at = (x >> 8) % fn;
    store<u8>(work + at, load<u8>(work + at) ^ (<u8>1 << <u8>(x & 7)));
    counts[18 + outcome(lzop(lzo, work, fn, out, n, h, b), out, p, n)]++;
    // raw, 1..512 random bytes
    let len: u32 = 1 + (x >> 20) % 512, y = x | 1;
    for (let i: u32 = 0; i < len; i++) { y ^= y << 13; y ^= y >> 17; y ^= y << 5; store<u8>(work + i, <u8>y); }
    counts[24 + outcome(raw(lzo, work, len, out, n), out, p, n)]++;
    if (!guardsOk(out, n)) guardsBroken++;
  }
  let good = lzop(lzo, f, fn, out, n, h, b) == 0 && memory.compare(out, p, n) == 0 && raw(lzo, z, zn, out, n) == 0;
  let leaked = <i64>blocksInUse() - <i64>before;

  println(line("raw truncated", rounds, counts, 0));
  println(line("raw flipped", rounds, counts, 6));
  println(line("lzop truncated", rounds, counts, 12));
  println(line("lzop flipped", rounds, counts, 18));
  println(line("raw random", rounds, counts, 24));
  println("guards broken " + guardsBroken.toString() + ", serving after " + (good ? "yes" : "no") + ", leaked " + leaked.toString());
  samples(lzo, z, zn, f, fn, work, out, n);
  return 0;
}

// One corruption of each kind and the error its call fails with.
function sample(what: string, lzo: LzoClient, src: usize, sn: u32, out: usize, n: u32, lzopFile: bool): void {
  let err = "";
  if (lzopFile) {
    let h = LzopHeader.alloc();
    let hc = lzo.headerRead(src, sn, h);
    let size = hc.wait();
    if (hc.failed) err = hc.error;
    hc.release();
    if (!err.length) {
      let b = LzopBlock.alloc();
      let c = lzo.blockRead(src + size, sn - size, h.flags, size, out, n, b);
      c.wait();
      if (c.failed) err = c.error;
      c.release();
    }
  } else {
    let c = lzo.decompress(src, sn, out, n);
    c.wait();
    if (c.failed) err = c.error;
    c.release();
  }
  println(what + ": " + (err.length ? err : "no error"));
}

function samples(lzo: LzoClient, z: usize, zn: u32, f: usize, fn: u32, work: usize, out: usize, n: u32): void {
  sample("raw cut in half", lzo, z, zn >> 1, out, n, false);
  memory.copy(work, z, zn); store<u8>(work + zn, 0x55);
  sample("raw with a byte after the end", lzo, work, zn + 1, out, n, false);
  sample("raw into a small buffer", lzo, z, zn, out, 1000, false);
  memory.copy(work, z, zn); store<u8>(work, 0x20); store<u8>(work + 1, 0xff); store<u8>(work + 2, 0xff);
  sample("raw match before the start", lzo, work, zn, out, n, false);
  memory.copy(work, f, fn); store<u8>(work + 3, 0x50);
  sample("lzop bad magic", lzo, work, fn, out, n, true);
  memory.copy(work, f, fn); store<u8>(work + 25, load<u8>(work + 25) ^ 1);
  sample("lzop header flipped", lzo, work, fn, out, n, true);
  memory.copy(work, f, fn); store<u8>(work + fn - 10, load<u8>(work + fn - 10) ^ 0x10);
  sample("lzop data flipped", lzo, work, fn, out, n, true);
}

// Whole lzop files of 2 MiB (8 blocks, several at the machine at once) through lzopDecompress,
// cut or with one bit flipped: a cut must end in an error, a flip in an error or the same bytes.
// (Its errors are strings the caller keeps: no heap check here.)
export function streamFuzz(rounds: i32): i32 {
  let lzo = connectLzo();
  let n: u32 = 2 * 1024 * 1024, all = heapAlloc(makeCorpus("mixed"));
  makeCorpus("mixed", all);
  memReader(all, n); memWriter();
  lzopCompress(lzo, memRead, memWrite, LZOP_DEFAULT_FLAGS);
  let fn = sinkLen(), f = heapAlloc(fn), work = heapAlloc(fn);
  memory.copy(f, sink(), fn);
  sinkFree();
  let cutErrors = 0, flipErrors = 0, same = 0, different = 0, x: u32 = 99;
  for (let r = 0; r < rounds; r++) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    memReader(f, <u32>(<u64>x * fn >> 32)); memWriter();
    if (lzopDecompress(lzo, memRead, memWrite).length) cutErrors++;
    sinkFree();
    memory.copy(work, f, fn);
    let at = (x >> 8) % fn;
    store<u8>(work + at, load<u8>(work + at) ^ (<u8>1 << <u8>(x & 7)));
    memReader(work, fn); memWriter();
    if (lzopDecompress(lzo, memRead, memWrite).length) flipErrors++;
    else if (sinkLen() == n && memory.compare(sink(), all, n) == 0) same++;
    else different++;
    sinkFree();
  }
  println("stream cut " + rounds.toString() + " errors " + cutErrors.toString() + "; flipped " + rounds.toString() + " errors " +
    flipErrors.toString() + " same " + same.toString() + " different " + different.toString());
  return 0;
}
