// hello.ts (parity): every core adds to one shared counter in percore(); main checks the total.
// Output is the same on any core count: the per-core share and a verdict, no per-core lines.
import { coreCount, println } from "aam";

const ROUNDS: u32 = 20000;
const counter = memory.data(8);            // static data: shared by every core

export function percore(): void {
  for (let i: u32 = 0; i < ROUNDS; i++) atomic.add<u32>(counter, 1);
}

export function main(): i32 {
  let got = atomic.load<u32>(counter), want = ROUNDS * <u32>coreCount();
  println("hello: shared counter " + (got / <u32>coreCount()).toString() + " per core, total " + (got == want ? "ok" : "WRONG"));
  return got == want ? 0 : 1;
}
