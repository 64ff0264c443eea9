// tasks.ts: the example of docs/TASKS.md, kept runnable (tests/sched checks its output).
import { Task, Future, spawn, spawnDetached, yieldNow, Signal, Mutex, WaitGroup, println } from "aam";

function square(t: Task): u64 { return t.arg0 * t.arg0; }

function sum(t: Task): u64 {                    // fork-join: spawn, then wait for each future
  let a = spawn(square, 3), b = spawn(square, 4);
  return a.join() + b.join();                   // join = wait + release the handle
}

export function main(): i32 {                    // main is the first task: it may block too
  let f = spawn(sum);
  let g = f.then(square);                        // continuation: square(value of f)
  println("sum " + f.wait().toString() + ", squared " + g.join().toString());
  f.release();
  return 0;
}
