// hello.ts: the default system. Every core says hello and adds to one shared counter; core 0
// checks the total after all cores are done (main runs after every core's percore()).
import { coreId, coreCount, println } from "aam";

const ROUNDS: i32 = 100000;
const counter = memory.data(8);           // static data: one word shared by every core

export function percore(): void {
  for (let i = 0; i < ROUNDS; i++) atomic.add<u32>(counter, 1);
  println("hello from core " + coreId().toString() + " of " + coreCount().toString());
}

export function main(): i32 {
  let want = <u32>ROUNDS * <u32>coreCount();
  let got = atomic.load<u32>(counter);
  println("shared counter: " + got.toString() + " (expected " + want.toString() + ")" + (got == want ? " ok" : " WRONG"));
  return got == want ? 0 : 1;
}
