// policy.ts: when the Machine Manager grants and releases cores. Called at each manager tick,
// under the manager lock, with the shared load data; it decides, cores.ts carries it out.
//
// Owns: the load view of each machine (ready tasks, age of waiting work in ticks, utilisation of
// its cores as an EWMA, idle ticks) and the default policy's rules. Not: how an assignment is changed
// (cores.ts), how the load is produced (the busy flags and queue lengths, cores.ts).
//
// Interface: policyTick() → number of idle cores to publish. There is one policy; another
// would be another function with the same signature, called by manager.ts instead. Its steps 2
// and 3 (policyDecide) read only records, so tests/machines runs them over fabricated ones.
//
// Default policy ("queue age to grant, idleness with hysteresis to release", after Shenango's and
// Caladan's grant on queueing delay and Arachne's release on low utilisation):
//  1. Sample (live only: policySample reads the schedulers, queues and busy words; the rest of the
//     policy reads only records): READY = tasks queued for the machine; AGE = consecutive ticks
//     READY > 0; UTIL = EWMA (½ old + ½ new) of busy cores / cores held, per mille (shown by the
//     trace); IDLE = consecutive ticks with nothing ready and a core of it idle (or none held);
//     HELD = ticks since its last grant.
//  2. Grant: a machine with AGE ≥ 1 tick (or WAITING: an activation found no core), fewer than MAX
//     cores and more ready tasks than cores (or no core at all) gets one core a tick, from a donor
//     (cores.ts donorCoreIn: a free core; an idle extra core of a machine granted none for
//     2 × IDLE_TICKS whose load leaves the cores it keeps at most half busy; an idle core
//     of a machine idle IDLE_TICKS; for a machine with no core, any idle core of a machine with
//     nothing ready). A machine with no core may also take a busy core from the machine holding
//     the most cores above its minimum (busyDonorCoreIn): that core switches after its task.
//  3. Release: a machine idle IDLE_TICKS ticks in a row (`--define AAM_IDLE_TICKS`, default 100)
//     gives back every idle core above its minimum at once; the cores become free (they park
//     until a grant).
// Hysteresis: a machine keeps a core it used within the last IDLE_TICKS ticks, and a core it was
// granted for 2 × IDLE_TICKS, unless a machine with no core at all needs it. Under a steady load the assignment then stays as it is.
// Rejected: granting on instantaneous READY (a single burst grabs every core); releasing after a
// few ticks of low utilisation and letting any grant take a machine's last idle core (as before:
// examples/pipeline.ts changed its assignment ~500 times a second, each machine losing its core
// between two calls and taking one back at the next); releasing one core per tick (a machine
// gone idle holds its cores IDLE_TICKS × cores).

import { CORE_COUNT } from "~lib/rt/platform";
import { load32, store32 } from "~lib/rt/atomic";
import { TRACE, trace } from "../sys/trace";
import { EV_LOAD_SAMPLE, EV_MANAGER_DECISION } from "../sys/trace_events";
import { M_ID, M_CORES, M_MIN, M_MAX, M_READY, M_AGE, M_UTIL, M_IDLE, M_HELD, M_WAITING, MGR_NMACH } from "~lib/rt/abi";
import { managerRecord } from "./record";
import { imsPending } from "./ims";
import { IDLE_TICKS, assignedIn, busyIn, machineIn, donorCoreIn, busyDonorCoreIn, assignIn, machineReady } from "./cores";

// @ts-ignore: decorator
@inline const GRANT_AGE: u32 = 1;

/** The manager's tick (lock held): sample every machine, then decide. Returns the idle cores. */
export function policyTick(): u32 {
  let g = managerRecord();
  let n = load<u32>(g + MGR_NMACH);
  for (let id: u32 = 1; id <= n; id++) {
    let m = machineIn(g, id);
    policySample(g, CORE_COUNT, m, machineReady(m) + (imsPending(m) ? 1 : 0));   // signals are work too
  }
  return policyDecide(g, CORE_COUNT, true);
}

/** Step 1 for machine m of manager record g with `ncores` cores, `ready` tasks queued for it
 *  (busy cores are read from g's BUSY words). */
export function policySample(g: usize, ncores: i32, m: usize, ready: u32): void {
  let id = load<u32>(m + M_ID);
  let cores = load32(m + M_CORES), busy: u32 = 0;
  for (let c = 0; c < ncores; c++) if (assignedIn(g, c) == id && busyIn(g, c)) busy++;
  let now: u32 = cores ? busy * 1000 / cores : 0;
  let util = (load<u32>(m + M_UTIL) + now) / 2;
  store<u32>(m + M_READY, ready);
  store<u32>(m + M_AGE, ready ? load<u32>(m + M_AGE) + 1 : 0);
  store<u32>(m + M_UTIL, util);
  store<u32>(m + M_IDLE, !ready && busy < cores || !ready && !cores ? load<u32>(m + M_IDLE) + 1 : 0);
  let held = load<u32>(m + M_HELD);
  if (held < 0x80000000) store<u32>(m + M_HELD, held + 1);
  if (TRACE) trace(EV_LOAD_SAMPLE, id, ready, cores, <f64>util / 1000.0);
}

/** Steps 2 and 3 over the sampled records of manager record g with `ncores` cores. Reads only
 *  g, its machine records and its ASSIGN and BUSY words, so it is deterministic; `live`: g is the
 *  system's (moved cores are woken). Returns the cores that are free or idle. */
export function policyDecide(g: usize, ncores: i32, live: bool): u32 {
  let n = load<u32>(g + MGR_NMACH);
  for (let id: u32 = 1; id <= n; id++) grant(g, ncores, machineIn(g, id), live);     // step 2
  for (let id: u32 = 1; id <= n; id++) release(g, ncores, machineIn(g, id), live);   // step 3
  let idle: u32 = 0;
  for (let c = 0; c < ncores; c++) if (!assignedIn(g, c) || !busyIn(g, c)) idle++;
  return idle;
}

function grant(g: usize, ncores: i32, m: usize, live: bool): void {
  let cores = load32(m + M_CORES);
  if (cores >= load<u32>(m + M_MAX)) return;
  if (load<u32>(m + M_AGE) < GRANT_AGE && !load32(m + M_WAITING)) return;   // WAITING: activation found no core
  if (cores > 0 && load<u32>(m + M_READY) <= cores) return;
  let c = donorCoreIn(g, ncores, m, false, cores == 0);
  if (c < 0 && cores == 0) c = busyDonorCoreIn(g, ncores, m);   // no machine may starve while others hold several
  if (TRACE && c >= 0) trace(EV_MANAGER_DECISION, load<u32>(m + M_ID), 1, cores, <f64>load<u32>(m + M_AGE));   // load: queue age in ticks
  if (c >= 0) assignIn(g, c, m, live);
  else if (cores == 0) store32(m + M_WAITING, 1);
}

function release(g: usize, ncores: i32, m: usize, live: bool): void {
  let id = load<u32>(m + M_ID);
  if (load<u32>(m + M_IDLE) < IDLE_TICKS || load<u32>(m + M_READY) != 0) return;
  for (let c = ncores - 1; c >= 0 && load32(m + M_CORES) > load<u32>(m + M_MIN); c--) {
    if (assignedIn(g, c) == id && !busyIn(g, c)) {
      if (TRACE) trace(EV_MANAGER_DECISION, id, 2, load32(m + M_CORES), <f64>load<u32>(m + M_UTIL) / 1000.0);   // load: utilisation
      assignIn(g, c, 0, live);
    }
  }
  store<u32>(m + M_IDLE, 0);
}
