// noop.ts: N no-op tasks spawned from every core: each core's percore() spawns its share into
// its own ring before the scheduler loops start (stealing then moves them around). Each task
// marks its id in its spawning core's table: at the end every id must be marked exactly once,
// and the count and checksum must match. The last task to finish signals main.
// Usage: noop [N]
import { Task, Signal, spawnDetached, coreId, coreCount, println, args, heapAlloc, heapFree, heapBytesInUse } from "aam";
import { settledHeap, tasksLive } from "./common";

const done = memory.data(16);               // +0 tasks finished, +8 u64 checksum
const allDone = memory.data(16);            // a Signal record, zero = no units, no waiters
const tables = memory.data(4 * 64);         // per spawning core: its table of ids
const shares = memory.data(4 * 64);
const base = memory.data(8 * 64);           // per core: heap bytes in use before it spawned
const ran = memory.data(8 * 64);
const total = memory.data(4);

function noop(t: Task): u64 {
  let c = <usize>t.arg0, id = <u32>t.arg1;
  atomic.add<u8>(load<u32>(tables + (c << 2)) + id, 1);
  atomic.add<u64>(done + 8, (<u64>c << 32 | <u64>id) * 2654435761 + 1);
  atomic.add<u64>(ran + (<usize>coreId() << 3), 1);
  if (atomic.add<u32>(done, 1) + 1 == atomic.load<u32>(total)) changetype<Signal>(allDone).signal();
  return 0;
}

export function percore(): void {
  let me = coreId(), cores = coreCount();
  let a = args();
  let n: u32 = a.length > 1 ? <u32>I32.parseInt(a[1]) : 1000000;
  store<u64>(base + (<usize>me << 3), heapBytesInUse(me));       // after args(): its strings stay
  if (me == 0) atomic.store<u32>(total, n);
  let share = n / <u32>cores + (me == 0 ? n % <u32>cores : 0);
  let table = heapAlloc(max<u32>(share, 1));
  memory.fill(table, 0, share);
  store<u32>(tables + (<usize>me << 2), <u32>table);
  store<u32>(shares + (<usize>me << 2), share);
  for (let i: u32 = 0; i < share; i++) spawnDetached(noop, <u64>me, <u64>i);
}

export function main(): i32 {
  changetype<Signal>(allDone).wait();
  let once: u32 = 0, bad: u32 = 0;
  let sum: u64 = 0;
  for (let c = 0; c < coreCount(); c++) {
    let table = <usize>load<u32>(tables + (<usize>c << 2)), share = load<u32>(shares + (<usize>c << 2));
    for (let id: u32 = 0; id < share; id++) {
      if (load<u8>(table + id) == 1) once++; else bad++;
      sum += (<u64>c << 32 | <u64>id) * 2654435761 + 1;
    }
    heapFree(table);
  }
  settledHeap(1);
  let leaked: i64 = -64;                    // main's own task record is still alive
  for (let c = 0; c < coreCount(); c++) leaked += <i64>(heapBytesInUse(c) - load<u64>(base + (<usize>c << 3)));
  let line = "tasks " + atomic.load<u32>(done).toString() + " once " + once.toString() + " wrong " + bad.toString() +
    " bad checksum " + (atomic.load<u64>(done + 8) == sum ? "0" : "1") + " leaked " + leaked.toString() + " live " + tasksLive().toString();
  for (let c = 0; c < coreCount(); c++) line += " ran" + c.toString() + " " + load<u64>(ran + (<usize>c << 3)).toString() +
    " spawned" + c.toString() + " " + load<u32>(shares + (<usize>c << 2)).toString();
  println(line);
  return bad == 0 && once == atomic.load<u32>(total) && leaked == 0 && atomic.load<u64>(done + 8) == sum ? 0 : 1;
}
