// spin.ts: how long a core with nothing to do polls for work before it parks, by measurement.
//
// Owns: the rule below and its state, this core's coarse clock (clockNow, coarseNow), the cost
// of a spin round and the pacing of a spin loop's clock reads (spinBegin, spinCheck, spinElapsed), three words of each core's record written only by
// that core (FC_SPIN_GAP, FC_SPIN_MISSES, FC_SPIN_WAKE), and the wake-latency samples: a waker stamps
// the time into the woken core's FC_WAKE_AT (wakeCore), the woken core turns it into a sample
// (wakeSample). A caller waiting for its call's result spins up to CAP itself (sched.ts
// schedSpinFor). Not: the loop that spins (machine/core.ts idle), which core of a machine may
// spin (core.ts, the machine's SPINNER word), the sleep protocol (sched.ts).
//
// Rule (docs/ARCHITECTURE.md "Spin or park"), over a record r (a core's, or a test's):
//  1. window = min(2 × GAP, CAP): GAP is a decaying maximum of the idle gaps worth spinning
//     through (a longer gap replaces it, a shorter one moves it 1/32 of the way down); CAP = 2 ×
//     WAKE (a park costs the sleeper one wake latency, and the waker about as much again); until
//     the first wake is measured CAP_DEFAULT. WAKE above SPIN_WAKE_MAX (100 µs) means the host
//     runs more threads than it has CPUs (a wake is 10–40 µs on this paravirtualised VM when the
//     woken thread has a CPU to run on, a time slice when it has not): then CAP = 0, since a
//     spinning core would take the CPU that the core it waits for needs (measured at load 12 on
//     2 CPUs: calls 3× slower with spinning than without). The limit was 25 µs: within this
//     VM's ordinary wakes, so a system flipped between spinning and parking on every call for
//     thousands of calls (measured: 36 k calls/s in one run, 578 k/s in the next).
//  2. work came inside the window, or after the park but sooner than CAP (a spin that long would
//     have paid): GAP takes the gap in, MISSES = 0. So two cores that park in turn (each one's
//     gap holds the other's wake) grow their windows until they stop parking;
//  3. no work within CAP (or none at all: a timeout, a reassignment): a miss; from the second in
//     a row GAP halves at each, so a core whose work comes rarely stops spinning after a few idle
//     periods, and an idle system parks at once (issue 15: under 1 % of a CPU).
// Rejected: GAP as a mean (an EWMA, ¾ old + ¼ new, before): a stream of 150 ns calls with a
// gap of a few µs now and then parked at each such gap, since 2 × the mean did not cover it, and
// the park cost the next call a wake (tens of µs); parking too early costs a wake, spinning too
// long at most CAP, so the window covers the recent longest gap. A constant number of rounds
// (200 rounds were ~2 µs on Node: a client slower than that paid a platform wake on each side of
// every call; docs/BENCHMARKS.md "active" mode);
// spinning until the manager's tick (an idle system would burn its CPUs); measuring the wake cost
// once at boot (start-up time, and it changes with the host's load: the samples follow it).

import { CORE_ID, platform } from "~lib/rt/platform";
import { coreRec } from "~lib/rt/layout";
import { FC_WAKE_AT, FC_WAKES, FC_SPIN_GAP, FC_SPIN_MISSES, FC_SPIN_WAKE } from "~lib/rt/abi";
import { load64, store64, ownerAdd64 } from "~lib/rt/atomic";

/** A fixed number of spin rounds instead of the measured window: `--define AAM_SPINS=N`, N > 0,
 *  for an idle core (machine/core.ts idle) and for a caller waiting for its call's result
 *  (sched.ts schedSpinFor). The benchmark's "spin" mode makes it unbounded, so that both sides
 *  of a machine call poll like the paper's active mode; 0: measured. */
// @ts-ignore: decorator
@inline export const SPINS: i32 = isDefined(AAM_SPINS) ? <i32>AAM_SPINS : 0;
// @ts-ignore: decorator
@inline export const FIXED_SPINS: bool = SPINS > 0;

// @ts-ignore: decorator
@inline export const SPIN_CAP_DEFAULT: f64 = 20_000.0;   // ns, before the first wake is measured
// @ts-ignore: decorator
@inline export const SPIN_WAKE_MAX: f64 = 100_000.0;     // ns: wakes slower than this mean the host is oversubscribed
// @ts-ignore: decorator
@inline const SAMPLE_MAX: f64 = 10_000_000.0;           // ns: a longer "latency" was a stamp left from long ago

/** Step 1's CAP for record r (ns). */
export function spinCapOf(r: usize): f64 {
  let w = load<f64>(r + FC_SPIN_WAKE);
  if (w > SPIN_WAKE_MAX) return 0;                       // oversubscribed: spinning takes the CPU the producer needs
  return w > 0 ? 2 * w : SPIN_CAP_DEFAULT;
}

/** Step 1 for record r: the spin window in ns (0: park at once). */
export function spinWindowOf(r: usize): f64 { return min(2 * load<f64>(r + FC_SPIN_GAP), spinCapOf(r)); }

/** Steps 2–3 for record r: an idle period ended after `g` ns (Infinity: no work came);
 *  `hit`: it ended while the core was still spinning. */
export function spinOutcomeIn(r: usize, g: f64, hit: bool): void {
  let gap = load<f64>(r + FC_SPIN_GAP);
  if (hit || g < spinCapOf(r)) {
    store<f64>(r + FC_SPIN_GAP, g > gap ? g : gap + (g - gap) / 32);
    store<u32>(r + FC_SPIN_MISSES, 0);
    return;
  }
  let m = load<u32>(r + FC_SPIN_MISSES) + 1;
  store<u32>(r + FC_SPIN_MISSES, m);
  if (m >= 2) store<f64>(r + FC_SPIN_GAP, gap / 2);
}

/** One wake-latency sample `d` (ns) into record r's WAKE. */
export function wakeSampleIn(r: usize, d: f64): void {
  if (d < 0 || d > SAMPLE_MAX) return;
  let w = load<f64>(r + FC_SPIN_WAKE);
  store<f64>(r + FC_SPIN_WAKE, w > 0 ? (3 * w + d) / 4 : d);
}

// This core's coarse clock: the last time it read the platform clock through clockNow().
let coarse: f64 = 0;

/** Read the platform clock (ns) and remember it as this core's coarse time. The core loop reads
 *  the clock where it must anyway (a spin loop's paced reads, before a park, at the manager's
 *  tick check). */
export function clockNow(): f64 { coarse = platform.now_ns(); return coarse; }

/** The time of this core's last clockNow(): no import call. For stamps that only need to be
 *  about right (the grace period of a monitored queue, machine/imc.ts): on a core that runs tasks
 *  without going idle it may lag, which makes a queue stay monitored longer, never less safe. */
export function coarseNow(): f64 { return coarse; }

// Pacing a spin loop. A spin that found its work needs to know how long it spun (step 2's gap),
// and one that finds none must stop at its window; but a clock read is ~0.1 µs (the wasm→JS
// import on Node), and one on the critical path of a call costs that call as much (profiled,
// issue 15: with a read every 16 rounds a third of a caller's time went to the clock, and the
// idle core's read at its entry delayed the next call of a back-to-back stream). So a loop
// learns what its round costs on this core (an EWMA per kind of loop: the core's idle loop and
// a caller's wait for its result poll different things), starts without a clock read once it
// knows, and reads the clock first when the window should be over by that count (at least 16,
// at most 1024 rounds apart, so that the cost is re-learnt every few µs); a hit estimates its
// gap as rounds × cost. Only one spin loop runs on a core at a time (the idle loop runs no
// task; a task's wait runs inside a dispatch), so the loop's state is one set of globals.
// Rejected: a clock read every 16 rounds (the above), and a per-core time word refreshed by
// another thread (the host would need a thread per core writing into the image's memory).
let roundIdle: f64 = 0;     // ns per round of machine/core.ts idle's loop, this core
let roundWait: f64 = 0;     // ns per round of sched.ts schedSpinFor's loop, this core
let pWait = false;          // the running loop: a caller's wait (else the idle loop)
let pWindow: f64 = 0;       // its window, ns
let pT0: f64 = 0;           // when it started, by the clock (0: not read yet)
let pLastT: f64 = 0;        // the clock at its last read (0: none yet)
let pLastI: i32 = 0;        // the round of that read
/** Round at which the running loop calls spinCheck next (the loop compares; no call before). */
export let spinNextCheck: i32 = 0;

// Rounds to spin before the next clock read: `left` ns at `r` ns a round.
function paceRounds(left: f64, r: f64): i32 {
  let n = r > 0 ? left / r : 16;
  return n < 16 ? 16 : n > 1024 ? 1024 : <i32>n;
}

/** A spin loop (`wait`: a caller's, else the idle core's) of window `w` ns starts: a clock read
 *  only while this kind of loop's round cost is not known. */
export function spinBegin(wait: bool, w: f64): void {
  pWait = wait; pWindow = w; pLastI = 0;
  let r = wait ? roundWait : roundIdle;
  if (r > 0) { pT0 = 0; pLastT = 0; spinNextCheck = paceRounds(w, r); }
  else { pT0 = pLastT = clockNow(); spinNextCheck = 16; }
}

/** At round `i` == spinNextCheck: read the clock, learn the round's cost; true when the window
 *  is over (the loop stops). */
export function spinCheck(i: i32): bool {
  let now = clockNow();
  let r = pWait ? roundWait : roundIdle;
  if (pLastT > 0) {
    let c = (now - pLastT) / <f64>(i - pLastI);
    r = r > 0 ? (3 * r + c) / 4 : c;
    if (pWait) roundWait = r; else roundIdle = r;
  }
  if (pT0 == 0) pT0 = now - r * <f64>i;          // started without a read: by the count
  pLastT = now; pLastI = i;
  let d = now - pT0;
  if (d > pWindow) return true;
  spinNextCheck = i + paceRounds(pWindow - d, r);
  return false;
}

/** How long the running loop has spun at round `i`, with no clock read once its round cost is
 *  known (a hit: the work waits). */
export function spinElapsed(i: i32): f64 {
  let r = pWait ? roundWait : roundIdle;
  if (pLastT > 0 && r > 0) return pLastT - pT0 + r * <f64>(i - pLastI);
  if (r > 0) return r * <f64>i;
  return clockNow() - pT0;
}

/** When the loop that spinCheck stopped started (ns, by the clock; now if it was never read). */
export function spinStart(): f64 { return pT0 > 0 ? pT0 : clockNow(); }

/** This core's window now (ns). */
export function spinWindow(): f64 { return spinWindowOf(coreRec(CORE_ID)); }

/** This core's CAP now (ns): the window of a caller waiting for its call's result. */
export function spinCap(): f64 { return spinCapOf(coreRec(CORE_ID)); }

/** This core's idle period ended (steps 2–3). */
export function spinOutcome(g: f64, hit: bool): void { spinOutcomeIn(coreRec(CORE_ID), g, hit); }

/** platform.wake(core), stamping the time so that the woken core can measure the latency. */
export function wakeCore(core: i32): void {
  if (core != CORE_ID) {
    store64(coreRec(core) + FC_WAKE_AT, reinterpret<u64>(platform.now_ns()));
    ownerAdd64(coreRec(CORE_ID) + FC_WAKES, 1);
  }
  platform.wake(core);
}

/** After a park that consumed a wake token: one sample of the wake latency, if a waker stamped. */
export function wakeSample(): void {
  let r = coreRec(CORE_ID);
  let at = reinterpret<f64>(load64(r + FC_WAKE_AT));
  if (at <= 0) return;
  store64(r + FC_WAKE_AT, 0);
  wakeSampleIn(r, platform.now_ns() - at);
}
