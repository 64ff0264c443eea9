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
import { TRACE, trace } from "../sys/trace";
import { EV_CORE_GRANT, EV_CORE_REVOKE } from "../sys/trace_events";
import { M_SCHED, M_CORES, M_MIN, M_MAX, M_GRANTS, M_REVOKES, M_WAITING, M_NOCORE_NS, M_NOCORE_SINCE, M_ID, MGR_ASSIGN, MGR_BUSY, MGR_LOCK } from "~lib/rt/abi";
import { managerRecord, machineAt } from "./record";
import { imcPending } from "./imc";

/** Machine id core `core` serves, 0 = none. */
export function assignedTo(core: i32): u32 { return load32(managerRecord() + MGR_ASSIGN + (<usize>core << 2)); }
/** Address of core `core`'s assignment word (the core's loop watches it). */
export function assignWord(core: i32): usize { return managerRecord() + MGR_ASSIGN + (<usize>core << 2); }
/** Whether core `core` is running tasks (its own BUSY word). */
export function coreBusy(core: i32): bool { return load32(managerRecord() + MGR_BUSY + (<usize>core << 2)) != 0; }
/** This core publishes whether it runs tasks (read by the tick). */
export function setBusy(busy: bool): void { store32(managerRecord() + MGR_BUSY + (<usize>CORE_ID << 2), busy ? 1 : 0); }

/** Tasks queued for machine `m`: its scheduler's rings and inject list, and the calls and
 *  results waiting in its interfaces' queues (a snapshot). */
export function machineReady(m: usize): u32 {
  return schedReady(<usize>load<u32>(m + M_SCHED)) + imcPending(m);
}

/** Step 1: move core `core` to machine `m` (0: no machine). The manager lock is held, or the
 *  cores have not started yet (initial assignment). */
export function assign(core: i32, m: usize): void {
  let g = managerRecord();
  if (DEBUG) assert(load32(g + MGR_LOCK) != 0 || load32(g + MGR_ASSIGN + (<usize>core << 2)) == 0, "manager: assignment change without the lock");
  let slot = g + MGR_ASSIGN + (<usize>core << 2);
  let old = load32(slot);
  let now = platform.now_ns();
  if (old) {
    let o = machineAt(old);
    if (DEBUG) assert(load32(o + M_CORES) > 0, "manager: machine cores below zero");
    store32(o + M_CORES, load32(o + M_CORES) - 1);
    add64(o + M_REVOKES, 1);
    if (load32(o + M_CORES) == 0) store<f64>(o + M_NOCORE_SINCE, now);
    if (TRACE) trace(EV_CORE_REVOKE, old, <u32>core, load32(o + M_CORES));
  }
  store32(slot, m ? load<u32>(m + M_ID) : 0);
  if (m) {
    if (load32(m + M_CORES) == 0 && load<f64>(m + M_NOCORE_SINCE) > 0) {
      add64(m + M_NOCORE_NS, <u64>(now - load<f64>(m + M_NOCORE_SINCE)));
      store<f64>(m + M_NOCORE_SINCE, 0);
    }
    store32(m + M_CORES, load32(m + M_CORES) + 1);
    if (DEBUG) assert(load32(m + M_CORES) <= load<u32>(m + M_MAX), "manager: machine above its maximum cores");
    store32(m + M_WAITING, 0);
    add64(m + M_GRANTS, 1);
    if (TRACE) trace(EV_CORE_GRANT, load<u32>(m + M_ID), <u32>core, load32(m + M_CORES));
  }
  if (core != CORE_ID) platform.wake(core);
}

/** A core that can serve `m` now: an unassigned one, else an idle core of a machine above its
 *  minimum with nothing ready. −1 if none. Manager lock held. */
export function donorCore(m: usize): i32 {
  for (let c = 0; c < CORE_COUNT; c++) if (!assignedTo(c)) return c;
  for (let c = 0; c < CORE_COUNT; c++) {
    let o = machineAt(assignedTo(c));
    if (o == m || load32(o + M_CORES) <= load<u32>(o + M_MIN)) continue;
    // an idle core of a machine that keeps enough cores for what it has ready
    if (!coreBusy(c) && machineReady(o) < load32(o + M_CORES)) return c;
  }
  return -1;
}

/** For a machine that has work and no core at all: a core of the machine holding the most cores
 *  above its minimum (and more than one), busy or not; it switches after its current task. */
export function busyDonorCore(m: usize): i32 {
  let best: i32 = -1, most: u32 = 1;
  for (let c = 0; c < CORE_COUNT; c++) {
    let o = machineAt(assignedTo(c));
    if (o == m) continue;
    let cores = load32(o + M_CORES);
    if (cores > load<u32>(o + M_MIN) && cores > most) { most = cores; best = c; }
  }
  return best;
}
