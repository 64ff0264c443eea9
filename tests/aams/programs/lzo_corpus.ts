// lzo_corpus.ts: machine lzo over a corpus the program generates (empty, 1 byte, text, random,
// repetitive, 10 MB), in raw LZO1X and in lzop files, through the machine's generated client.
// Prints only what depends on the bytes (sizes, CRC-32s), never on cores or timing, so the same
// lines must come out on Node and under QEMU (tests/aams/lzo_parity.test.mjs).
//   corpus [names…]  round trips: "NAME in N raw M lzop L crc 0x… ok"
//   fuzz [rounds]    truncated and bit-flipped streams: every call fails or decodes within
//                    bounds, the machine keeps serving, heap blocks before == after
//   streamfuzz [rounds]  cut and flipped 2 MiB lzop files through lzopDecompress
import { args, println, heapAlloc, heapFree, heapBlocksInUse, heapLargeCount, coreCount } from "aam";
import { defineLzo } from "../../../aams/lzo/lzo";
import { connectLzo, LzoClient } from "../../../aams/lzo/lzo_igen_client";
import { lzopCompress, lzopDecompress, LZOP_DEFAULT_FLAGS } from "../../../aams/lzo/stream";
import { F_ADLER32_C, F_CRC32_D, F_CRC32_C, F_H_CRC32, F_ADLER32_D, F_OS_UNIX } from "../../../aams/lzo/lzop";
import { crc32, CRC32_INIT } from "../../../aams/lzo/lzop";
import { makeCorpus, CORPUS } from "./lzo_data";
import { memReader, memWriter, memRead, memWrite, sink, sinkLen, sinkFree } from "./lzo_mem";
import { fuzzMain, streamFuzz } from "./lzo_fuzz";

export function machines(): void { defineLzo(); }

function hex(v: u32): string { return "0x" + v.toString(16).padStart(8, "0"); }

function blocksInUse(): u64 {
  let b: u64 = 0;
  for (let c = 0; c < coreCount(); c++) b += heapBlocksInUse(c);
  return b + heapLargeCount();
}

// One corpus item: raw compress → decompress, then an lzop file and back; a line of results.
function roundTrip(lzo: LzoClient, name: string, p: usize, n: u32, flags: u32): bool {
  let ok = true;
  let cap = n + (n >> 4) + 67;
  let z = heapAlloc(cap), back = heapAlloc(n + 1);
  let zn = lzo.compressSync(p, n, z, cap);
  let bn = lzo.decompressSync(z, zn, back, n + 1);
  if (bn != n || memory.compare(back, p, n) != 0) ok = false;
  let rawCrc = crc32(CRC32_INIT, z, zn);
  heapFree(z); heapFree(back);

  memReader(p, n);
  memWriter();
  let e = lzopCompress(lzo, memRead, memWrite, flags);
  if (e.length) { println(name + ": compress failed: " + e); return false; }
  let file = sink(), fileLen = sinkLen();
  let fileCrc = crc32(CRC32_INIT, file, fileLen);
  memReader(file, fileLen);
  memWriter();
  e = lzopDecompress(lzo, memRead, memWrite);
  if (e.length) { println(name + ": decompress failed: " + e); ok = false; }
  else if (sinkLen() != n || memory.compare(sink(), p, n) != 0) ok = false;
  sinkFree();
  heapFree(file);
  println(name + " in " + n.toString() + " raw " + zn.toString() + " crc " + hex(rawCrc) + " lzop " + fileLen.toString() +
    " crc " + hex(fileCrc) + (ok ? " ok" : " WRONG"));
  return ok;
}

function corpus(names: string[]): i32 {
  let lzo = connectLzo();
  let bad = 0;
  for (let i = 0; i < CORPUS.length; i++) {
    let name = CORPUS[i];
    if (names.length && !names.includes(name)) continue;
    let n = makeCorpus(name);
    let p = heapAlloc(n + 1);
    makeCorpus(name, p);
    if (!roundTrip(lzo, name, p, n, LZOP_DEFAULT_FLAGS)) bad++;
    heapFree(p);
  }
  // Every checksum flag lzop knows, on the text: what a reader must verify.
  let n = makeCorpus("text"), p = heapAlloc(n);
  makeCorpus("text", p);
  if (!roundTrip(lzo, "text+all-checksums", p, n, F_OS_UNIX | F_ADLER32_D | F_ADLER32_C | F_CRC32_D | F_CRC32_C)) bad++;
  if (!roundTrip(lzo, "text+crc32-header", p, n, F_OS_UNIX | F_CRC32_D | F_CRC32_C | F_H_CRC32)) bad++;
  if (!roundTrip(lzo, "text+no-checksums", p, n, F_OS_UNIX)) bad++;
  heapFree(p);
  println("corpus wrong " + bad.toString());
  return bad ? 1 : 0;
}

export function main(): i32 {
  let a = args();
  if (a.length > 1 && a[1] == "corpus") return corpus(a.slice(2));
  if (a.length > 1 && a[1] == "fuzz") return fuzzMain(a.length > 2 ? I32.parseInt(a[2]) : 200);
  if (a.length > 1 && a[1] == "streamfuzz") return streamFuzz(a.length > 2 ? I32.parseInt(a[2]) : 50);
  println("usage: lzo_corpus corpus [names…] | fuzz [rounds] | streamfuzz [rounds]");
  return 2;
}

