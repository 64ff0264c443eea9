// pingpong.ts (parity): P pairs of tasks pass a token through two counting signals, R round trips
// each; almost every wait blocks and is woken by another task, often on another core. A lost
// wake-up hangs the run; the counts are checked at the end.
// Usage: pingpong [pairs] [round trips]
import { Task, spawn, println, args, Signal, Future, heapAlloc, heapFree } from "aam";

const waits = memory.data(8);

function ping(t: Task): u64 {              // arg0: my signal, arg1: the other's, arg2: rounds
  let mine = changetype<Signal>(<u32>t.arg0), theirs = changetype<Signal>(<u32>t.arg1);
  for (let i: u64 = 0; i < t.arg2; i++) { theirs.signal(); mine.wait(); atomic.add<u64>(waits, 1); }
  return t.arg2;
}

function pong(t: Task): u64 {
  let mine = changetype<Signal>(<u32>t.arg0), theirs = changetype<Signal>(<u32>t.arg1);
  for (let i: u64 = 0; i < t.arg2; i++) { mine.wait(); atomic.add<u64>(waits, 1); theirs.signal(); }
  return t.arg2;
}

export function main(): i32 {
  let a = args();
  let pairs: u32 = a.length > 1 ? <u32>I32.parseInt(a[1]) : 2;
  let rounds: u64 = a.length > 2 ? <u64>I32.parseInt(a[2]) : 1000;
  let sigs = heapAlloc(<usize>pairs * 8), fs = heapAlloc(<usize>pairs * 8);
  for (let p: u32 = 0; p < pairs; p++) {
    let x = Signal.create(0), y = Signal.create(0);
    store<u32>(sigs + p * 8, changetype<u32>(x)); store<u32>(sigs + p * 8 + 4, changetype<u32>(y));
    store<u32>(fs + p * 8, changetype<u32>(spawn(ping, changetype<u32>(x), changetype<u32>(y), rounds)));
    store<u32>(fs + p * 8 + 4, changetype<u32>(spawn(pong, changetype<u32>(y), changetype<u32>(x), rounds)));
  }
  let sum: u64 = 0;
  for (let i: u32 = 0; i < pairs * 2; i++) sum += changetype<Future>(load<u32>(fs + i * 4)).join();
  let leftover = 0;
  for (let i: u32 = 0; i < pairs * 2; i++) { let s = changetype<Signal>(load<u32>(sigs + i * 4)); leftover += s.units; s.dispose(); }
  heapFree(sigs); heapFree(fs);
  let w = atomic.load<u64>(waits), want = <u64>pairs * 2 * rounds;
  println("pingpong: waits " + w.toString() + " expected " + want.toString() + " returned " + sum.toString() + " leftover units " + leftover.toString());
  return w == want && leftover == 0 ? 0 : 1;
}
