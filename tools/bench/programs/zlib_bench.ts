// zlib_bench.ts: the zlib machine's throughput for tools/bench/zlib.ts: deflate (level 6, zlib
// format) then inflate of MIB mebibytes of generated text-like bytes, in 64 KiB pushes, ROUNDS
// times. Prints one JSON line: [[deflate ns, inflate ns], …] and checks each round trip.
// Arguments: MIB ROUNDS.
import { args, println, now, heapAlloc, heapFree } from "aam";
import { zlibMachine, ZStream, ZLIB_DEFLATE, ZLIB_INFLATE, ZLIB_FORMAT_ZLIB } from "../../../aams/zlib";

export function machines(): void { zlibMachine(); }

const STATE = memory.data(16);                // packed buffer, its fill (static: main may change core)
function toPacked(p: usize, n: i32, arg: u64): void {
  memory.copy(<usize>load<u32>(STATE) + load<u32>(STATE, 4), p, n);
  store<u32>(STATE, load<u32>(STATE, 4) + <u32>n, 4);
}
function count(p: usize, n: i32, arg: u64): void { store<u32>(STATE, load<u32>(STATE, 8) + <u32>n, 8); }

export function main(): i32 {
  let a = args();
  let n = I32.parseInt(a[1]) << 20, rounds = I32.parseInt(a[2]);
  let src = heapAlloc(n);
  let words = "machine core task zlib deflate the of a stream memory foreign call\n";
  let x: u32 = 12345;
  for (let i = 0; i < n;) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    let w = <i32>(x % <u32>words.length);
    for (let j = w; j < words.length && i < n && words.charCodeAt(j) != 0x20; j++) store<u8>(src + i++, <u8>words.charCodeAt(j));
    if (i < n) store<u8>(src + i++, 0x20);
  }
  store<u32>(STATE, <u32>heapAlloc(n + (n >> 3) + 65536));
  // Chunks go through a 64 KiB block of their own: the kernel's check accepts a range inside one
  // heap block, and for a large block (page runs) only within its first 64 KiB page
  // (rt/heap.ts heapInArena finds the run's header from the pointer's page).
  let stage = heapAlloc(65536);
  let out = "[";
  for (let r = 0; r < rounds; r++) {
    store<u32>(STATE, 0, 4);
    let t0 = now();
    let z = ZStream.open(ZLIB_DEFLATE, ZLIB_FORMAT_ZLIB, 6)!;
    for (let off = 0; off < n; off += 65536) {
      let k = min(65536, n - off);
      memory.copy(stage, src + off, k);          // a call's buffer is one whole block (below)
      if (!z.push(stage, <u32>k, off + 65536 >= n, toPacked)) { println(z.error); return 1; }
    }
    z.close();
    let t1 = now();
    store<u32>(STATE, 0, 8);
    let y = ZStream.open(ZLIB_INFLATE, ZLIB_FORMAT_ZLIB, -1)!;
    let packed = <usize>load<u32>(STATE), plen = <i32>load<u32>(STATE, 4);
    for (let off = 0; off < plen; off += 65536) {
      let k = min(65536, plen - off);
      memory.copy(stage, packed + off, k);
      if (!y.push(stage, <u32>k, off + 65536 >= plen, count)) { println(y.error); return 1; }
    }
    y.close();
    let t2 = now();
    if (<i32>load<u32>(STATE, 8) != n) { println("round trip lost bytes: " + load<u32>(STATE, 8).toString() + " of " + n.toString() + ", packed " + plen.toString()); return 1; }
    out += (r ? "," : "") + "[" + (<i64>(t1 - t0)).toString() + "," + (<i64>(t2 - t1)).toString() + "]";
  }
  println(out + "]");
  heapFree(src);
  return 0;
}
