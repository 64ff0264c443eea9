// status.ts: exit statuses. `status N` returns N from main; `status exit N` calls exit(N) from a
// task. 0..255 is the status on both hosts (QEMU included, whose own status holds only 0..127);
// anything else is refused with a message and the system ends with status 70.
import { Task, spawn, println, args, exit } from "aam";
function quit(t: Task): u64 { exit(<i32>t.arg0); return 0; }
export function main(): i32 {
  let a = args();
  if (a.length > 2 && a[1] == "exit") {
    println("status: exit(" + a[2] + ") from a task");
    spawn(quit, <u64>I32.parseInt(a[2])).join();
    return 1;
  }
  println("status: main returns " + a[1]);
  return I32.parseInt(a[1]);
}
