// task_trap.ts: some tasks trap (unreachable, out-of-bounds load, abort); their futures fail,
// everything else completes and the system goes on. Prints what the futures said.
import { Task, Future, spawn, println } from "aam";

function work(t: Task): u64 {
  let kind = t.arg0;
  if (kind == 1) unreachable();
  if (kind == 2) return <u64>load<u32>(0xFFFFFFF0);
  if (kind == 3) assert(false, "task gave up");
  return t.arg1 * 2;
}

export function main(): i32 {
  let failed = 0, ok = 0;
  for (let round = 0; round < 3; round++) {
    let fs = new StaticArray<u32>(40);
    for (let i = 0; i < 40; i++) fs[i] = changetype<u32>(spawn(work, i % 10 == 0 ? <u64>(1 + (i / 10) % 3) : 0, <u64>i));
    for (let i = 0; i < 40; i++) {
      let f = changetype<Future>(fs[i]);
      let v = f.wait();
      if (f.failed) failed++; else if (v == <u64>(i * 2)) ok++;
      f.release();
    }
  }
  println("ok " + ok.toString() + " failed " + failed.toString());
  return ok == 108 && failed == 12 ? 0 : 1;
}
