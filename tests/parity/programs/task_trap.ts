// task_trap.ts (parity): some tasks trap (unreachable, out-of-bounds load, assert, division by
// zero); their futures fail, every other task completes and the system goes on.
import { Task, Future, spawn, println } from "aam";

const zero = memory.data(4);               // a divisor the optimiser cannot see is 0

function work(t: Task): u64 {
  let kind = t.arg0;
  if (kind == 1) unreachable();
  if (kind == 2) return <u64>load<u32>(0xFFFFFFF0);
  if (kind == 3) assert(false, "task gave up");
  if (kind == 4) return <u64>(<u32>t.arg1 / load<u32>(zero));
  return t.arg1 * 2;
}

export function main(): i32 {
  let failed = 0, ok = 0;
  for (let round = 0; round < 3; round++) {
    let fs = new StaticArray<u32>(40);
    for (let i = 0; i < 40; i++) fs[i] = changetype<u32>(spawn(work, i % 10 == 0 ? <u64>(1 + (i / 10) % 4) : 0, <u64>i));
    for (let i = 0; i < 40; i++) {
      let f = changetype<Future>(fs[i]);
      let v = f.wait();
      if (f.failed) failed++; else if (v == <u64>(i * 2)) ok++;
      f.release();
    }
  }
  println("task_trap: ok " + ok.toString() + " failed " + failed.toString() + ", the system goes on");
  return ok == 108 && failed == 12 ? 0 : 1;
}
