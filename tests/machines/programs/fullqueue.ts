// fullqueue.ts: a client issues calls much faster than a slow server serves them through an
// interface of capacity 4: the client's task blocks whenever 4 calls are outstanding, and every
// call completes with its own result: nothing is dropped or duplicated. With `held`, the client
// waits for each call at once (wait(), keeping the handle) and releases every handle only at the
// end: more calls are held than the call slots and the capacity together, so the calls beyond
// the slots must give their credits back when their results are taken in, not at the release.
// Usage: fullqueue [calls] [held]
import { Task, Future, println, args, heapAlloc, heapFree, defineMachine, findMachine, connect } from "aam";
import { FW_BLOCKED_PEAK } from "~lib/rt/abi";

const SLOW: u32 = 0;                       // server's method
const seen = memory.data(8);

function slow(t: Task): u64 {
  let x = t.arg0;
  for (let i = 0; i < 20000; i++) x = x * 6364136223846793005 + 1;
  atomic.add<u64>(seen, 1);
  return t.arg0 + 1;
}

export function machines(): void { defineMachine("server", { maxCores: 1 }).offer(SLOW, slow); }

export function main(): i32 {
  let a = args();
  let n: u32 = a.length > 1 ? <u32>I32.parseInt(a[1]) : 2000;
  let iface = connect(findMachine("server")!, 4);
  let held = a.length > 2 && a[2] == "held";
  let fs = heapAlloc(<usize>n << 3);
  let wrong = 0;
  for (let i: u32 = 0; i < n; i++) {
    let f = iface.call(SLOW, i);
    if (held && f.wait() != <u64>i + 1) wrong++;
    store<u64>(fs + (<usize>i << 3), f.asArg());
  }
  for (let i: u32 = 0; i < n; i++) if (Future.fromArg(load<u64>(fs + (<usize>i << 3))).join() != <u64>i + 1) wrong++;
  heapFree(fs);
  println("calls " + n.toString() + " served " + atomic.load<u64>(seen).toString() + " wrong " + wrong.toString() +
    " blocked peak " + atomic.load<u32>(FW_BLOCKED_PEAK).toString());
  return wrong == 0 && atomic.load<u64>(seen) == <u64>n ? 0 : 1;
}
