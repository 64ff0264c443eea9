// fib.ts (parity): recursive fork-join Fibonacci with tasks and futures; prints the result, the
// number of tasks spawned (fixed by n) and a float computed from it (dtoa, Math on bare metal).
// Usage: fib [n]   (default 16: TCG is slow)
import { Task, spawn, println, args } from "aam";

const spawned = memory.data(8);

function fib(t: Task): u64 {
  let n = t.arg0;
  if (n < 2) return n;
  atomic.add<u64>(spawned, 1);
  let f = spawn(fib, n - 1);
  return fibDirect(n - 2) + f.join();
}

function fibDirect(n: u64): u64 {          // fib(n-2) on the caller's stack, spawning fib(n-3)…
  if (n < 2) return n;
  atomic.add<u64>(spawned, 1);
  let f = spawn(fib, n - 1);
  return fibDirect(n - 2) + f.join();
}

export function main(): i32 {
  let a = args();
  let n: u64 = a.length > 1 ? <u64>I32.parseInt(a[1]) : 16;
  let r = spawn(fib, n).join(), r1 = spawn(fib, n - 1).join();
  let ratio = <f64>r / <f64>r1;
  println("fib(" + n.toString() + ") = " + r.toString() + ", tasks " + atomic.load<u64>(spawned).toString() +
    ", fib(n)/fib(n-1) = " + ratio.toString() + ", floor(sqrt) = " + Math.floor(Math.sqrt(<f64>r)).toString());
  return 0;
}
