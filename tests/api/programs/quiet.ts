// quiet.ts: failQuietly, the failure that is an answer. Machine "calc" refuses odd numbers with
// failQuietly; main calls it in the three variants, spawns a task that fails the same way, and
// prints what each caller saw and the heap blocks left after 100 rounds (each failure's message
// is freed with its call). tests/api runs it on both hosts: stdout exact, stderr empty.
import { Task, Interface, defineMachine, findMachine, connect, spawn, failQuietly, text, println, coreCount, heapBlocksInUse } from "aam";

const CHECK: u32 = 0;
function check(t: Task): u64 {
  if (t.arg0 & 1) return failQuietly(text("calc: ").dec(t.arg0).s(" is odd").done());
  return t.arg0 * 10;
}
function refuse(t: Task): u64 { return failQuietly("refuse: a literal message"); }

export function machines(): void { defineMachine("calc").offer(CHECK, check); }

let thenSeen: u64 = 99;
function after(t: Task): u64 { thenSeen = t.arg0; return 0; }

function blocks(): u64 { let b: u64 = 0; for (let c = 0; c < coreCount(); c++) b += heapBlocksInUse(c); return b; }

function round(calc: Interface, i: u64, show: bool): void {
  let f = calc.call(CHECK, i);
  let v = f.wait();
  if (show) println("call " + i.toString() + ": failed " + f.failed.toString() + ", value " + v.toString() + ", error '" + f.error + "'");
  f.release();
  let s = spawn(refuse);
  s.wait();
  if (show) println("task: failed " + s.failed.toString() + ", value " + s.value.toString() + ", error '" + s.error + "'");
  s.release();
}

export function main(): i32 {
  let calc = connect(findMachine("calc")!);
  round(calc, 4, true);
  round(calc, 5, true);
  println("callSync 6: " + calc.callSync(CHECK, 6).toString());
  let f = calc.call(CHECK, 7);
  let c = f.then(after);                          // the continuation of a failed call runs with value 0
  c.wait();
  c.release();
  f.release();
  println("callThen 7: continuation saw " + thenSeen.toString());
  let b0 = blocks();
  for (let i: u64 = 0; i < 100; i++) round(calc, i, false);
  println("100 rounds: heap +" + (blocks() - b0).toString());
  return 0;
}
