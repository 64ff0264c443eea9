// cores.ts: which core serves which machine: the assignment words and the mechanism that moves
// a core, used by the manager's decisions (manager.ts) and the policy (policy.ts).
//
// Owns: the manager record's ASSIGN and BUSY words (record.ts), moving a core (assign), the
// choice of a donor core, and how much work a machine has queued (machineReady).
// Not: when to move a core (manager.ts, policy.ts), a core's own loop (core.ts).
//
// Assignment protocol:
//  1. The manager writes ASSIGN[c] (atomic store, under the manager lock) and adjusts both
//     machines' CORES, then wakes core c (platform.wake): c may be asleep in its old machine's
//     scheduler.
//  2. Core c reads ASSIGN[c] before each task (one load of a word only the manager writes);
//     when it changed, c leaves its machine (its ring's tasks go to that machine's inject list,
//     so nothing is stranded) and serves the new one. A task running on c finishes first: a core
//     is never taken from a running task.
//  3. A core with ASSIGN = 0 parks until a grant wakes it.

import { CORE_ID, CORE_COUNT, platform } from "~lib/rt/platform";
import { load32, store32, add64 } from "~lib/rt/atomic";
import { DEBUG } from "~lib/rt/layout";
import { schedReady } from "../sched/sched";
import { wakeCore } from "../sched/spin";
import { TRACE, trace } from "../sys/trace";
import { EV_CORE_GRANT, EV_CORE_REVOKE } from "../sys/trace_events";
import { M_SCHED, M_CORES, M_MIN, M_MAX, M_READY, M_IDLE, M_HELD, M_UTIL, M_GRANTS, M_REVOKES, M_WAITING, M_NOCORE_NS, M_NOCORE_SINCE, M_ID, MGR_ASSIGN, MGR_BUSY, MGR_LOCK, MGR_MACH } from "~lib/rt/abi";
import { managerRecord } from "./record";
import { imcPending } from "./imc";
import { irqReroute } from "./irq";

/** A machine gives its cores back once idle this many ticks in a row (policy.ts step 3), and
 *  its last core to a grant only then: `--define AAM_IDLE_TICKS=N`. */
// @ts-ignore: decorator
@inline export const IDLE_TICKS: u32 = isDefined(AAM_IDLE_TICKS) ? <u32>AAM_IDLE_TICKS : 100;

// The functions named *In take the manager record `g` (and its core count) as arguments, so the
// policy's deterministic test runs them over fabricated records (tests/machines policy.ts);
// the others are the live system's (managerRecord(), CORE_COUNT).

/** Machine id core `core` serves in manager record g, 0 = none. */
export function assignedIn(g: usize, core: i32): u32 { return load32(g + MGR_ASSIGN + (<usize>core << 2)); }
/** Whether core `core` of manager record g runs tasks. */
export function busyIn(g: usize, core: i32): bool { return load32(g + MGR_BUSY + (<usize>core << 2)) != 0; }
/** The machine record with id `id` in g's table (0: none). */
export function machineIn(g: usize, id: u32): usize { return id ? <usize>load<u32>(g + MGR_MACH + (<usize>(id - 1) << 2)) : 0; }

/** Machine id core `core` serves, 0 = none. */
export function assignedTo(core: i32): u32 { return assignedIn(managerRecord(), core); }
/** Address of core `core`'s assignment word (the core's loop watches it). */
export function assignWord(core: i32): usize { return managerRecord() + MGR_ASSIGN + (<usize>core << 2); }
/** Whether core `core` is running tasks (its own BUSY word). */
export function coreBusy(core: i32): bool { return busyIn(managerRecord(), core); }
/** This core publishes whether it runs tasks (read by the tick). */
export function setBusy(busy: bool): void { store32(managerRecord() + MGR_BUSY + (<usize>CORE_ID << 2), busy ? 1 : 0); }

/** Tasks queued for machine `m`: its scheduler's rings and inject list, and the calls and
 *  results waiting in its interfaces' queues (a snapshot). */
export function machineReady(m: usize): u32 {
  return schedReady(<usize>load<u32>(m + M_SCHED)) + imcPending(m);
}

/** Step 1: move core `core` to machine `m` (0: no machine). The manager lock is held, or the
 *  cores have not started yet (initial assignment). */
/** Test hook, `--define AAM_TEST_TRAP_LOCKED=1`: the manager traps, holding its lock, when it
 *  grants a core to a machine whose minimum is 0 (by activation or at a tick, whichever comes
 *  first: both take the lock and end here, so the test does not depend on which). */
// @ts-ignore: decorator
@inline const TEST_TRAP_LOCKED: bool = isDefined(AAM_TEST_TRAP_LOCKED);

export function assign(core: i32, m: usize): void { assignIn(managerRecord(), core, m, true); }

/** assign() in manager record g; `wake`: wake the core (false for fabricated records). */
export function assignIn(g: usize, core: i32, m: usize, wake: bool): void {
  if (DEBUG) assert(load32(g + MGR_LOCK) != 0 || load32(g + MGR_ASSIGN + (<usize>core << 2)) == 0, "manager: assignment change without the lock");
  let slot = g + MGR_ASSIGN + (<usize>core << 2);
  let old = load32(slot);
  let now = platform.now_ns();
  if (old) {
    let o = machineIn(g, old);
    if (DEBUG) assert(load32(o + M_CORES) > 0, "manager: machine cores below zero");
    store32(o + M_CORES, load32(o + M_CORES) - 1);
    add64(o + M_REVOKES, 1);
    if (load32(o + M_CORES) == 0) store<f64>(o + M_NOCORE_SINCE, now);
    if (TRACE) trace(EV_CORE_REVOKE, old, <u32>core, load32(o + M_CORES));
  }
  store32(slot, m ? load<u32>(m + M_ID) : 0);
  if (TEST_TRAP_LOCKED && wake && m && load<u32>(m + M_MIN) == 0 && load32(g + MGR_LOCK) != 0) unreachable();
  if (m) {
    if (load32(m + M_CORES) == 0 && load<f64>(m + M_NOCORE_SINCE) > 0) {
      add64(m + M_NOCORE_NS, <u64>(now - load<f64>(m + M_NOCORE_SINCE)));
      store<f64>(m + M_NOCORE_SINCE, 0);
    }
    store32(m + M_CORES, load32(m + M_CORES) + 1);
    if (DEBUG) assert(load32(m + M_CORES) <= load<u32>(m + M_MAX), "manager: machine above its maximum cores");
    store32(m + M_WAITING, 0);
    store<u32>(m + M_HELD, 0);
    add64(m + M_GRANTS, 1);
    if (TRACE) trace(EV_CORE_GRANT, load<u32>(m + M_ID), <u32>core, load32(m + M_CORES));
  }
  if (wake) irqReroute();                // irq.ts step 5: devices follow their owner's cores
  if (wake && core != CORE_ID) wakeCore(core);
}

// What machine o has queued, for a donor decision: as sampled at this tick (the policy), or now
// (an activation, between ticks).
function readyOf(o: usize, live: bool): u32 { return live ? machineReady(o) : load<u32>(o + M_READY); }

/** A core that can serve `m` now, in this order (−1 if none):
 *   1. an unassigned core;
 *   2. an idle core of a machine that keeps at least one core and its minimum, and enough cores
 *      for what it has ready, whose load (utilisation EWMA) would keep the cores it keeps at most
 *      half busy, and that was granted no core for 2 × IDLE_TICKS (two machines that both want a
 *      second core would otherwise pass one back and forth at every tick);
 *   3. an idle core of a machine above its minimum that has been idle IDLE_TICKS (it would give
 *      its cores back anyway);
 *   4. only if `lastCore` (m holds no core: without one it cannot run at all): an idle core of a
 *      machine above its minimum with nothing ready.
 *  Rule 4 is what makes cores move back and forth when machines outnumber cores; without it a
 *  machine between two calls would lose its only core to any grant and take one back at its next
 *  call (the churn the hysteresis removes). Manager lock held. */
export function donorCoreIn(g: usize, ncores: i32, m: usize, live: bool, lastCore: bool): i32 {
  for (let c = 0; c < ncores; c++) if (!assignedIn(g, c)) return c;
  let third: i32 = -1, fourth: i32 = -1;
  for (let c = 0; c < ncores; c++) {
    if (busyIn(g, c)) continue;
    let o = machineIn(g, assignedIn(g, c));
    let cores = load32(o + M_CORES), min = load<u32>(o + M_MIN);
    if (o == m || cores <= min) continue;
    let ready = readyOf(o, live);
    if (cores >= 2 && ready < cores && load<u32>(o + M_HELD) >= 2 * IDLE_TICKS &&
        load<u32>(o + M_UTIL) * cores <= (cores - 1) * 500) return c;
    if (third < 0 && load<u32>(o + M_IDLE) >= IDLE_TICKS) third = c;
    if (fourth < 0 && lastCore && ready == 0) fourth = c;
  }
  return third >= 0 ? third : fourth;
}

/** donorCoreIn for the live system, between ticks: m got work and holds no core. */
export function donorCore(m: usize): i32 { return donorCoreIn(managerRecord(), CORE_COUNT, m, true, true); }

/** For a machine that has work and no core at all: a core of the machine holding the most cores
 *  above its minimum (and more than one), busy or not; it switches after its current task. */
export function busyDonorCoreIn(g: usize, ncores: i32, m: usize): i32 {
  let best: i32 = -1, most: u32 = 1;
  for (let c = 0; c < ncores; c++) {
    let o = machineIn(g, assignedIn(g, c));
    if (o == m) continue;
    let cores = load32(o + M_CORES);
    if (cores > load<u32>(o + M_MIN) && cores > most) { most = cores; best = c; }
  }
  return best;
}
