// exitbusy.ts: the system ends while another core is busy. 300 short tasks (compact trace records,
// most not yet published when the run ends), then a detached task that spins until the system
// stops; main waits until it runs, then exits (`exitbusy`) or traps fatally (`exitbusy trap`: a
// bad free, which the heap's own code traps on). A traced run must still show every task, the
// spinning one included (runtime/sys/trace.ts step 4: the last drain reads what the cores wrote).
import { Task, spawn, spawnDetached, now, println, args, heapFree } from "aam";
import { load32, store32 } from "aam/atomic";
import { MEMORY_BASE } from "~lib/rt/abi";

const started = memory.data(4);        // shared by every core (a module-level `let` is per core)

function quick(t: Task): u64 { return t.arg0 + 1; }

function spin(t: Task): u64 {
  store32(started, 1);
  let x: u64 = 0;
  while (true) x += <u64>now();       // until the host stops this core
  return x;
}

export function main(): i32 {
  let s: u64 = 0;
  for (let i = 0; i < 300; i++) s += spawn(quick, <u64>i).join();
  spawnDetached(spin);
  let t0 = now();
  while (!load32(started) && now() - t0 < 60e9) {}      // a hang guard: another core must steal spin
  println("sum " + s.toString() + (load32(started) ? " spinning" : " spin never started"));
  let a = args();
  if (a.length > 1 && a[1] == "trap") heapFree(MEMORY_BASE + 4);   // outside the heap: fatal
  return 0;
}
