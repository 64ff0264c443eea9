// wake.ts: work posted to a halted core is picked up: cores 0 and 1 pass a sequence number back
// and forth N times through the platform's park/wake only (no scheduler, no spinning), so every
// wait is a park and, on bare metal, a hlt ended by the wake IPI. A wake-up that does not arrive
// within a second while its work is already posted counts as lost. Other cores stay idle.
// Runs in percore() (before the scheduler serves tasks); main prints the counts.
// Usage: wake [N]   (needs 2 cores or more)
import { coreId, coreCount, now, println, args } from "aam";
import { platform } from "~lib/rt/platform";

const posted = memory.data(4);              // written by core 0: the cycle it posted
const picked = memory.data(4);              // written by core 1: the cycle it picked up
const lost = memory.data(4);
const elapsed = memory.data(8);             // f64 ns for all cycles, core 0's clock

function cycles(): u32 {
  let a = args();
  return a.length > 1 ? <u32>I32.parseInt(a[1]) : 100000;
}

// Park until `word` holds `want`; a 1 s timeout with the value already there is a lost wake-up.
function await_(word: usize, want: u32): void {
  while (atomic.load<u32>(word) != want) {
    if (platform.park(1e9) == 0 && atomic.load<u32>(word) == want) atomic.add<u32>(lost, 1);
  }
}

export function percore(): void {
  if (coreCount() < 2) return;
  let n = cycles();
  if (coreId() == 1) {
    for (let i: u32 = 1; i <= n; i++) { await_(posted, i); atomic.store<u32>(picked, i); platform.wake(0); }
  } else if (coreId() == 0) {
    let t0 = now();
    for (let i: u32 = 1; i <= n; i++) { atomic.store<u32>(posted, i); platform.wake(1); await_(picked, i); }
    store<f64>(elapsed, now() - t0);
  }
}

export function main(): i32 {
  let n = cycles(), got = atomic.load<u32>(picked), l = atomic.load<u32>(lost);
  println("wake cycles " + n.toString() + " picked up " + got.toString() + " lost " + l.toString() +
    " round trip ns " + (<u64>(load<f64>(elapsed) / <f64>max<u32>(n, 1))).toString());
  return got == n && l == 0 ? 0 : 1;
}
