// crash.ts: a few ordinary tasks, then one that traps (or N, `crash N`, one after the other); the
// system goes on and main reports the failed futures. With --trace the host prints the flight
// recorder.
import { Task, spawn, println, fail, args } from "aam";

function work(t: Task): u64 { return t.arg0 * 2; }

function explode(t: Task): u64 {
  if (t.arg0 == 7) fail("explode: task 7 hit its deliberate bug");
  return 0;
}

export function main(): i32 {
  let sum: u64 = 0;
  for (let i: u64 = 0; i < 20; i++) sum += spawn(work, i).join();
  let a = args();
  let n = a.length > 1 ? I32.parseInt(a[1]) : 1, failed = 0;
  for (let i = 0; i < n; i++) {
    let f = spawn(explode, 7);
    f.wait();
    if (f.failed) failed++;
    f.release();
  }
  println("sum " + sum.toString() + " failed " + failed.toString());
  return 0;
}
