// core.ts: a core's life after boot: serve the machine the manager assigned, between tasks
// handle the machine's signals, interface queues, the host's doorbell and the device interrupts
// routed to this core, and sleep when there is nothing to do.
//
// Owns: the outer loop (coreLoop: follow reassignments), the inner loop (serve: one machine's
// scheduler until the assignment changes), the idle path with the sleep protocol's check in the
// middle, and the per-core count of tasks run for the current machine. Not: finding or running
// a task (sched/sched.ts, sched/dispatch.ts), decisions (manager.ts), signals and calls
// themselves (ims.ts, imc.ts).
//
// Inner loop, per iteration (serve):
//  0. is this core still the machine's? (one load of its ASSIGN word; cores.ts step 2)
//  1. find a task (sched.ts schedFind); run it (dispatch.ts) — steps 2–4 there;
//     every 64th task also look outside (step 3 below), so signals and calls are not starved by
//     a busy ring, and every 1024th flush the machine's task count and try the tick;
//  2. no task: outside work — the host's doorbell, this core's device interrupts (irq.ts: each
//     becomes a signal to the device's owner), due timers (sched/timer.ts: any core fires any
//     machine's), the machine's signals (ims.ts), its interface queues (imc.ts);
//  3. nothing at all: idle (below).
//
// Idle, with the sleep protocol of sched.ts (a, b, c):
//  1. (nothing: the counts are flushed at step 3, see below);
//  2. spin for the measured window (sched/spin.ts: about twice the recent gaps between idle and
//     work, capped by twice the measured wake latency; 0 when work comes rarely) checking for work
//     (hasWork: tasks, a reassignment, the doorbell, interrupts, signals, interface queues); at
//     most one core of a machine spins (its SPINNER word, cmpxchg): the others park at once, since
//     the spinner finds the next work first and the scheduler wakes a sleeper when there is more.
//     On a machine with one core the spinner keeps SPINNER when work comes (nobody to exclude:
//     the cmpxchg and the store were two locked instructions per call) and lets go when its
//     window runs out, when it leaves the machine, or at the first work it finds once the
//     machine has a second core, which until then parks at once (model/park.pml);
//  3. publish BUSY = 0 (the tick's utilisation) and flush the per-core counts into the
//     machine's (tasks run, calls in and out), offer the core to the manager (a machine with
//     work and no core may take it). Not at step 1: a core that finds work within its spin
//     window stays busy, so a stream of calls costs no BUSY write per call (two xchg on the
//     server's critical path, measured ~130 ns a call with step 2's other cuts) and no locked
//     add of a count (readers add the pending counts: machine.ts pendingSum);
//  4. a: SLEEPING + SLEEPERS; re-check hasWork; none → park (manager.ts parkTimeout); c: awake.
//  5. try the tick.

import { CORE_ID, platform } from "~lib/rt/platform";
import { coreRec } from "~lib/rt/layout";
import { FC_MACHINE, FC_SWITCHES, FC_PARKS, FC_MACH_PENDING, FC_CALLS_IN_PENDING, FC_CALLS_OUT_PENDING, FC_FLUSH_SEQ } from "~lib/rt/abi";
import { load32, store32, cas32, add64, store64, ownerAdd64 } from "~lib/rt/atomic";
import { schedEnter, schedLeave, schedFind, schedHasTask, schedSleep, schedAwake } from "../sched/sched";
import { dispatch } from "../sched/dispatch";
import { SPINS, FIXED_SPINS, spinWindow, spinOutcome, spinBegin, spinCheck, spinNextCheck, spinElapsed, spinStart, wakeSample, clockNow, coarseNow } from "../sched/spin";
import { timerNext, timerDue, timerPoll } from "../sched/timer";
import { TRACE, trace, traceSync } from "../sys/trace";
import { EV_MACHINE_SWITCH, EV_CORE_PARK, EV_CORE_UNPARK } from "../sys/trace_events";
import { M_ID, M_SCHED, M_TASKS_RUN, M_CALLS_IN, M_CALLS_OUT, M_SWITCHES_IN, M_SPINNER, M_CORES } from "~lib/rt/abi";
import { machineAt } from "./record";
import { imsHandle, imsPending, SIG_IRQ } from "./ims";
import { irqPoll, irqPending, irqOnSignal } from "./irq";
import { imcPoll, imcWaiting, imcOnSignal } from "./imc";
import { assignedTo, assignWord, setBusy } from "./cores";
import { managerIdle, managerMaybeTick, parkTimeout } from "./manager";
import { hostPoll, hostRang } from "./doorbell";


// Per-core state (wasm globals).
let busy = false;          // this core's BUSY word as last published (cores.ts)

/** Each core's outer loop, after boot: serve the assigned machine, follow reassignments. */
export function coreLoop(): void {
  let rec = coreRec(CORE_ID);
  let last: u32 = 0;
  let shown: u32 = 0;        // machine the trace last showed this core serving (0: none)
  while (true) {
    let id = assignedTo(CORE_ID);
    store<u32>(rec + FC_MACHINE, id);
    if (!id) {                                              // cores.ts step 3
      if (TRACE && shown) { trace(EV_MACHINE_SWITCH, shown, 0, 0); shown = 0; }
      if (busy) { busy = false; setBusy(false); }
      if (TRACE) trace(EV_CORE_PARK, 0, 0, 0);
      if (!hostRang() && !irqPending() && platform.park(parkTimeout())) wakeSample();   // service/host.ts
      if (TRACE) trace(EV_CORE_UNPARK, 0, 0, 0);           // step 4: no core parks while a ring is outstanding
      hostPoll();
      irqPoll();                                           // irq.ts step 3: to the owner, as an IMS
      if (timerNext() >= 0) timerPoll(clockNow());         // sched/timer.ts step 2
      managerMaybeTick();
      continue;
    }
    let m = machineAt(id);
    if (TRACE && id != shown) { trace(EV_MACHINE_SWITCH, shown, id, 0); shown = id; }
    if (id != last) {
      if (last) ownerAdd64(rec + FC_SWITCHES, 1);
      add64(m + M_SWITCHES_IN, 1);
      last = id;
    }
    serve(m, assignWord(CORE_ID), id);                     // cores.ts step 2
  }
}

// Serve machine m on this core until the word at `stop` no longer holds `expect`.
function serve(m: usize, stop: usize, expect: u32): void {
  let s = <usize>load<u32>(m + M_SCHED);
  schedEnter(s);
  served = 0;
  while (load32(stop) == expect) serveRound(m, s, stop, expect);   // step 0
  if (load32(m + M_SPINNER) == <u32>CORE_ID + 1) store32(m + M_SPINNER, 0);
  flushMachineCount(m);
  schedLeave(s);
}

// Tasks dispatched since serve began (per core), for the every-64th and every-1024th steps.
let served: u32 = 0;

// Steps 1–3, once. A function of its own that the optimiser must not inline (tools/build/link.ts
// NO_INLINE): V8 compiles a wasm function first with its baseline compiler and swaps in the
// optimised code only at the function's next call (wasm has no on-stack replacement), so a loop
// inside coreLoop, entered once per assignment, ran the server's whole hot path unoptimised for
// good (perf: coreLoop's baseline code in the profile of every machine call, 2026-12-06).
function serveRound(m: usize, s: usize, stop: usize, expect: u32): void {
  let t = schedFind(s);                   // step 1
  if (t) {
    if (!busy) { busy = true; setBusy(true); }
    dispatch(s, t);
    let n = ++served;
    if ((n & 63) == 0) outsideWork(m);
    if ((n & 1023) == 0) { flushMachineCount(m); managerMaybeTick(); }
    return;
  }
  if (outsideWork(m)) return;             // step 2
  idle(m, s, stop, expect);               // step 3
}

// Tasks run, calls served and calls made on this core for its machine since the last flush
// (per-core words, so that a dispatch or a call costs no shared-line write; the host for
// --stats and the Machine getters add them in). FLUSH_SEQ is odd while the counts move, so
// that a reader summing both sides (machine.ts pendingSum) reads again instead of counting a
// flush twice or not at all.
function flushMachineCount(m: usize): void {
  let rec = coreRec(CORE_ID);
  if (!(load<u64>(rec + FC_MACH_PENDING) | load<u64>(rec + FC_CALLS_IN_PENDING) | load<u64>(rec + FC_CALLS_OUT_PENDING))) return;
  let seq = load<u32>(rec + FC_FLUSH_SEQ);
  store32(rec + FC_FLUSH_SEQ, seq + 1);
  flushCount(rec + FC_MACH_PENDING, m + M_TASKS_RUN);
  flushCount(rec + FC_CALLS_IN_PENDING, m + M_CALLS_IN);
  flushCount(rec + FC_CALLS_OUT_PENDING, m + M_CALLS_OUT);
  store32(rec + FC_FLUSH_SEQ, seq + 2);
}

// @ts-ignore: decorator
@inline function flushCount(pend: usize, counter: usize): void {
  let k = load<u64>(pend);
  if (k) { add64(counter, k); store64(pend, 0); }
}

// Between tasks: the host's doorbell, device interrupts, due timers, the machine's signals, then
// its interface queues.
function outsideWork(m: usize): bool {
  let h = hostPoll();                     // service/host.ts step 4
  h += irqPoll();                         // irq.ts step 3
  if (timerNext() >= 0) h += timerPoll(clockNow());   // sched/timer.ts step 2 (a clock read only while a timer is pending)
  let k = imsHandle(m, onSignal);
  return imcPoll(m) + k + h > 0;
}

// A signal of machine m: a device interrupt (irq.ts step 4) or the interfaces' (imc.ts).
function onSignal(m: usize, num: u32, param: u32): void {
  if (num == SIG_IRQ) irqOnSignal(param);
  else imcOnSignal(m, num, param);
}

function hasWork(m: usize, s: usize, stop: usize, expect: u32): bool {
  return hasOtherWork(m, s, stop, expect) || imcWaiting(m);
}

// hasWork but the interface queues.
function hasOtherWork(m: usize, s: usize, stop: usize, expect: u32): bool {
  if (schedHasTask(s)) return true;
  if (load32(stop) != expect) return true;                         // reassigned: go and look
  if (hostRang() || irqPending()) return true;                     // service/host.ts step 4; irq.ts
  if (timerDue(coarseNow())) return true;                          // sched/timer.ts
  return imsPending(m);
}

// One round of step 2's spin: 0 nothing yet, 1 other work, 2 a call or result waits.
// @ts-ignore: decorator
@inline function idleRound(m: usize, s: usize, stop: usize, expect: u32): u32 {
  if (hasOtherWork(m, s, stop, expect)) return 1;
  return imcWaiting(m) ? 2 : 0;
}

function idle(m: usize, s: usize, stop: usize, expect: u32): void {
  let t0: f64 = 0;
  if (FIXED_SPINS) {
    for (let i = 0; i < SPINS; i++) {                                        // step 2
      let r = idleRound(m, s, stop, expect);
      if (r) { if (r == 2) imcPoll(m, true); return; }                             // as below
    }
  } else {
    let w = spinWindow(), me = <u32>CORE_ID + 1;
    let own = load32(m + M_SPINNER) == me;                                   // kept from the last idle period
    if (own && w <= 0) { store32(m + M_SPINNER, 0); own = false; }
    if (w > 0 && (own || cas32(m + M_SPINNER, 0, me) == 0)) {                // step 2: one spinner
      spinBegin(false, w);                                                   // no clock read once the round cost is known
      let r: u32 = 0, i = 1;
      for (; ; i++) {
        if ((r = idleRound(m, s, stop, expect)) != 0) break;
        if (i == spinNextCheck && spinCheck(i)) break;
      }
      if (!r || load32(m + M_CORES) > 1) store32(m + M_SPINNER, 0);
      if (r) {
        if (r == 2) imcPoll(m, true);     // a call came: take it now (into NEXT: sched.ts), not after the loop's other polls
        spinOutcome(spinElapsed(i), true);                                   // no clock read: the work waits
        return;
      }
      t0 = spinStart();
    } else t0 = clockNow();
  }
  if (busy) {                                                      // step 3
    busy = false; setBusy(false);
    flushMachineCount(m);                 // not at every idle entry: that was a locked add per call served
    if (TRACE) traceSync();               // bound the inexact timestamps of what just ran
  }
  if (managerIdle(m)) return;
  schedSleep(s);                                                   // step 4 (a)
  let parked = false;
  if (!hasWork(m, s, stop, expect)) {
    ownerAdd64(coreRec(CORE_ID) + FC_PARKS, 1);
    if (TRACE) trace(EV_CORE_PARK, load<u32>(m + M_ID), 0, 0);
    if (platform.park(parkTimeout())) wakeSample();
    parked = true;
    if (TRACE) trace(EV_CORE_UNPARK, load<u32>(m + M_ID), 0, 0);
  }
  schedAwake(s);                                                   // (c)
  if (!FIXED_SPINS) {
    if (!parked) spinOutcome(clockNow() - t0, true);               // work came before the park
    else spinOutcome(hasWork(m, s, stop, expect) ? clockNow() - t0 : Infinity, false);
  }
  managerMaybeTick();                                              // step 5
}
