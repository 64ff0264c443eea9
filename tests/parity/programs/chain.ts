// chain.ts (parity): blocking chains. K tasks are spawned at once, newest waiting on the one before;
// task i waits on task i-1's future and returns its value + 1, so up to K-1 tasks are blocked at
// once and each is woken by a task that may run on another core.
// Usage: chain [K] [rounds]
import { Task, Future, spawn, println, args, heapAlloc, heapFree } from "aam";

function link(t: Task): u64 {
  let prev = <u32>t.arg0;
  if (!prev) return 1;
  return changetype<Future>(prev).wait() + 1;
}

export function main(): i32 {
  let a = args();
  let k: u32 = a.length > 1 ? <u32>I32.parseInt(a[1]) : 300;
  let rounds: u32 = a.length > 2 ? <u32>I32.parseInt(a[2]) : 3;
  let ok = true, sum: u64 = 0;
  for (let r: u32 = 0; r < rounds; r++) {
    let fs = heapAlloc(<usize>k << 2);
    let prev: u32 = 0;
    for (let i: u32 = 0; i < k; i++) { prev = changetype<u32>(spawn(link, prev)); store<u32>(fs + (<usize>i << 2), prev); }
    for (let i: u32 = 0; i < k; i++) {
      let v = changetype<Future>(load<u32>(fs + (<usize>i << 2))).join();
      if (v != <u64>(i + 1)) ok = false;
      sum += v;
    }
    heapFree(fs);
  }
  println("chain: " + k.toString() + " links x " + rounds.toString() + " rounds, sum " + sum.toString() + (ok ? " ok" : " WRONG"));
  return ok ? 0 : 1;
}
