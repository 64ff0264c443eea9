// timers.ts: sched/timer.ts under load. N tasks each sleep a different time (0 … 3 ms, several
// sharing a deadline) and check they never woke early; M timers on one Signal, every other one
// cancelled before its deadline: cancel says true exactly for those, the Signal gets exactly the
// other units, and a cancel after firing says false. Then main sleeps while nothing else runs:
// an idle system must still wake for it (parkTimeout honours the earliest deadline). Prints
// counts only, so the output is the same on every run and host. Heap back to where it was.
// Usage: timers [N]
import { Task, Signal, WaitGroup, spawnDetached, sleep, timerStart, timerCancel, now, println, args, heapAlloc, heapFree, heapBytesInUse, coreCount } from "aam";

const early = memory.data(4);       // sleeps that ended before their time
const woke = memory.data(4);        // sleeps that ended

function sleeper(t: Task): u64 {
  let ns = <f64>t.arg0;
  let t0 = now();
  sleep(ns);
  if (now() - t0 < ns) atomic.add<u32>(early, 1);
  atomic.add<u32>(woke, 1);
  WaitGroup.fromArg(t.arg1).done();
  return 0;
}

function heapNow(): u64 { let b: u64 = 0; for (let c = 0; c < coreCount(); c++) b += heapBytesInUse(c); return b; }

export function main(): i32 {
  let a = args();
  let n: u32 = a.length > 1 ? <u32>I32.parseInt(a[1]) : 400;
  let before = heapNow();

  let w = WaitGroup.create(n);
  for (let i: u32 = 0; i < n; i++) spawnDetached(sleeper, <u64>((i * 7919) % 31) * 100000, w.asArg());
  w.wait();
  w.dispose();

  let m = 64;
  let s = Signal.create(0);
  let ids = heapAlloc(<usize>m << 2);
  for (let i = 0; i < m; i++) store<u32>(ids + (<usize>i << 2), timerStart(s, i & 1 ? 5e8 : 1e6));   // odd ones far away
  let cancelled = 0;
  for (let i = 1; i < m; i += 2) if (timerCancel(load<u32>(ids + (<usize>i << 2)))) cancelled++;
  for (let i = 0; i < m / 2; i++) s.wait();                                // the even ones fire
  let lateCancel = 0;
  for (let i = 0; i < m; i += 2) if (timerCancel(load<u32>(ids + (<usize>i << 2)))) lateCancel++;
  sleep(2e6);                                                              // a cancelled one would have fired by now
  let extra = s.units;
  let cancel0 = timerCancel(0);
  s.dispose();
  heapFree(ids);

  let t0 = now();
  sleep(20e6);                                                             // nothing else to do: every core parks
  let idleOk = now() - t0 >= 20e6;
  sleep(-5);                                                               // ≤ 0: at the next look
  let grew = <i64>heapNow() - <i64>before;                                 // before any string is built
  println("sleepers " + n.toString() + " woke " + atomic.load<u32>(woke).toString() + " early " + atomic.load<u32>(early).toString());
  println("timers " + m.toString() + " cancelled " + cancelled.toString() + " fired " + (m / 2).toString() +
    " extra_units " + extra.toString() + " cancel_after_fire_true " + lateCancel.toString() + " cancel_0 " + (cancel0 ? "true" : "false"));
  println("idle sleep woke " + (idleOk ? "after its deadline" : "EARLY"));
  println("heap back " + (grew <= 0 ? "yes" : "no: " + grew.toString() + " bytes more"));
  return 0;
}
