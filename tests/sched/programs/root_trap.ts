// root_trap.ts: main itself traps (after blocking once): the system ends with status 70.
import { Task, spawn } from "aam";
function one(t: Task): u64 { return 1; }
export function main(): i32 {
  let v = spawn(one).join();
  if (v == 1) unreachable();
  return 0;
}
