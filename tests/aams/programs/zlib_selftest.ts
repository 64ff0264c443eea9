// zlib_selftest.ts: deflate then inflate a generated buffer through the zlib machine; prints sizes.
import { println, heapAlloc, heapFree } from "aam";
import { zlibMachine, ZStream, ZLIB_DEFLATE, ZLIB_INFLATE, ZLIB_FORMAT_ZLIB } from "../../../aams/zlib";

export function machines(): void { zlibMachine(); }

let packed: usize = 0;
let packedLen: i32 = 0;
let unpacked: usize = 0;
let unpackedLen: i32 = 0;

function toPacked(p: usize, n: i32, arg: u64): void { memory.copy(packed + packedLen, p, n); packedLen += n; }
function toUnpacked(p: usize, n: i32, arg: u64): void { memory.copy(unpacked + unpackedLen, p, n); unpackedLen += n; }

export function main(): i32 {
  const N = 100000;
  let src = heapAlloc(N);
  for (let i = 0; i < N; i++) store<u8>(src + i, <u8>((i * 7) % 251 + (i >> 10)));
  packed = heapAlloc(2 * N);
  unpacked = heapAlloc(2 * N);
  let z = ZStream.open(ZLIB_DEFLATE, ZLIB_FORMAT_ZLIB, 6);
  if (!z) { println("open failed: " + ZStream.lastError); return 1; }
  if (!z.push(src, N, true, toPacked)) { println("deflate failed: " + z.error); return 1; }
  z.close();
  let y = ZStream.open(ZLIB_INFLATE, ZLIB_FORMAT_ZLIB, -1);
  if (!y!.push(packed, packedLen, true, toUnpacked)) { println("inflate failed: " + y!.error); return 1; }
  y!.close();
  println("in " + N.toString() + " packed " + packedLen.toString() + " out " + unpackedLen.toString() + " same " + (memory.compare(src, unpacked, N) == 0 ? "yes" : "no"));
  let bad = ZStream.open(ZLIB_INFLATE, ZLIB_FORMAT_ZLIB, -1);
  if (!bad!.push(src, 100, true, toUnpacked)) println("corrupt: " + bad!.error);
  bad!.close();
  heapFree(src);
  return 0;
}
