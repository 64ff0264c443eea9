// alloc_stress.ts: every core allocates and frees blocks of random sizes (16 B .. 40 KiB, so both
// size classes and large runs), writing a checksum pattern over each live block and checking it
// before the block is freed. One block in four is handed to a shared mailbox instead of freed
// locally; whichever core takes it out checks and frees it (mostly a cross-core free).
// Prints the counts; main exits 0 only with 0 corruptions and heap use back to its start value.
// Usage: alloc_stress [iterations per core] [live slots per core]
import { coreId, coreCount, println, args, heapAlloc, heapFree, heapBytesInUse, heapBlocksInUse, heapLargeBytes, tasksLive } from "aam";

const MAILBOX = 1024;
const mailbox = memory.data(MAILBOX * 4);
const totals = memory.data(64);        // +0 corruptions, +4 cross-core frees, +8 ops, +12 done cores
const startBytes = memory.data(8 * 64);
const startBlocks = memory.data(8 * 64);
const startLarge = memory.data(8);

let rng: u32 = 0;

// Module-level code runs on every core before any core's percore(): the large-block baseline is
// taken here, before any core can allocate one.
if (coreId() == 0) store<u64>(startLarge, heapLargeBytes());
function next(): u32 { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }

function randomSize(): usize {
  let r = next() % 1000;
  if (r < 700) return 1 + <usize>(next() % 256);
  if (r < 950) return 257 + <usize>(next() % 4096);
  if (r < 995) return 4353 + <usize>(next() % 12000);
  return 16385 + <usize>(next() % 24000);            // large: whole page runs
}

// Block layout: +0 size, +4 seed, +8 owner core, then a pattern from the seed up to size.
function fill(b: usize, size: usize, seed: u32): void {
  store<u32>(b, <u32>size); store<u32>(b + 4, seed); store<u32>(b + 8, <u32>coreId());
  let x = seed | 1;
  for (let p = b + 12; p + 4 <= b + size; p += 4) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; store<u32>(p, x); }
}

function check(b: usize): bool {
  let size = <usize>load<u32>(b);
  let x = load<u32>(b + 4) | 1;
  for (let p = b + 12; p + 4 <= b + size; p += 4) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; if (load<u32>(p) != x) return false; }
  return true;
}

function release(b: usize): void {
  if (!check(b)) atomic.add<u32>(totals, 1);
  if (<i32>load<u32>(b + 8) != coreId()) atomic.add<u32>(totals + 4, 1);
  heapFree(b);
}

export function percore(): void {
  let a = args();
  let iters = a.length > 1 ? I32.parseInt(a[1]) : 1000000;
  let slots = a.length > 2 ? I32.parseInt(a[2]) : 512;
  let me = coreId();
  store<u64>(startBytes + (<usize>me << 3), heapBytesInUse(me));   // after args(): its strings stay
  store<u64>(startBlocks + (<usize>me << 3), heapBlocksInUse(me));
  rng = 0x9e3779b9 ^ (<u32>me * 0x85ebca6b) | 1;
  let live = heapAlloc(<usize>slots * 4);
  memory.fill(live, 0, <usize>slots * 4);
  for (let i = 0; i < iters; i++) {
    let s = live + (<usize>(next() % <u32>slots) << 2);
    let b = <usize>load<u32>(s);
    if (b) {
      if ((next() & 3) == 0) {                       // hand it over instead of freeing it here
        let old = <usize>atomic.xchg<u32>(mailbox + (<usize>(next() % MAILBOX) << 2), <u32>b);
        if (old) release(old);
      } else {
        release(b);
      }
      store<u32>(s, 0);
    } else {
      let size = max<usize>(randomSize(), 12);
      b = heapAlloc(size);
      fill(b, size, next());
      store<u32>(s, <u32>b);
    }
  }
  for (let i = 0; i < slots; i++) { let b = <usize>load<u32>(live + (<usize>i << 2)); if (b) release(b); }
  heapFree(live);
  atomic.add<u32>(totals + 8, <u32>iters);
}

export function main(): i32 {
  for (let i = 0; i < MAILBOX; i++) {                 // every core is done: empty the mailbox
    let b = <usize>atomic.xchg<u32>(mailbox + (<usize>i << 2), 0);
    if (b) release(b);
  }
  let leaked: i64 = 0, leakedBlocks: i64 = 0;
  for (let c = 0; c < coreCount(); c++) {
    leaked += <i64>(heapBytesInUse(c) - load<u64>(startBytes + (<usize>c << 3)));
    leakedBlocks += <i64>(heapBlocksInUse(c) - load<u64>(startBlocks + (<usize>c << 3)));
  }
  let live = <i64>tasksLive();   // main runs as a task: its record is in use
  leaked -= 64 * live;
  leakedBlocks -= live;
  let large = <i64>(heapLargeBytes() - load<u64>(startLarge));
  let bad = atomic.load<u32>(totals);
  println("ops " + atomic.load<u32>(totals + 8).toString() + " corruptions " + bad.toString() +
    " cross-core frees " + atomic.load<u32>(totals + 4).toString() + " leaked bytes " + leaked.toString() +
    " leaked blocks " + leakedBlocks.toString() + " large bytes " + large.toString());
  return bad == 0 && leaked == 0 && leakedBlocks == 0 && large == 0 ? 0 : 1;
}
