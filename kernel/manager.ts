// manager.ts: the Machine Manager. Knows every machine and which core serves which; assigns
// cores to machines exclusively and changes an assignment only when a core's machine ran out of
// work or when the policy rebalances at a tick.
//
// Owns: the manager record (machine table, per-core assignment words, busy flags, tick state),
// each core's outer loop (coreLoop: serve the assigned machine until the assignment changes),
// machine activation (a machine that gets work with no core), and the tick that runs the policy.
// Not: the policy's rules (policy.ts), a machine's own scheduling (runtime/sched.ts).
//
// Interaction with the manager is a few run-to-completion calls, each under the manager lock
// for a few dozen instructions: managerTick, managerActivate, managerIdle. No call blocks.
//
// Assignment protocol:
//  1. The manager writes ASSIGN[c] (atomic store, under LOCK) and adjusts both machines' CORES,
//     then wakes core c (platform.wake): c may be asleep in its old machine's scheduler.
//  2. Core c reads ASSIGN[c] before each task (one load of a word only the manager writes);
//     when it changed, c leaves its machine (its ring's tasks go to that machine's inject list,
//     so nothing is stranded) and serves the new one. A task running on c finishes first: a core
//     is never taken from a running task.
//  3. A core with ASSIGN = 0 parks until a grant wakes it.
//
// ╒════════ manager record ════════╕
//  +0    LOCK       spinlock of decisions and assignment changes
//  +4    NMACH      machines in the table (written at boot only)
//  +8    TICKS      ticks run (under LOCK; atomic load by anyone)
//  +12   IDLE       idle cores published to the machines (under LOCK)
//  +16   LAST_TICK  f64 ns of the last tick (under LOCK; racy read to decide whether to try)
//  +24   TICK_NS    f64 tick period (AAM_TICK_US, default 1000 µs)
//  +32   MACH[32]   machine records, index id−1
//  +160  ASSIGN[64] machine id served by core c, 0 = none. Manager writes, core c reads.
//  +416  BUSY[64]   1 while core c runs tasks, 0 while it idles. Core c writes, tick reads.
//  +672  STATIC     1 when the program declared no machine: "main" keeps every core, no policy
//  +676  STALL      the stall detector's state (stall.ts; written once at boot)

import { CORE_ID, CORE_COUNT, platform } from "~lib/rt/platform";
import { load32, store32, lock, unlock, add64, store64, load64 } from "~lib/rt/atomic";
import { heapAlloc } from "~lib/rt/heap";
import { fail } from "~lib/rt/trap";
import { coreRec, FC_MACHINE, FC_SWITCHES } from "~lib/rt/layout";
import { ownerAdd64 } from "~lib/rt/atomic";
import { schedServe, schedReady } from "../aam/sched";
import { M_SCHED, M_CORES, M_MIN, M_MAX, M_GRANTS, M_REVOKES, M_SWITCHES_IN, M_WAITING, M_NOCORE_NS, M_NOCORE_SINCE, M_ID } from "./machine";
import { policyTick } from "./policy";
import { imsPost, SIG_CORE_GRANTED, SIG_CORE_REVOKED } from "./ims";
import { TRACE, trace } from "../aam/trace";
import { hostPoll, hostRang } from "../aam/host";
import { stallNew, stallCheck, stallReport, stallThreshold } from "./stall";
import { EV_CORE_GRANT, EV_CORE_REVOKE, EV_MACHINE_SWITCH, EV_CORE_PARK, EV_CORE_UNPARK } from "../aam/trace_events";

// @ts-ignore: decorator
@inline const G_LOCK: usize = 0;
// @ts-ignore: decorator
@inline const G_NMACH: usize = 4;
// @ts-ignore: decorator
@inline const G_TICKS: usize = 8;
// @ts-ignore: decorator
@inline const G_IDLE: usize = 12;
// @ts-ignore: decorator
@inline const G_LAST_TICK: usize = 16;
// @ts-ignore: decorator
@inline const G_TICK_NS: usize = 24;
// @ts-ignore: decorator
@inline const G_MACH: usize = 32;
// @ts-ignore: decorator
@inline const G_ASSIGN: usize = 160;
// @ts-ignore: decorator
@inline const G_BUSY: usize = 416;
// @ts-ignore: decorator
@inline const G_STATIC: usize = 672;
// @ts-ignore: decorator
@inline const G_STALL: usize = 676;
// @ts-ignore: decorator
@inline const MANAGER_SIZE: usize = 704;
// @ts-ignore: decorator
@inline export const MAX_MACHINES: u32 = 32;
/** Manager tick in µs: `--define AAM_TICK_US=N`. */
// @ts-ignore: decorator
@inline const TICK_US: f64 = isDefined(AAM_TICK_US) ? <f64>AAM_TICK_US : 1000.0;

let mgr: usize = 0;          // per core: the manager record (same value everywhere)

export function managerNew(): usize {
  let g = heapAlloc(MANAGER_SIZE);
  memory.fill(g, 0, MANAGER_SIZE);
  store<f64>(g + G_TICK_NS, TICK_US * 1000.0);
  store<f64>(g + G_LAST_TICK, platform.now_ns());
  store<u32>(g + G_STALL, <u32>stallNew());
  mgr = g;
  return g;
}

export function managerAttach(g: usize): void { mgr = g; }
export function manager(): usize { return mgr; }

export function managerAddMachine(m: usize): u32 {
  let n = load<u32>(mgr + G_NMACH);
  if (n >= MAX_MACHINES) fail("manager: more than " + MAX_MACHINES.toString() + " machines");
  store<u32>(mgr + G_MACH + (<usize>n << 2), <u32>m);
  store<u32>(mgr + G_NMACH, n + 1);
  return n + 1;
}
export function managerMachineCount(): u32 { return mgr ? load<u32>(mgr + G_NMACH) : 0; }
export function managerMachine(id: u32): usize { return <usize>load<u32>(mgr + G_MACH + (<usize>(id - 1) << 2)); }
export function managerTicks(): u32 { return load32(mgr + G_TICKS); }
export function managerIdleCores(): u32 { return load32(mgr + G_IDLE); }
export function assignedTo(core: i32): u32 { return load32(mgr + G_ASSIGN + (<usize>core << 2)); }
export function coreBusy(core: i32): bool { return load32(mgr + G_BUSY + (<usize>core << 2)) != 0; }
export function setBusy(busy: bool): void { store32(mgr + G_BUSY + (<usize>CORE_ID << 2), busy ? 1 : 0); }

/** Boot, core 0, after the program declared its machines: the initial assignment. Machine 1
 *  ("main") gets every core unless other machines were declared: then each declared machine
 *  gets its minimum, and main the rest (at least its own minimum). */
export function managerStart(): void {
  let n = load<u32>(mgr + G_NMACH);
  let main = managerMachine(1);
  if (n == 1) {
    store<u32>(mgr + G_STATIC, 1);
    store<u32>(main + M_MIN, <u32>CORE_COUNT);
  }
  let next = CORE_COUNT - 1;                 // hand minimums out from the top core down
  for (let id: u32 = 2; id <= n; id++) {
    let m = managerMachine(id);
    for (let k: u32 = 0; k < load<u32>(m + M_MIN) && next > 0; k++) assign(next--, m, false);
  }
  for (let c = 0; c <= next; c++) assign(c, main, false);
  if (n > 1) store<u32>(main + M_MIN, 0);      // main only waits on the others: no core of its own
  for (let id: u32 = 1; id <= n; id++) {
    let m = managerMachine(id);
    if (load<u32>(m + M_CORES) == 0) store<f64>(m + M_NOCORE_SINCE, platform.now_ns());
  }
}

// Step 1 (caller holds LOCK or runs before the cores start). The initial assignment sends no
// signals (nobody has anything to learn from it yet).
function assign(core: i32, m: usize, signal: bool = true): void {
  let slot = mgr + G_ASSIGN + (<usize>core << 2);
  let old = load32(slot);
  let now = platform.now_ns();
  if (old) {
    let o = managerMachine(old);
    store32(o + M_CORES, load32(o + M_CORES) - 1);
    add64(o + M_REVOKES, 1);
    if (load32(o + M_CORES) == 0) store<f64>(o + M_NOCORE_SINCE, now);
    if (TRACE) trace(EV_CORE_REVOKE, old, <u32>core, load32(o + M_CORES));
    if (signal) imsPost(o, SIG_CORE_REVOKED, <u32>core);
  }
  store32(slot, m ? load<u32>(m + M_ID) : 0);
  if (m) {
    if (load32(m + M_CORES) == 0 && load<f64>(m + M_NOCORE_SINCE) > 0) {
      add64(m + M_NOCORE_NS, <u64>(now - load<f64>(m + M_NOCORE_SINCE)));
      store<f64>(m + M_NOCORE_SINCE, 0);
    }
    store32(m + M_CORES, load32(m + M_CORES) + 1);
    store32(m + M_WAITING, 0);
    add64(m + M_GRANTS, 1);
    if (TRACE) trace(EV_CORE_GRANT, load<u32>(m + M_ID), <u32>core, load32(m + M_CORES));
    if (signal) imsPost(m, SIG_CORE_GRANTED, <u32>core);
  }
  if (core != CORE_ID) platform.wake(core);
}

/** Move core `core` to machine `m` (0: no machine). Manager lock held by the caller. */
export function reassign(core: i32, m: usize): void { assign(core, m); }

/** Each core's outer loop, after boot: serve the assigned machine, follow reassignments. */
export function coreLoop(): void {
  let rec = coreRec(CORE_ID);
  let last: u32 = 0;
  let shown: u32 = 0;        // machine the trace last showed this core serving (0: none)
  while (true) {
    let id = assignedTo(CORE_ID);
    store<u32>(rec + FC_MACHINE, id);
    if (!id) {                                              // step 3
      if (TRACE && shown) { trace(EV_MACHINE_SWITCH, shown, 0, 0); shown = 0; }
      setBusy(false);
      if (TRACE) trace(EV_CORE_PARK, 0, 0, 0);
      if (!hostRang()) platform.park(parkTimeout());    // runtime/host.ts step 4: no core parks
      if (TRACE) trace(EV_CORE_UNPARK, 0, 0, 0);
      hostPoll();                                        // while a ring is outstanding
      managerMaybeTick();
      continue;
    }
    let m = managerMachine(id);
    if (TRACE && id != shown) { trace(EV_MACHINE_SWITCH, shown, id, 0); shown = id; }
    if (id != last) {
      if (last) ownerAdd64(rec + FC_SWITCHES, 1);
      add64(m + M_SWITCHES_IN, 1);
      last = id;
    }
    schedServe(<usize>load<u32>(m + M_SCHED), mgr + G_ASSIGN + (<usize>CORE_ID << 2), id);   // step 2
  }
}

/** How long an idle core may sleep: forever when no decision can be pending (a single machine,
 *  or every machine at its minimum with nothing waiting), else one tick; while another core runs
 *  a task and the stall detector is on, a quarter of its threshold at most (someone must tick). */
export function parkTimeout(): f64 {
  if (!mgr) return -1;
  let t = policyTimeout();
  let stall = stallThreshold(<usize>load<u32>(mgr + G_STALL));
  if (stall > 0 && (t < 0 || t > stall / 4)) {               // someone must tick while a task runs
    for (let c = 0; c < CORE_COUNT; c++) if (c != CORE_ID && coreBusy(c)) return stall / 4;
  }
  return t;
}

function policyTimeout(): f64 {
  if (load<u32>(mgr + G_STATIC)) return -1;
  let n = load<u32>(mgr + G_NMACH);
  for (let id: u32 = 1; id <= n; id++) {
    let m = managerMachine(id);
    if (load32(m + M_WAITING) || load32(m + M_CORES) > load<u32>(m + M_MIN)) return load<f64>(mgr + G_TICK_NS);
    // work that reached a coreless machine without an activation (a race with a revocation)
    if (load32(m + M_CORES) == 0 && schedReady(<usize>load<u32>(m + M_SCHED)) > 0) return load<f64>(mgr + G_TICK_NS);
  }
  return -1;
}

/** Run the policy and the stall detector if a tick is due and no other core is running them. */
export function managerMaybeTick(): void {
  if (!mgr) return;
  let policy = load<u32>(mgr + G_STATIC) == 0;
  let stall = <usize>load<u32>(mgr + G_STALL);
  if (!policy && stallThreshold(stall) <= 0) return;
  let now = platform.now_ns();
  if (now - load<f64>(mgr + G_LAST_TICK) < load<f64>(mgr + G_TICK_NS)) return;
  if (atomic.cmpxchg<u32>(mgr + G_LOCK, 0, 1) != 0) return;       // someone else ticks
  store<f64>(mgr + G_LAST_TICK, now);
  if (policy) {
    store32(mgr + G_TICKS, load32(mgr + G_TICKS) + 1);
    store32(mgr + G_IDLE, policyTick(mgr));
  }
  let stalled = stallCheck(stall, now);
  unlock(mgr + G_LOCK);
  if (stalled >= 0) stallReport(stall, stalled, now);      // console I/O outside the lock
}

/** A machine got work while holding no core: grant it one now if a core is free or can be
 *  taken from a machine above its minimum that has nothing ready; else mark it waiting (the
 *  next tick handles it, and idle cores sleep at most one tick while it waits). */
export function managerActivate(m: usize): void {
  if (!mgr || load32(m + M_CORES) != 0) return;
  lock(mgr + G_LOCK);
  if (load32(m + M_CORES) == 0) {
    let c = donorCore(m);
    if (c >= 0) assign(c, m);
    else store32(m + M_WAITING, 1);
  }
  unlock(mgr + G_LOCK);
}

/** A core whose machine ran out of work asks whether another machine needs it. Returns true
 *  if the core was reassigned. */
export function managerIdle(m: usize): bool {
  if (!mgr || load<u32>(mgr + G_STATIC)) return false;
  managerMaybeTick();
  let n = load<u32>(mgr + G_NMACH);
  let want: usize = 0;
  for (let id: u32 = 1; id <= n && !want; id++) {
    let o = managerMachine(id);
    if (o != m && load32(o + M_CORES) < load<u32>(o + M_MAX) && schedReady(<usize>load<u32>(o + M_SCHED)) > 0 &&
        (load32(o + M_WAITING) || load32(o + M_CORES) == 0)) want = o;
  }
  if (!want || load32(m + M_CORES) <= load<u32>(m + M_MIN)) return false;
  if (atomic.cmpxchg<u32>(mgr + G_LOCK, 0, 1) != 0) return false;
  let moved = false;
  if (assignedTo(CORE_ID) == load<u32>(m + M_ID) && load32(m + M_CORES) > load<u32>(m + M_MIN) && load32(want + M_CORES) < load<u32>(want + M_MAX)) {
    assign(CORE_ID, want);
    moved = true;
  }
  unlock(mgr + G_LOCK);
  return moved;
}

/** A core that can serve `m` now: an unassigned one, else an idle core of a machine above its
 *  minimum with nothing ready. −1 if none. Manager lock held. */
export function donorCore(m: usize): i32 {
  for (let c = 0; c < CORE_COUNT; c++) if (!assignedTo(c)) return c;
  for (let c = 0; c < CORE_COUNT; c++) {
    let o = managerMachine(assignedTo(c));
    if (o == m || load32(o + M_CORES) <= load<u32>(o + M_MIN)) continue;
    // an idle core of a machine that keeps enough cores for what it has ready
    if (!coreBusy(c) && schedReady(<usize>load<u32>(o + M_SCHED)) < load32(o + M_CORES)) return c;
  }
  return -1;
}

/** For a machine that has work and no core at all: a core of the machine holding the most cores
 *  above its minimum (and more than one), busy or not; it switches after its current task. */
export function busyDonorCore(m: usize): i32 {
  let best: i32 = -1, most: u32 = 1;
  for (let c = 0; c < CORE_COUNT; c++) {
    let o = managerMachine(assignedTo(c));
    if (o == m) continue;
    let cores = load32(o + M_CORES);
    if (cores > load<u32>(o + M_MIN) && cores > most) { most = cores; best = c; }
  }
  return best;
}

/** Total time machine `m` spent with no core, up to now (ns). */
export function noCoreNs(m: usize): u64 {
  let t = load64(m + M_NOCORE_NS);
  let since = load<f64>(m + M_NOCORE_SINCE);
  if (since > 0) t += <u64>(platform.now_ns() - since);
  return t;
}
