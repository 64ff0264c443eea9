// loadstep.ts: machine A is saturated while machine B idles, then A goes idle. Records the
// manager tick at which the load started, at which A first held 2+ cores and its most cores,
// when the load ended, and when A was back to no core. Prints tick counts, not times.
// Usage: loadstep [calls] [work per call]
import { Task, Future, println, args, yieldNow, spawnDetached, defineMachine, findMachine, connect, managerTicks, Signal } from "aam";

const BURN: u32 = 0;                       // A's method
const IDLE_WORK: u32 = 0;                  // B's method
const workRounds = memory.data(4);
const loadDone = memory.data(16);            // Signal record

function burn(t: Task): u64 {
  let x = t.arg0;
  for (let i: u32 = 0; i < atomic.load<u32>(workRounds); i++) x = x * 6364136223846793005 + 1442695040888963407;
  return x;
}

function idleWork(t: Task): u64 { return 0; }

function load(t: Task): u64 {              // main machine: keep A busy with t.arg0 calls
  let iface = connect(findMachine("A")!, 128);
  let fs = new StaticArray<u64>(128);
  for (let base: u64 = 0; base < t.arg0; base += 128) {
    for (let j = 0; j < 128; j++) fs[j] = iface.call(BURN, base + <u64>j).asArg();
    for (let j = 0; j < 128; j++) Future.fromArg(fs[j]).join();
  }
  changetype<Signal>(loadDone).signal();
  return 0;
}

export function machines(): void {
  defineMachine("A").offer(BURN, burn);
  defineMachine("B").offer(IDLE_WORK, idleWork);
}

export function main(): i32 {
  let a = args();
  let calls: u64 = a.length > 1 ? <u64>I32.parseInt(a[1]) : 6000;
  atomic.store<u32>(workRounds, a.length > 2 ? <u32>I32.parseInt(a[2]) : 20000);
  let A = findMachine("A")!;
  let start = managerTicks();
  let got2: u32 = 0, most: u32 = 0;
  spawnDetached(load, calls);
  let done = changetype<Signal>(loadDone);
  while (!done.tryWait()) {
    let c = A.cores;
    if (c >= 2 && !got2) got2 = managerTicks();
    if (c > most) most = c;
    yieldNow();
  }
  let end = managerTicks();
  let back: u32 = 0;
  while (managerTicks() - end < 200) {
    if (A.cores == 0) { back = managerTicks(); break; }
    yieldNow();
  }
  println("ticks to second core " + (got2 ? got2 - start : 9999).toString() + " most cores " + most.toString() +
    " load ticks " + (end - start).toString() + " ticks to release " + (back ? back - end : 9999).toString() +
    " idle machine cores " + findMachine("B")!.cores.toString());
  return 0;
}
