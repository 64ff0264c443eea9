// policy.ts: when the Machine Manager grants and releases cores. Called at each manager tick,
// under the manager lock, with the shared load data; it decides, cores.ts carries it out.
//
// Owns: the load view of each machine (ready tasks, age of waiting work in ticks, utilisation of
// its cores as an EWMA) and the default policy's rules. Not: how an assignment is changed
// (cores.ts), how the load is produced (the busy flags and queue lengths, cores.ts).
//
// Interface: policyTick() → number of idle cores to publish. There is one policy; another
// would be another function with the same signature, called by manager.ts instead.
//
// Default policy ("queue age to grant, utilisation with hysteresis to release", after Shenango's
// and Caladan's grant on queueing delay and Arachne's release on low utilisation):
//  1. Sample: READY = tasks queued in the machine's scheduler; AGE = consecutive ticks READY > 0;
//     UTIL = EWMA (½ old + ½ new) of busy cores / cores held, per mille; LOW = consecutive ticks
//     with UTIL < 250‰.
//  2. Grant: a machine with AGE ≥ 1 tick, fewer than MAX cores and more ready tasks than cores
//     (or no core at all) gets one core a tick: a free core, else an idle core of a machine above
//     its minimum that keeps enough cores for its ready work (cores.ts donorCore); a machine
//     with no core at all may also take a busy core from the machine holding the most cores above
//     its minimum (busyDonorCore): that core switches after its current task.
//  3. Release: a machine with LOW ≥ 3 ticks, nothing ready and more than MIN cores gives back one
//     idle core a tick; the core becomes free (it parks until a grant).
// One core per machine per tick in each direction keeps a burst from flapping the assignment.
// Rejected: granting on instantaneous READY (a single burst grabs every core) and releasing as
// soon as a core idles (a machine between two messages would switch on every gap).

import { CORE_COUNT } from "~lib/rt/platform";
import { load32, store32 } from "~lib/rt/atomic";
import { TRACE, trace } from "../sys/trace";
import { EV_LOAD_SAMPLE, EV_MANAGER_DECISION } from "../sys/trace_events";
import { M_ID, M_CORES, M_MIN, M_MAX, M_READY, M_AGE, M_UTIL, M_LOW, M_WAITING } from "~lib/rt/abi";
import { machineAt, machineTableCount } from "./record";
import { imsPending } from "./ims";
import { assignedTo, coreBusy, donorCore, busyDonorCore, assign, machineReady } from "./cores";

// @ts-ignore: decorator
@inline const GRANT_AGE: u32 = 1;
// @ts-ignore: decorator
@inline const LOW_UTIL: u32 = 250;
// @ts-ignore: decorator
@inline const RELEASE_TICKS: u32 = 3;

export function policyTick(): u32 {
  let n = machineTableCount();
  for (let id: u32 = 1; id <= n; id++) sample(machineAt(id));          // step 1
  for (let id: u32 = 1; id <= n; id++) grant(machineAt(id));           // step 2
  for (let id: u32 = 1; id <= n; id++) release(machineAt(id));         // step 3
  let idle: u32 = 0;
  for (let c = 0; c < CORE_COUNT; c++) if (!assignedTo(c) || !coreBusy(c)) idle++;
  return idle;
}

function sample(m: usize): void {
  let id = load<u32>(m + M_ID);
  let ready = machineReady(m) + (imsPending(m) ? 1 : 0);   // signals are work too
  let cores = load32(m + M_CORES), busy: u32 = 0;
  for (let c = 0; c < CORE_COUNT; c++) if (assignedTo(c) == id && coreBusy(c)) busy++;
  let now: u32 = cores ? busy * 1000 / cores : 0;
  let util = (load<u32>(m + M_UTIL) + now) / 2;
  store<u32>(m + M_READY, ready);
  store<u32>(m + M_AGE, ready ? load<u32>(m + M_AGE) + 1 : 0);
  store<u32>(m + M_UTIL, util);
  store<u32>(m + M_LOW, util < LOW_UTIL ? load<u32>(m + M_LOW) + 1 : 0);
  if (TRACE) trace(EV_LOAD_SAMPLE, id, ready, cores, <f64>util / 1000.0);
}

function grant(m: usize): void {
  let cores = load32(m + M_CORES);
  if (cores >= load<u32>(m + M_MAX)) return;
  if (load<u32>(m + M_AGE) < GRANT_AGE && !load32(m + M_WAITING)) return;   // WAITING: activation found no core
  if (cores > 0 && load<u32>(m + M_READY) <= cores) return;
  let c = donorCore(m);
  if (c < 0 && cores == 0) c = busyDonorCore(m);   // no machine may starve while others hold several
  if (TRACE && c >= 0) trace(EV_MANAGER_DECISION, load<u32>(m + M_ID), 1, cores, <f64>load<u32>(m + M_AGE));   // load: queue age in ticks
  if (c >= 0) assign(c, m);
  else if (cores == 0) store32(m + M_WAITING, 1);
}

function release(m: usize): void {
  let id = load<u32>(m + M_ID);
  if (load<u32>(m + M_LOW) < RELEASE_TICKS || load<u32>(m + M_READY) != 0) return;
  if (load32(m + M_CORES) <= load<u32>(m + M_MIN)) return;
  for (let c = CORE_COUNT - 1; c >= 0; c--) {
    if (assignedTo(c) == id && !coreBusy(c)) {
      if (TRACE) trace(EV_MANAGER_DECISION, id, 2, load32(m + M_CORES), <f64>load<u32>(m + M_UTIL) / 1000.0);   // load: utilisation
      assign(c, 0);
      store<u32>(m + M_LOW, 0);
      return;
    }
  }
}
