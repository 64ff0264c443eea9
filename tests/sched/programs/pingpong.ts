// pingpong.ts: P pairs of tasks pass a token back and forth through two counting signals,
// R round trips each: 2·P·R signal/wait pairs, almost all of which block and are woken from
// another task, often on another core. A lost wake-up hangs the run; counts are checked at the end.
// Usage: pingpong [pairs] [round trips per pair]
import { Task, spawn, println, args, Signal, Future, heapAlloc, heapFree, eprintln } from "aam";
import { settledHeap, heapInUse, tasksLive } from "./common";

const waits = memory.data(8);

function ping(t: Task): u64 {        // arg0: my signal, arg1: the other's, arg2: rounds
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
  let pairs: u32 = a.length > 1 ? <u32>I32.parseInt(a[1]) : 4;
  let rounds: u64 = a.length > 2 ? <u64>I32.parseInt(a[2]) : 125000;
  let live0 = tasksLive();
  let base = heapInUse();
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
  let leaked = settledHeap(live0) - base;
  let w = atomic.load<u64>(waits);
  println("pingpong: waits " + w.toString() + " expected " + (<u64>pairs * 2 * rounds).toString() + " returned " + sum.toString() +
    " leftover units " + leftover.toString());
  eprintln("leaked " + leaked.toString());     // stderr: the parity suite compares stdout across hosts
  return w == <u64>pairs * 2 * rounds && leftover == 0 && leaked == 0 ? 0 : 1;
}
