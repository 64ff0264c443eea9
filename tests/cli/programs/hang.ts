// hang.ts: main blocks forever on a Signal nobody signals (the hang report's test, cli.test.mjs).
import { Signal, println } from "aam";
export function main(): i32 {
  let s = Signal.create(0);
  println("waiting");
  s.wait();
  return 0;
}
