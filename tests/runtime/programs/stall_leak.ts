// stall_leak.ts: stall reports leave the heap as it was. A task spins until the stall detector
// has reported it (FW_STALLS counts reports: no timing window), three times over; heap blocks in
// use after the last two reports equal those before them. Build with --define AAM_STALL_MS=20
// (both hosts; the detector reports at most once a second, system-wide).
import { Task, spawn, yieldNow, println, heapBlocksInUse, coreCount, tasksLive } from "aam";
import { FW_STALLS } from "~lib/rt/abi";

function stuck(t: Task): u64 {
  let x: u64 = 1;
  while (atomic.load<u32>(FW_STALLS) < <u32>t.arg0) x = x * 6364136223846793005 + 1;
  return x | 1;
}

// Heap blocks in use on every core, once every other task record is gone (a finished task's last
// reference may be dropped on another core just after its waiter woke: wait for it, by count).
function blocks(): u64 {
  while (tasksLive() > 1) yieldNow();
  let k: u64 = 0;
  for (let c = 0; c < coreCount(); c++) k += heapBlocksInUse(c);
  return k;
}

export function main(): i32 {
  spawn(stuck, 1).join();                        // the first report: whatever it sets up once
  let before = blocks();
  spawn(stuck, 2).join();
  spawn(stuck, 3).join();
  let leaked = <i64>(blocks() - before);
  println("stall reports " + atomic.load<u32>(FW_STALLS).toString() + ", blocks leaked " + leaked.toString());
  return 0;
}
