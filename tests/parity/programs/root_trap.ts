// root_trap.ts (parity): main itself traps after blocking once: a trap outside any ordinary task
// ends the system with status 70, after what was printed before it.
import { Task, spawn, println } from "aam";
function one(t: Task): u64 { return 1; }
export function main(): i32 {
  let v = spawn(one).join();
  println("root_trap: joined " + v.toString() + ", now trapping in main");
  if (v == 1) unreachable();
  return 0;
}
