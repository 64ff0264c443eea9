// percore_trap.ts (parity): a trap outside any task (in core 0's percore(), before the scheduler
// runs) cannot be survived: the system ends with status 70.
import { coreId, println } from "aam";
const zero = memory.data(4);
export function percore(): void {
  if (coreId() != 0) return;
  println("percore_trap: core 0 divides by zero outside any task");
  store<u32>(zero + 4, 1 / load<u32>(zero));
}
export function main(): i32 {
  println("percore_trap: not reached");
  return 0;
}
