// common.ts: helpers the scheduler test programs share: a memory baseline and counters.
import { coreCount, yieldNow, heapBytesInUse, heapLargeBytes, tasksLive as liveTasks } from "aam";
import { coreRec } from "~lib/rt/layout";
import { FW_CTX_LIVE, FW_CTX_PEAK, FW_BLOCKED_PEAK, FC_TASKS_RUN, FC_TASKS_STOLEN } from "~lib/rt/abi";

export function heapInUse(): i64 {
  let b: i64 = 0;
  for (let c = 0; c < coreCount(); c++) b += <i64>heapBytesInUse(c);
  return b + <i64>heapLargeBytes();
}

/** Task records alive now (the caller's own included). */
export function tasksLive(): u32 { return liveTasks(); }
export function contextsLive(): u32 { return atomic.load<u32>(FW_CTX_LIVE); }
export function contextsPeak(): u32 { return atomic.load<u32>(FW_CTX_PEAK); }
export function blockedPeak(): u32 { return atomic.load<u32>(FW_BLOCKED_PEAK); }
export function tasksRun(core: i32): u64 { return atomic.load<u64>(coreRec(core) + FC_TASKS_RUN); }
export function tasksStolen(core: i32): u64 { return atomic.load<u64>(coreRec(core) + FC_TASKS_STOLEN); }

/** Let finished tasks' records go (a waiter can wake before the finished task's record is
 *  released), until only `keep` records are alive; then the heap use, for a leak check. */
export function settledHeap(keep: u32): i64 {
  for (let i = 0; i < 1000000 && (tasksLive() > keep || contextsLive() > 0); i++) yieldNow();
  return heapInUse();
}
