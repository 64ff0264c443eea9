// lzo_mem.ts: a source and a sink in memory with the signatures of stdinRead and stdoutWrite, for
// the lzo stream functions. Their state is static data (shared by every core), not module-level
// lets (per core): a task that blocked may continue on another core.
import { heapAlloc, heapFree } from "aam";

const SRC = memory.data(16);          // +0 address, +4 length, +8 position
const OUT = memory.data(16);          // +0 buffer, +4 length, +8 capacity

export function memReader(p: usize, n: u32): void { store<u32>(SRC, <u32>p); store<u32>(SRC, n, 4); store<u32>(SRC, 0, 8); }

/** A read of at most len bytes; odd-sized pieces so the stream code meets every boundary. */
export function memRead(buf: usize, len: i32): i32 {
  let n = load<u32>(SRC, 4), at = load<u32>(SRC, 8);
  let k = min<u32>(<u32>len, min<u32>(n - at, 77777));
  memory.copy(buf, <usize>load<u32>(SRC) + at, k);
  store<u32>(SRC, at + k, 8);
  return <i32>k;
}

export function memWriter(): void { store<u32>(OUT, <u32>heapAlloc(65536)); store<u32>(OUT, 0, 4); store<u32>(OUT, 65536, 8); }

export function memWrite(buf: usize, len: i32): void {
  let p = <usize>load<u32>(OUT), n = load<u32>(OUT, 4), cap = load<u32>(OUT, 8);
  if (n + <u32>len > cap) {
    while (n + <u32>len > cap) cap <<= 1;
    let q = heapAlloc(cap);
    memory.copy(q, p, n);
    heapFree(p);
    p = q;
    store<u32>(OUT, <u32>p); store<u32>(OUT, cap, 8);
  }
  memory.copy(p + n, buf, len);
  store<u32>(OUT, n + <u32>len, 4);
}

/** What was written (the caller frees it with heapFree, or with sinkFree). */
export function sink(): usize { return <usize>load<u32>(OUT); }
export function sinkLen(): u32 { return load<u32>(OUT, 4); }
export function sinkFree(): void { heapFree(<usize>load<u32>(OUT)); store<u32>(OUT, 0); }
