// spin.ts: every core busy forever (until the process is interrupted).
import { println, coreId } from "aam";
export function percore(): void {
  if (coreId() == 0) println("spinning");
  let x = 0;
  while (atomic.load<i32>(0x2000) == 0) x++;
}
export function main(): i32 { return 0; }
