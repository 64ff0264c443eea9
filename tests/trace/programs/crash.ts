// crash.ts: a few ordinary tasks, then one that traps (an out-of-range array write); the system
// goes on and main reports the failed future. With --trace the host prints the flight recorder.
import { Task, spawn, println, fail } from "aam";

function work(t: Task): u64 { return t.arg0 * 2; }

function explode(t: Task): u64 {
  if (t.arg0 == 7) fail("explode: task 7 hit its deliberate bug");
  return 0;
}

export function main(): i32 {
  let sum: u64 = 0;
  for (let i: u64 = 0; i < 20; i++) sum += spawn(work, i).join();
  let f = spawn(explode, 7);
  f.wait();
  println("sum " + sum.toString() + " failed " + (f.failed ? "1" : "0"));
  f.release();
  return 0;
}
