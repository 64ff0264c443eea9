// steal.ts: all work spawned by one task on one core; the other cores get work only by stealing.
// Each work task burns ~2 µs and counts the core it ran on. Prints per-core shares.
// Usage: steal [N]   (N > cores)
//
// Stealing is made certain by counting, not by hoping the host runs every core in time (on a busy
// machine a descheduled core would otherwise wake to find the work gone):
//  1. The producer spawns one task per other core into its own ring (it fits even a 4-slot ring)
//     and spins, holding its core, until every other core has started one of them. The inject
//     list is empty meanwhile, so each of those cores got its first task by stealing (from the
//     producer's ring, or the stolen half in another thief's ring).
//  2. A core's first task waits until every core has started one: a thief cannot run off with the
//     others' tasks before they wake, and the producer's core gets its share too.
//  3. The producer spawns the rest (its ring, then the inject list) and returns; its core takes a
//     task from its ring, which releases everyone.
// With stealing off (--define AAM_STEAL=0) steps 1–2 are skipped: the others get work only from
// the inject list, and nothing holds.
// A step that waits gives up after HANG_NS (a hang guard: stealing broken), prints what it waited
// for and the program fails.
import { Task, spawn, spawnDetached, coreId, coreCount, println, args, WaitGroup, now } from "aam";
import { settledHeap, heapInUse, tasksLive } from "./common";

// @ts-ignore: decorator
@inline const STEAL: bool = isDefined(AAM_STEAL) ? AAM_STEAL != 0 : true;
const HANG_NS: f64 = 60e9;

const ran = memory.data(8 * 64);
const first = memory.data(64);             // per core: 1 once it started a work task
const started = memory.data(4);            // cores that started a work task
const hung = memory.data(4);               // a wait gave up
const wgSlot = memory.data(4);
const producerCore = memory.data(4);

// Spin until `counter` reaches `want` (no yield: the caller keeps its core); false after HANG_NS.
function await_(counter: usize, want: u32): bool {
  let t0 = now();
  while (atomic.load<u32>(counter) < want) {
    if (now() - t0 > HANG_NS) { atomic.store<u32>(hung, 1); return false; }
  }
  return true;
}

function work(t: Task): u64 {
  let c = coreId();
  if (STEAL && !load<u8>(first + c)) {     // step 2 (only this core writes its byte)
    store<u8>(first + c, 1);
    atomic.add<u32>(started, 1);
    await_(started, <u32>coreCount());
  }
  let x = t.arg0;
  for (let i = 0; i < 300; i++) x = x * 6364136223846793005 + 1442695040888963407;
  atomic.add<u64>(ran + (<usize>c << 3), 1);
  changetype<WaitGroup>(atomic.load<u32>(wgSlot)).done();
  return x;
}

function producer(t: Task): u64 {
  atomic.store<u32>(producerCore, <u32>coreId());
  let i: u64 = 0;
  if (STEAL) {                             // step 1
    let others = <u64>coreCount() - 1;
    for (; i < others; i++) spawnDetached(work, i);
    if (!await_(started, <u32>others)) println("hung: " + atomic.load<u32>(started).toString() + " of " + others.toString() + " other cores started a task");
  }
  for (; i < t.arg0; i++) spawnDetached(work, i);   // step 3
  return 0;
}

export function main(): i32 {
  let a = args();
  let n: u32 = a.length > 1 ? <u32>I32.parseInt(a[1]) : 100000;
  if (n <= <u32>coreCount()) { println("steal: N must exceed the core count"); return 2; }
  let live0 = tasksLive();
  let base = heapInUse();
  let wg = WaitGroup.create(n);
  atomic.store<u32>(wgSlot, changetype<u32>(wg));
  spawn(producer, n).join();
  wg.wait();
  wg.dispose();
  let leaked = settledHeap(live0) - base;
  let total: u64 = 0, line = "";
  for (let c = 0; c < coreCount(); c++) { let r = load<u64>(ran + (<usize>c << 3)); total += r; line += " core" + c.toString() + " " + r.toString(); }
  println("total " + total.toString() + " producer " + atomic.load<u32>(producerCore).toString() + line + " leaked " + leaked.toString() +
    " hung " + atomic.load<u32>(hung).toString());
  return total == <u64>n && leaked == 0 && !atomic.load<u32>(hung) ? 0 : 1;
}
