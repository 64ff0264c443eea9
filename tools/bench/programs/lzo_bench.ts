// lzo_bench.ts: the in-image half of the lzo rows of `aam bench machines` (tools/bench/lzo.ts):
// machine lzo compresses and decompresses `mib` MiB of generated text in 256 KiB blocks, with up
// to 8 blocks at the machine at once (so every core it holds works), `reps` times after one
// warm-up round. Prints one JSON line: ns of each round, bytes in, bytes out.
//   lzo_bench <mib> <reps>
import { args, println, now, heapAlloc, heapFree, Future } from "aam";
import { defineLzo } from "../../../aams/lzo/lzo";
import { connectLzo, LzoClient, LzoCompressCall, LzoDecompressCall } from "../../../aams/lzo/lzo_igen_client";

export function machines(): void { defineLzo(); }

const BLOCK: u32 = 256 * 1024, BOUND: u32 = BLOCK + (BLOCK >> 4) + 67, IN_FLIGHT: u32 = 8;
const WORDS: string[] = ["the", "machine", "core", "task", "lzo", "block", "stream", "of", "and", "a",
  "compress", "memory", "shared", "image", "call", "queue", "signal", "data", "offset", "literal"];

// The same text as tools/bench/lzo.ts writes for lzop (xorshift32 from seed 1).
function text(p: usize, n: u32): void {
  let x: u32 = 1, at: u32 = 0;
  while (at < n) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    let w = WORDS[x % WORDS.length];
    for (let i = 0; i < w.length && at < n; i++) store<u8>(p + at++, <u8>w.charCodeAt(i));
    if (at < n) store<u8>(p + at++, (x >> 8) % 11 == 0 ? 0x0a : 0x20);
  }
}

// One round over every block; calls[k % IN_FLIGHT] holds block k's call while it is in flight.
function round(lzo: LzoClient, compress: bool, src: usize, zs: usize, zlen: usize, out: usize, blocks: u32, calls: usize): void {
  for (let k: u32 = 0; k < blocks + IN_FLIGHT; k++) {
    let slot = calls + (<usize>(k % IN_FLIGHT) << 2);
    if (k >= IN_FLIGHT) {                              // block k - IN_FLIGHT: done?
      let j = k - IN_FLIGHT;
      if (compress) { let c = changetype<LzoCompressCall>(load<u32>(slot)); store<u32>(zlen + (<usize>j << 2), c.wait()); c.release(); }
      else { let c = changetype<LzoDecompressCall>(load<u32>(slot)); c.wait(); c.release(); }
    }
    if (k < blocks) {
      let z = zs + <usize>k * BOUND;
      let call = compress ? changetype<usize>(lzo.compress(src + <usize>k * BLOCK, BLOCK, z, BOUND))
        : changetype<usize>(lzo.decompress(z, load<u32>(zlen + (<usize>k << 2)), out + <usize>k * BLOCK, BLOCK));
      store<u32>(slot, <u32>call);
    }
  }
}

export function main(): i32 {
  let a = args();
  let mib = <u32>I32.parseInt(a[1]), reps = I32.parseInt(a[2]);
  let blocks = mib * 4, n = blocks * BLOCK;
  let src = heapAlloc(n), zs = heapAlloc(<usize>blocks * BOUND), out = heapAlloc(n);
  let zlen = heapAlloc(<usize>blocks << 2), calls = heapAlloc(IN_FLIGHT << 2);
  text(src, n);
  let lzo = connectLzo();
  let c = "", d = "";
  for (let r = 0; r <= reps; r++) {
    let t0 = now();
    round(lzo, true, src, zs, zlen, out, blocks, calls);
    let t1 = now();
    round(lzo, false, src, zs, zlen, out, blocks, calls);
    let t2 = now();
    if (r == 0) continue;                              // warm-up
    c += (c.length ? "," : "") + (<u64>(t1 - t0)).toString();
    d += (d.length ? "," : "") + (<u64>(t2 - t1)).toString();
  }
  if (memory.compare(src, out, n) != 0) { println("{\"error\":\"decompressed data differs\"}"); return 1; }
  let z: u64 = 0;
  for (let k: u32 = 0; k < blocks; k++) z += load<u32>(zlen + (<usize>k << 2));
  println("{\"bytes\":" + n.toString() + ",\"compressed\":" + z.toString() + ",\"compress_ns\":[" + c + "],\"decompress_ns\":[" + d + "]}");
  heapFree(src); heapFree(zs); heapFree(out); heapFree(zlen); heapFree(calls);
  return 0;
}
