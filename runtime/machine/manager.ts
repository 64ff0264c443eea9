// manager.ts: the Machine Manager. Knows every machine and which core serves which; assigns
// cores to machines exclusively and changes an assignment only when a core's machine ran out of
// work, when a machine with no core gets work, or when the policy rebalances at a tick.
//
// Owns: the manager record's life (created at boot, record.ts draws it), the initial assignment,
// the tick (policy + stall detector), machine activation, the idle offer, and how long an idle
// core may park. Not: the policy's rules (policy.ts), moving a core (cores.ts), a core's loop
// (core.ts), a machine's own scheduling (sched/).
//
// Interaction with the manager is a few run-to-completion calls, each under the manager lock
// (rt/atomic.ts lock order: 1) for a few dozen instructions: managerMaybeTick, managerActivate,
// managerIdle. No call blocks; the tick and the idle offer only try the lock (someone else
// deciding is as good), activation waits for it.

import { CORE_ID, CORE_COUNT, platform } from "~lib/rt/platform";
import { load32, store32, lock, tryLock, unlock } from "~lib/rt/atomic";
import { heapAlloc } from "~lib/rt/heap";
import { DEBUG } from "~lib/rt/layout";
import { M_CORES, M_MIN, M_MAX, M_WAITING, M_NOCORE_SINCE, M_HELD, M_ID, MGR_LOCK, MGR_NMACH, MGR_TICKS, MGR_IDLE, MGR_LAST_TICK, MGR_TICK_NS, MGR_STATIC, MGR_STALL, MANAGER_SIZE } from "~lib/rt/abi";
import { managerRecord, machineAt } from "./record";
import { assign, assignedTo, coreBusy, donorCore, machineReady } from "./cores";
import { policyTick } from "./policy";
import { stallNew, stallCheck, stallReport, stallThreshold } from "./stall";
import { clockNow } from "../sched/spin";
import { timerNext } from "../sched/timer";

/** Manager tick in µs: `--define AAM_TICK_US=N`. */
// @ts-ignore: decorator
@inline const TICK_US: f64 = isDefined(AAM_TICK_US) ? <f64>AAM_TICK_US : 1000.0;

/** Boot, the first core: the manager record (before any machine is defined). */
export function managerNew(): usize {
  let g = heapAlloc(MANAGER_SIZE);
  memory.fill(g, 0, MANAGER_SIZE);
  store<f64>(g + MGR_TICK_NS, TICK_US * 1000.0);
  store<f64>(g + MGR_LAST_TICK, platform.now_ns());
  store<u32>(g + MGR_STALL, <u32>stallNew());
  return g;
}

/** Ticks run so far (a program's view of the manager). */
export function managerTicks(): u32 { return load32(managerRecord() + MGR_TICKS); }

/** Boot, core 0, after the program declared its machines: the initial assignment. Machine 1
 *  ("main") gets every core unless other machines were declared: then each declared machine
 *  gets its minimum, and main the rest (at least its own minimum). */
export function managerStart(): void {
  let g = managerRecord();
  let n = load<u32>(g + MGR_NMACH);
  let main = machineAt(1);
  if (n == 1) {
    store<u32>(g + MGR_STATIC, 1);
    store<u32>(main + M_MIN, <u32>CORE_COUNT);
  }
  let next = CORE_COUNT - 1;                 // hand minimums out from the top core down
  for (let id: u32 = 2; id <= n; id++) {
    let m = machineAt(id);
    for (let k: u32 = 0; k < load<u32>(m + M_MIN) && next > 0; k++) assign(next--, m);
  }
  for (let c = 0; c <= next; c++) assign(c, main);
  if (n > 1) store<u32>(main + M_MIN, 0);      // main only waits on the others: no core of its own
  for (let id: u32 = 1; id <= n; id++) {
    let m = machineAt(id);
    if (load32(m + M_CORES) == 0) store<f64>(m + M_NOCORE_SINCE, platform.now_ns());
    store<u32>(m + M_HELD, 0x80000000);          // the initial assignment protects no core (policy.ts)
  }
}

/** How long an idle core may sleep: forever when no decision can be pending (a single machine,
 *  or every machine at its minimum with nothing waiting), else one tick; while another core runs
 *  a task and the stall detector is on, a quarter of its threshold at most (someone must tick);
 *  and never past the earliest pending timer (sched/timer.ts). */
export function parkTimeout(): f64 {
  let t = managerTimeout();
  let d = timerNext();                                       // sched/timer.ts step 3
  if (d >= 0) {
    let dt = max(d - clockNow(), 0);
    if (t < 0 || dt < t) t = dt;
  }
  return t;
}

function managerTimeout(): f64 {
  let g = managerRecord();
  if (!g) return -1;
  let t = policyTimeout(g);
  let stall = stallThreshold(<usize>load<u32>(g + MGR_STALL));
  if (stall > 0 && (t < 0 || t > stall / 4)) {               // someone must tick while a task runs
    for (let c = 0; c < CORE_COUNT; c++) if (c != CORE_ID && coreBusy(c)) return stall / 4;
  }
  return t;
}

function policyTimeout(g: usize): f64 {
  if (load<u32>(g + MGR_STATIC)) return -1;
  let n = load<u32>(g + MGR_NMACH);
  for (let id: u32 = 1; id <= n; id++) {
    let m = machineAt(id);
    if (load32(m + M_WAITING)) return load<f64>(g + MGR_TICK_NS);
    // a core above the minimum may have to be released, but only to another machine: a single
    // machine's idle cores park until its own work wakes them (policy ticks would wake them
    // every tick for IDLE_TICKS ticks, tests/boot/system.test.mjs "an idle system does not spin")
    if (n > 1 && load32(m + M_CORES) > load<u32>(m + M_MIN)) return load<f64>(g + MGR_TICK_NS);
    // work that reached a coreless machine without an activation (a race with a revocation)
    if (load32(m + M_CORES) == 0 && machineReady(m) > 0) return load<f64>(g + MGR_TICK_NS);
  }
  return -1;
}

/** Run the policy and the stall detector if a tick is due and no other core is running them. */
export function managerMaybeTick(): void {
  let g = managerRecord();
  if (!g) return;
  let policy = load<u32>(g + MGR_STATIC) == 0;
  let stall = <usize>load<u32>(g + MGR_STALL);
  if (!policy && stallThreshold(stall) <= 0) return;
  let now = clockNow();
  if (now - load<f64>(g + MGR_LAST_TICK) < load<f64>(g + MGR_TICK_NS)) return;
  if (!tryLock(g + MGR_LOCK, "manager")) return;                 // someone else ticks
  store<f64>(g + MGR_LAST_TICK, now);
  if (policy) {
    store32(g + MGR_TICKS, load32(g + MGR_TICKS) + 1);
    store32(g + MGR_IDLE, policyTick());
    if (DEBUG) checkCores(g);
  }
  let stalled = stallCheck(stall, now);
  unlock(g + MGR_LOCK);
  if (stalled >= 0) stallReport(stall, stalled, now);      // console I/O outside the lock
}

/** The ACTIVATE hook (sched/sched.ts): machine `m` got work and may hold no core. Grant it one
 *  now if a core is free or can be taken from a machine above its minimum that has nothing
 *  ready; else mark it waiting (the next tick handles it, and idle cores sleep at most one tick
 *  while it waits). */
export function managerActivate(m: usize): void {
  let g = managerRecord();
  if (!g || load32(m + M_CORES) != 0) return;
  lock(g + MGR_LOCK, "manager");
  if (load32(m + M_CORES) == 0) {
    let c = donorCore(m);
    if (c >= 0) assign(c, m);
    else store32(m + M_WAITING, 1);
  }
  unlock(g + MGR_LOCK);
}

/** A core whose machine ran out of work asks whether another machine needs it. Returns true
 *  if the core was reassigned. */
export function managerIdle(m: usize): bool {
  let g = managerRecord();
  if (!g || load<u32>(g + MGR_STATIC)) return false;
  managerMaybeTick();
  let n = load<u32>(g + MGR_NMACH);
  let want: usize = 0;
  for (let id: u32 = 1; id <= n && !want; id++) {
    let o = machineAt(id);
    if (o != m && load32(o + M_CORES) < load<u32>(o + M_MAX) && machineReady(o) > 0 &&
        (load32(o + M_WAITING) || load32(o + M_CORES) == 0)) want = o;
  }
  if (!want || load32(m + M_CORES) <= load<u32>(m + M_MIN)) return false;
  if (!tryLock(g + MGR_LOCK, "manager")) return false;
  let moved = false;
  if (assignedTo(CORE_ID) == load<u32>(m + M_ID) && load32(m + M_CORES) > load<u32>(m + M_MIN) && load32(want + M_CORES) < load<u32>(want + M_MAX)) {
    assign(CORE_ID, want);
    moved = true;
  }
  unlock(g + MGR_LOCK);
  return moved;
}

// Debug builds, at a tick under the lock: every machine's CORES equals the cores assigned to it.
function checkCores(g: usize): void {
  let n = load<u32>(g + MGR_NMACH);
  for (let id: u32 = 1; id <= n; id++) {
    let k: u32 = 0;
    for (let c = 0; c < CORE_COUNT; c++) if (assignedTo(c) == id) k++;
    assert(k == load32(machineAt(id) + M_CORES), "manager: CORES differs from the assignment words");
  }
}
