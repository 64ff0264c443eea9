// loadstep.ts: machine A is saturated while machine B idles, then A goes idle. Prints, in manager
// ticks as this program saw them, when A first held 2+ cores after its first call, its most
// cores, and when A was back to no core after the load ended. Built with --trace, the same steps
// are counted exactly from the manager's own samples (tests/machines: this program's view lags
// whenever the host does not run its cores, which a busy machine does).
// main blocks while the load runs, so the main machine's cores are idle and can be given to A.
// Usage: loadstep [calls] [work per call]
import { Task, Future, println, args, yieldNow, spawnDetached, defineMachine, findMachine, connect, managerTicks, Signal } from "aam";

const BURN: u32 = 0;                       // A's method
const IDLE_WORK: u32 = 0;                  // B's method
const workRounds = memory.data(4);
const loadDone = memory.data(16);            // Signal record
const queuedAt = memory.data(4);             // tick when the first calls were queued (+1; 0: not yet)
const got2 = memory.data(4);                 // tick when a call first ran with A on 2+ cores (+1)
const most = memory.data(4);                 // A's most cores, as its calls saw them

function burn(t: Task): u64 {
  let c = findMachine("A")!.cores;
  if (c >= 2 && !atomic.load<u32>(got2)) atomic.cmpxchg<u32>(got2, 0, managerTicks() + 1);
  let m = atomic.load<u32>(most);
  while (c > m) { let seen = atomic.cmpxchg<u32>(most, m, c); if (seen == m) break; m = seen; }
  let x = t.arg0;
  for (let i: u32 = 0; i < atomic.load<u32>(workRounds); i++) x = x * 6364136223846793005 + 1442695040888963407;
  return x;
}

function idleWork(t: Task): u64 { return 0; }

function load(t: Task): u64 {              // main machine: keep A busy with t.arg0 calls
  let iface = connect(findMachine("A")!, 128);
  let fs = new StaticArray<u64>(128);
  // The step starts before the first call: stamped after the first 128 were queued, it came
  // after the second core whenever main's core was taken while it queued them (the bench read
  // "-1", "-2" ticks)
  atomic.store<u32>(queuedAt, managerTicks() + 1);
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
  spawnDetached(load, calls);
  changetype<Signal>(loadDone).wait();
  let end = managerTicks();
  let back: u32 = 0;
  while (managerTicks() - end < 200) {     // a bound in ticks, not time
    if (A.cores == 0) { back = managerTicks(); break; }
    yieldNow();
  }
  let q = atomic.load<u32>(queuedAt), g = atomic.load<u32>(got2);
  println("ticks to second core " + (q && g ? (<i32>g - <i32>q).toString() : "9999") + " most cores " + atomic.load<u32>(most).toString() +
    " load ticks " + (q ? end - (q - 1) : 0).toString() + " ticks to release " + (back ? back - end : 9999).toString() +
    " idle machine cores " + findMachine("B")!.cores.toString());
  return 0;
}
