// fib.ts: recursive fork-join Fibonacci with tasks and futures.
//   aam run examples/fib.ts --cores N -- N
// Every call below the cut-off spawns fib(n-1) as a task, computes fib(n-2) itself, and waits on
// the future: a task blocks only itself, its core runs other tasks meanwhile, and it may resume on
// another core. Prints fib(N) and how many tasks each core ran.
import { Task, spawn, coreCount, println, args } from "aam";
import { coreRec } from "~lib/rt/layout";
import { FC_TASKS_RUN, FC_TASKS_STOLEN } from "~lib/rt/abi";

function fib(t: Task): u64 {
  let n = t.arg0;
  if (n < 2) return n;
  let f = spawn(fib, n - 1);
  let b = fibTask(n - 2);
  return f.join() + b;
}

function fibTask(n: u64): u64 {          // the same, called directly (no task) for fib(n-2)
  if (n < 2) return n;
  let f = spawn(fib, n - 1);
  let b = fibTask(n - 2);
  return f.join() + b;
}

export function main(): i32 {
  let a = args();
  let n: u64 = a.length > 1 ? <u64>I32.parseInt(a[1]) : 20;
  let r = spawn(fib, n).join();
  println("fib(" + n.toString() + ") = " + r.toString());
  for (let c = 0; c < coreCount(); c++) {
    let rec = coreRec(c);
    println("core " + c.toString() + ": tasks run " + atomic.load<u64>(rec + FC_TASKS_RUN).toString() +
      ", stolen " + atomic.load<u64>(rec + FC_TASKS_STOLEN).toString());
  }
  return 0;
}
