// traplock.ts: the trap rule (docs/ARCHITECTURE.md §10). A task connects to a machine that holds
// no core, which makes the manager grant it one under its lock (by activation, or at a tick that
// saw the connection's signal first). Built with --define AAM_TEST_TRAP_LOCKED=1 that grant traps
// while holding the lock: the system must
// stop (status 70, the lock named) rather than fail only the task. Built without it, the same
// program shows the other half: a trap in runtime code that holds no lock (connect's check of
// its capacity) fails only its task.
import { defineMachine, findMachine, spawn, connect, println, Task, Machine } from "aam";

function noop(t: Task): u64 { return 7; }

export function machines(): void {
  defineMachine("worker", { minCores: 0, maxCores: 1 }).offer(0, noop);   // it starts with no core
}

// Connects, then calls the worker and waits: the call can only complete once the manager has
// granted the worker a core (at the activation, or at a tick if no core was free then), so the
// grant happens before main can end, whichever way it comes.
function connectTask(t: Task): u64 {
  let i = connect(Machine.fromArg(t.arg0), <u32>t.arg1);   // activation of "worker"
  return i.call(0).join();
}

export function main(): i32 {
  let w = findMachine("worker")!.asArg();         // (a module-level let is per core)
  let bad = spawn(connectTask, w, 3);               // capacity 3: refused, no lock held
  bad.wait();
  println("bad capacity: failed=" + (bad.failed ? "yes" : "no"));
  bad.release();
  let ok = spawn(connectTask, w, 4);                // activates "worker"
  let v = ok.wait();
  println("connected: failed=" + (ok.failed ? "yes" : "no") + ", call answered " + v.toString());
  ok.release();
  return 0;
}
