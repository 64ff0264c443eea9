// chain.ts: blocking chains across cores. K tasks are spawned at once; task i waits on the future
// of task i−1 and returns its value + 1, so up to K−1 tasks are blocked together, each woken by a
// task that may run on another core. Each task notes the core it blocked on and the core it
// resumed on. Prints the result, migrations, peak contexts and peak blocked tasks.
// Usage: chain [K] [rounds]
import { Task, Future, spawn, coreId, coreCount, println, args, heapAlloc, heapFree } from "aam";
import { settledHeap, heapInUse, tasksLive, contextsPeak, blockedPeak } from "./common";

const migrated = memory.data(8);

function link(t: Task): u64 {
  let prev = <u32>t.arg0;
  if (!prev) return 1;
  let before = coreId();
  let v = changetype<Future>(prev).wait();
  if (coreId() != before) atomic.add<u32>(migrated, 1);
  return v + 1;
}

export function main(): i32 {
  let a = args();
  let k: u32 = a.length > 1 ? <u32>I32.parseInt(a[1]) : 2000;
  let rounds: u32 = a.length > 2 ? <u32>I32.parseInt(a[2]) : 5;
  let live0 = tasksLive();
  let base = heapInUse();
  let ok = true;
  // At least `rounds` rounds, and more (up to 1000) until some task has resumed on another core
  // than it blocked on and two tasks were blocked at once: where a task runs is up to the
  // scheduler (and on a busy host, when a core runs at all is up to the OS), so one round may not
  // show it. The test checks both counts; the bound only keeps a broken scheduler from looping.
  let r: u32 = 0;
  for (; r < rounds || ((atomic.load<u32>(migrated) == 0 || blockedPeak() < 2) && r < 1000); r++) {
    let fs = heapAlloc(<usize>k << 2);
    let prev: u32 = 0;
    // Spawn newest-first so the waiters start before what they wait for.
    for (let i: u32 = 0; i < k; i++) store<u32>(fs + (<usize>i << 2), 0);
    let futures = heapAlloc(<usize>k << 2);
    for (let i: u32 = 0; i < k; i++) { let f = spawn(link, prev); store<u32>(futures + (<usize>i << 2), changetype<u32>(f)); prev = changetype<u32>(f); }
    let last = changetype<Future>(prev).wait();
    if (last != <u64>k) ok = false;
    for (let i: u32 = 0; i < k; i++) changetype<Future>(load<u32>(futures + (<usize>i << 2))).join();
    heapFree(futures);
    heapFree(fs);
  }
  let leaked = settledHeap(live0) - base;
  println("result " + (ok ? "ok" : "WRONG") + " rounds " + r.toString() + " migrated " + atomic.load<u32>(migrated).toString() +
    " contexts peak " + contextsPeak().toString() + " blocked peak " + blockedPeak().toString() + " cores " + coreCount().toString() +
    " leaked " + leaked.toString());
  return ok && leaked == 0 ? 0 : 1;
}
