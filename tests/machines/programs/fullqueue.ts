// fullqueue.ts: a client issues calls much faster than a slow server serves them through an
// interface of capacity 4: the client's task blocks whenever 4 calls are outstanding, and every
// call completes with its own result: nothing is dropped or duplicated.
// Usage: fullqueue [calls]
import { Task, Future, println, args, heapAlloc, heapFree, defineMachine, findMachine, connect } from "aam";
import { FW_BLOCKED_PEAK } from "~lib/rt/abi";

const seen = memory.data(8);

function slow(t: Task): u64 {
  let x = t.arg0;
  for (let i = 0; i < 20000; i++) x = x * 6364136223846793005 + 1;
  atomic.add<u64>(seen, 1);
  return t.arg0 + 1;
}

export function machines(): void { defineMachine("server", 0, 1).offer(0, slow); }

export function main(): i32 {
  let a = args();
  let n: u32 = a.length > 1 ? <u32>I32.parseInt(a[1]) : 2000;
  let iface = connect(findMachine("server")!, 4);
  let fs = heapAlloc(<usize>n << 2);
  for (let i: u32 = 0; i < n; i++) store<u32>(fs + (<usize>i << 2), changetype<u32>(iface.call(0, i)));
  let wrong = 0;
  for (let i: u32 = 0; i < n; i++) if (changetype<Future>(load<u32>(fs + (<usize>i << 2))).join() != <u64>i + 1) wrong++;
  heapFree(fs);
  println("calls " + n.toString() + " served " + atomic.load<u64>(seen).toString() + " wrong " + wrong.toString() +
    " blocked peak " + atomic.load<u32>(FW_BLOCKED_PEAK).toString());
  return wrong == 0 && atomic.load<u64>(seen) == <u64>n ? 0 : 1;
}
