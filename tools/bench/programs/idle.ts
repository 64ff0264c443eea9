// idle.ts: a system with nothing to do, for `aam bench policy` (tools/bench/policy.ts). Two
// machines besides main, so the Machine Manager's policy runs; each serves one call so that it
// held a core, then main blocks on a signal nobody signals. The benchmark reads the process's
// CPU time while it sits there, then kills it.
import { Task, Signal, println, defineMachine, findMachine, connect } from "aam";

function noop(t: Task): u64 { return t.arg0 + 1; }

export function machines(): void {
  defineMachine("a").offer(0, noop);
  defineMachine("b").offer(0, noop);
}

export function main(): i32 {
  let a = connect(findMachine("a")!, 4), b = connect(findMachine("b")!, 4);
  let x = a.call(0, 1).join() + b.call(0, 2).join();
  println("idle " + x.toString());          // the benchmark starts measuring here
  Signal.create(0).wait();                  // forever
  return 0;
}
