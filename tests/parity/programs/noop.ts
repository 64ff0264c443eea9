// noop.ts (parity): a flood of no-op detached tasks, spawned from every core's percore(); each
// marks its id in a table. main checks that every id ran exactly once and prints the count and a
// checksum over the ids (independent of which core ran what).
// Usage: noop [N]
import { Task, Signal, spawnDetached, coreId, coreCount, println, args, heapAlloc, heapFree } from "aam";

const done = memory.data(16);               // +0 tasks finished, +8 u64 checksum
const allDone = memory.data(16);            // a Signal record, zero = no units, no waiters
const table = memory.data(4);               // u8 per id, allocated by core 0 before the barrier
const total = memory.data(4);

function noop(t: Task): u64 {
  let id = <u32>t.arg0;
  atomic.add<u8>(<usize>load<u32>(table) + id, 1);
  atomic.add<u64>(done + 8, <u64>id * 2654435761 + 1);
  if (atomic.add<u32>(done, 1) + 1 == atomic.load<u32>(total)) changetype<Signal>(allDone).signal();
  return 0;
}

function count(): u32 {
  let a = args();
  return a.length > 1 ? <u32>I32.parseInt(a[1]) : 20000;
}

export function percore(): void {
  let n = count(), me = <u32>coreId(), cores = <u32>coreCount();
  if (me == 0) {
    let t = heapAlloc(n);
    memory.fill(t, 0, n);
    atomic.store<u32>(table, <u32>t);
    atomic.store<u32>(total, n);
  }
  while (atomic.load<u32>(total) != n) {}   // core 0 publishes the table (spins briefly at boot)
  for (let id = me; id < n; id += cores) spawnDetached(noop, <u64>id);
}

export function main(): i32 {
  changetype<Signal>(allDone).wait();
  let n = atomic.load<u32>(total), t = <usize>load<u32>(table);
  let once: u32 = 0, wrong: u32 = 0, sum: u64 = 0;
  for (let id: u32 = 0; id < n; id++) {
    if (load<u8>(t + id) == 1) once++; else wrong++;
    sum += <u64>id * 2654435761 + 1;
  }
  heapFree(t);
  let ck = atomic.load<u64>(done + 8);
  println("noop: tasks " + atomic.load<u32>(done).toString() + " once " + once.toString() + " wrong " + wrong.toString() +
    " checksum " + ck.toString() + (ck == sum ? " ok" : " WRONG"));
  return wrong == 0 && once == n && ck == sum ? 0 : 1;
}
