// exit.ts (parity): exit(n) from a task on whatever core runs it ends the system with status n.
// Usage: exit [n]
import { Task, spawn, println, args, exit } from "aam";
function quit(t: Task): u64 {
  println("exit: calling exit(" + t.arg0.toString() + ") from a task");
  exit(<i32>t.arg0);
  return 0;
}
export function main(): i32 {
  let a = args();
  let n = a.length > 1 ? I32.parseInt(a[1]) : 3;
  spawn(quit, <u64>n).join();
  println("exit: not reached");
  return 1;
}
