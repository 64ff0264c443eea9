// steal.ts: all work spawned by one task on one core; the other cores get work only by stealing.
// Each work task burns ~2 µs and counts the core it ran on. Prints per-core shares.
// Usage: steal [N]
import { Task, spawn, spawnDetached, coreId, coreCount, println, args, WaitGroup, now } from "aam";
import { settledHeap, heapInUse, tasksLive } from "./common";

const ran = memory.data(8 * 64);
const wgSlot = memory.data(4);
const producerCore = memory.data(4);

function work(t: Task): u64 {
  let x = t.arg0;
  for (let i = 0; i < 300; i++) x = x * 6364136223846793005 + 1442695040888963407;
  atomic.add<u64>(ran + (<usize>coreId() << 3), 1);
  changetype<WaitGroup>(atomic.load<u32>(wgSlot)).done();
  return x;
}

function producer(t: Task): u64 {
  atomic.store<u32>(producerCore, <u32>coreId());
  for (let i: u64 = 0; i < t.arg0; i++) spawnDetached(work, i);
  return 0;
}

export function main(): i32 {
  let a = args();
  let n: u32 = a.length > 1 ? <u32>I32.parseInt(a[1]) : 100000;
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
  println("total " + total.toString() + " producer " + atomic.load<u32>(producerCore).toString() + line + " leaked " + leaked.toString());
  return total == <u64>n && leaked == 0 ? 0 : 1;
}
