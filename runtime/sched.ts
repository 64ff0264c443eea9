// sched.ts: the task scheduler of a machine, one instance per machine, run by every core the
// machine holds.
//
// Owns: the scheduler record (per-core rings, the inject list, sleep states), the core's main
// loop, the dispatch of a task (the bottom of every task's stack), enqueue handlers, idling and
// waking, and spawn/yield.
// Not: the queues' insides (queue.ts), contexts (context.ts), futures and signals (future.ts,
// signal.ts), which machine a core serves (the Machine Manager, later).
//
// Main loop of a core, per iteration (schedRun):
//  1. find a task: every 61st time the inject list first (so outside work is not starved by a
//     busy ring), else own ring → inject list → steal half of another core's ring (if the
//     instance allows stealing); with no task: the machine's signals and interface queues (and
//     every 64th task regardless, for the same reason);
//  2. run it (dispatch): resume its context if it has one, call its handler;
//  3. if it blocked, run its enqueue handler now that it has left the stack: publish it to a
//     ready queue (yield) or register it with what it waits on (future, signal), which may find
//     the wait already over and make it ready at once: the generic cure for lost wake-ups;
//  4. if it finished, complete its future (waking waiters and continuations) and drop the
//     scheduler's reference;
//  5. with nothing to do: spin a little, then sleep (below).
//
// Sleep protocol (no lost wake-up):
//  a. sleeper: STATE = SLEEPING; SLEEPERS += 1; look for work again; none → park.
//  b. producer: publish work (ring push or inject push, seq-cst); if SLEEPERS > 0, cmpxchg one
//     core's STATE SLEEPING → WOKEN, SLEEPERS −= 1, platform.wake(core).
//  c. sleeper after park or on finding work: cmpxchg STATE SLEEPING → RUNNING; if that fails a
//     producer woke it (and already took it off SLEEPERS); else it takes itself off.
//  (a) writes SLEEPERS then reads the queues; (b) writes the queues then reads SLEEPERS; both
//  seq-cst, so at least one sees the other. A wake token posted before the park is not lost
//  (platform.park consumes it).
// Rejected: a global run queue (every spawn would contend on one line), and waking on every
// spawn (a platform wake costs microseconds; b wakes only when someone sleeps).
//
// ╒════════ scheduler record ════════╕
//  +0   STEAL     1: other cores may steal from the rings. Set at creation, read-only.
//  +4   CORES     number of core slots. Read-only.
//  +8   SLEEPERS  cores of this scheduler asleep or going to sleep (atomic add/sub, load).
//  +12  ID        small number for reports. Read-only.
//  +16  INJECT    inject list, 16 bytes (queue.ts): LOCK HEAD TAIL LEN.
//  +32  MACHINE   the machine this scheduler belongs to (kernel/machine.ts). Set at creation.
//  +64  SLOT[c]   64 bytes per core c:
//       +0 RING   c's ring (queue.ts). Set at creation.
//       +4 STATE  RUNNING 0 | SLEEPING 1 | WOKEN 2. c stores; producers cmpxchg SLEEPING→WOKEN.
//       +8 SPINS  spin rounds before parking (owner; adapts nothing yet, fixed at creation)

import { CORE_ID, CORE_COUNT, platform } from "~lib/rt/platform";
import { coreRec, FC_TASKS_RUN, FC_TASKS_STOLEN, FC_PARKS, FC_SPAWNS, FC_CURRENT, FW_DEFAULT_SCHED } from "~lib/rt/layout";
import { load32, store32, cas32, add32, sub32, ownerAdd64 } from "~lib/rt/atomic";
import { heapAlloc, heapSetArena } from "~lib/rt/heap";
import { fail } from "~lib/rt/trap";
import { ringNew, ringPush, ringPop, ringSteal, ringLen, injectPush, injectPop, injectLen } from "./queue";
import { Task, TaskFn, taskNew, taskRelease, T_FN, T_CTX, T_KIND, T_ENQ, T_SCHED, FLAG_FAILED } from "./task";
import { asyncify, suspend, ctxDrop, UNWINDING, REWINDING } from "./context";
import { FW_TRAPPED } from "~lib/rt/layout";
import { futureComplete, registerWaiter, Future } from "./future";
import { signalRegister } from "./signal";
import { managerIdle, managerMaybeTick, managerActivate, parkTimeout, setBusy } from "../kernel/manager";
import { imsPending, imsHandle } from "../kernel/ims";
import { imcPoll, imcPending, callComplete, FLAG_CALL } from "../kernel/imc";
import { hostPoll, hostRang } from "./host";
import { M_TASKS_RUN, M_CORES, M_ARENA, M_ID } from "../kernel/machine";
import { FC_MACH_PENDING } from "~lib/rt/layout";
import { add64 } from "~lib/rt/atomic";
import { TRACE, trace, traceOpen, traceClose, traceSync } from "./trace";
import { EV_TASK_BEGIN, EV_TASK_RESUME, EV_TASK_END, EV_TASK_BLOCK, EV_TRAP, EV_CORE_PARK, EV_CORE_UNPARK } from "./trace_events";

// @ts-ignore: decorator
@inline const S_STEAL: usize = 0;
// @ts-ignore: decorator
@inline const S_CORES: usize = 4;
// @ts-ignore: decorator
@inline const S_SLEEPERS: usize = 8;
// @ts-ignore: decorator
@inline const S_ID: usize = 12;
// @ts-ignore: decorator
@inline const S_INJECT: usize = 16;
// @ts-ignore: decorator
@inline const S_MACHINE: usize = 32;
// @ts-ignore: decorator
@inline const S_SLOTS: usize = 64;
// @ts-ignore: decorator
@inline const SLOT_SIZE: usize = 64;
// @ts-ignore: decorator
@inline const SL_RING: usize = 0;
// @ts-ignore: decorator
@inline const SL_STATE: usize = 4;
// @ts-ignore: decorator
@inline const RUNNING: u32 = 0;
// @ts-ignore: decorator
@inline const SLEEPING: u32 = 1;
// @ts-ignore: decorator
@inline const WOKEN: u32 = 2;
/** Spin rounds of an idle core before it sleeps: `--define AAM_SPINS=N` (the benchmark's "spin"
 *  mode makes it unbounded, so both sides of a machine call poll like the paper's active mode). */
// @ts-ignore: decorator
@inline const SPINS: i32 = isDefined(AAM_SPINS) ? <i32>AAM_SPINS : 200;
// @ts-ignore: decorator
@inline const FAIRNESS_TICK: u32 = 61;

// Enqueue handler kinds (task KIND, low byte).
// @ts-ignore: decorator
@inline export const ENQ_YIELD: u32 = 1;
// @ts-ignore: decorator
@inline export const ENQ_WAIT_WORD: u32 = 2;
// @ts-ignore: decorator
@inline export const ENQ_WAIT_SIGNAL: u32 = 3;

// Per-core state: module-level lets are wasm globals, i.e. private to this core.
let curSched: usize = 0;   // scheduler this core serves
let curTask: usize = 0;    // task running on this core
let ring: usize = 0;       // this core's ring in curSched
let tick: u32 = 0;
let rng: u32 = 0;
let nextId: u32 = 1;
let busy = false;          // this core's BUSY flag as last published (manager.ts)
let stopAddr: usize = 0;   // manager's assignment word for this core, and the value it must keep
let stopExpect: u32 = 0;
let curMachineId: u32 = 0; // id of curSched's machine (trace events)

/** Create a scheduler instance with a ring per core. */
export function schedNew(steal: bool): usize {
  let n = <usize>CORE_COUNT;
  let s = heapAlloc(S_SLOTS + n * SLOT_SIZE);
  memory.fill(s, 0, S_SLOTS + n * SLOT_SIZE);
  store<u32>(s + S_STEAL, steal ? 1 : 0);
  store<u32>(s + S_CORES, <u32>n);
  store<u32>(s + S_ID, nextId++);
  for (let c: usize = 0; c < n; c++) store<u32>(s + S_SLOTS + c * SLOT_SIZE + SL_RING, <u32>ringNew());
  return s;
}

// @ts-ignore: decorator
@inline function slot(s: usize, core: i32): usize { return s + S_SLOTS + <usize>core * SLOT_SIZE; }

/** The scheduler this core serves (the default one until a machine takes the core). */
export function currentSched(): usize {
  return curSched ? curSched : <usize>load32(FW_DEFAULT_SCHED);
}
/** The task running on this core, or 0. */
export function currentTask(): usize { return curTask; }

export function schedSetMachine(s: usize, m: usize): void { store<u32>(s + S_MACHINE, <u32>m); }
/** The machine scheduler `s` belongs to (0 before machines exist). */
export function schedMachine(s: usize): usize { return s ? <usize>load<u32>(s + S_MACHINE) : 0; }

/** Serve scheduler `s` on this core until the word at `stop` no longer holds `expect` (the
 *  Machine Manager moved the core to another machine). */
export function schedServe(s: usize, stop: usize, expect: u32): void {
  stopAddr = stop;
  stopExpect = expect;
  enter(s);
  if (!rng) rng = 0x2545f491 ^ (<u32>CORE_ID * 0x9e3779b9) | 1;
  let n: u32 = 0;
  while (load32(stop) == expect) {        // step 0: still this machine's core?
    let t = findTask(s);                  // step 1
    if (t) {
      if (!busy) { busy = true; setBusy(true); }
      dispatch(s, t);                     // steps 2–4
      if ((++n & 63) == 0) outsideWork(s);  // signals and interface queues are not starved by a busy ring
      if ((n & 1023) == 0) { flushMachineCount(s); managerMaybeTick(); }
      continue;
    }
    if (outsideWork(s)) continue;         // signals, interface queues
    idle(s);                              // step 5
  }
  leave(s);
}

// Tasks counted on this core for its machine since the last flush (a per-core word, so that a
// dispatch costs no shared-line write; the host adds it in for --stats).
function flushMachineCount(s: usize): void {
  let pend = coreRec(CORE_ID) + FC_MACH_PENDING;
  let k = load<u64>(pend);
  let m = <usize>load<u32>(s + S_MACHINE);
  if (k && m) { add64(m + M_TASKS_RUN, k); store<u64>(pend, 0); }
}

function enter(s: usize): void {
  curSched = s;
  if (TRACE) curMachineId = machineId(s);
  ring = <usize>load<u32>(slot(s, CORE_ID) + SL_RING);
  let m = <usize>load<u32>(s + S_MACHINE);
  heapSetArena(m ? load<u32>(m + M_ARENA) : 0);          // allocate from the machine's arena
}

// The core leaves machine s: what it queued locally goes to s's inject list, where the cores
// that stay (or the next one granted) find it.
function leave(s: usize): void {
  flushMachineCount(s);
  let moved = false;
  while (true) {
    let t = ringPop(ring);
    if (!t) break;
    injectPush(s + S_INJECT, t);
    moved = true;
  }
  if (moved) notify(s);
  curSched = 0;
  ring = 0;
  heapSetArena(0);
}

// Between tasks, with no local task ready: the machine's signals, then its interface queues.
function outsideWork(s: usize): bool {
  let h = hostPoll();                     // runtime/host.ts step 4: the host rang the mailbox
  let m = <usize>load<u32>(s + S_MACHINE);
  if (!m) return h > 0;
  let k = imsHandle(m);
  return imcPoll(m) + k + h > 0;
}

function findTask(s: usize): usize {
  let t: usize = 0;
  if (++tick % FAIRNESS_TICK == 0) { t = injectPop(s + S_INJECT); if (t) return t; }
  t = ringPop(ring);
  if (t) return t;
  t = injectPop(s + S_INJECT);
  if (t) return t;
  if (load<u32>(s + S_STEAL)) return steal(s);
  return 0;
}

function steal(s: usize): usize {
  let n = <i32>load<u32>(s + S_CORES);
  rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5;
  let start = <i32>(rng % <u32>n);
  for (let i = 0; i < n; i++) {
    let c = (start + i) % n;
    if (c == CORE_ID) continue;
    let t = ringSteal(<usize>load<u32>(slot(s, c) + SL_RING), ring);
    if (t) { ownerAdd64(coreRec(CORE_ID) + FC_TASKS_STOLEN, 1); return t; }
  }
  return 0;
}

// Steps 2–4. Not instrumented by Asyncify: it is where a blocked task's unwind ends.
function dispatch(s: usize, t: usize): void {
  let rec = coreRec(CORE_ID);
  curTask = t;
  store<u32>(rec + FC_CURRENT, <u32>t);
  ownerAdd64(rec + FC_TASKS_RUN, 1);
  ownerAdd64(rec + FC_MACH_PENDING, 1);
  let ctx = <usize>load<u32>(t + T_CTX);
  if (TRACE) traceOpen(ctx ? EV_TASK_RESUME : EV_TASK_BEGIN, curMachineId, load<u32>(t + T_FN), <u32>t);
  if (ctx) asyncify.start_rewind(ctx);
  let result = call_indirect<u64>(load<u32>(t + T_FN), t);
  curTask = 0;
  store<u32>(rec + FC_CURRENT, 0);
  if (asyncify.state() == UNWINDING) {
    asyncify.stop_unwind();
    if (TRACE) traceClose(EV_TASK_BLOCK);
    enqueueHandler(t);                    // step 3
    return;
  }
  if (TRACE) traceClose(EV_TASK_END);
  if (load<u32>(t + T_KIND) & FLAG_CALL) { callComplete(t, result); return; }   // back to the client
  futureComplete(t, result);              // step 4
  taskRelease(t);
}

// @ts-ignore: decorator
@inline function machineId(s: usize): u32 {
  let m = <usize>load<u32>(s + S_MACHINE);
  return m ? load<u32>(m + M_ID) : 0;
}

/** After a trap in the running task (the host caught it and re-entered the image through
 *  aam_resume): end any half-done unwind or rewind, drop the task's context, mark it failed and
 *  complete its future with 0 so that waiters go on, release the scheduler's reference.
 *  Returns the task's KIND flags (0 if no task was running). */
export function failCurrent(): u32 {
  let st = asyncify.state();
  if (st == UNWINDING) asyncify.stop_unwind();
  else if (st == REWINDING) asyncify.stop_rewind();
  let t = curTask;
  curTask = 0;
  store<u32>(coreRec(CORE_ID) + FC_CURRENT, 0);
  if (!t) return 0;
  if (TRACE) {
    let m = machineId(load<u32>(t + T_SCHED));
    trace(EV_TRAP, m, load<u32>(t + T_FN), <u32>t);
    trace(EV_TASK_END, m, load<u32>(t + T_FN), <u32>t, 1);
  }
  ctxDrop(t);
  let flags = load<u32>(t + T_KIND) | FLAG_FAILED;
  store<u32>(t + T_KIND, flags);
  add32(FW_TRAPPED, 1);
  if (flags & FLAG_CALL) { callComplete(t, 0); return flags; }
  futureComplete(t, 0);
  taskRelease(t);
  return flags;
}



function enqueueHandler(t: usize): void {
  let kind = load<u32>(t + T_KIND) & 0xff;
  let obj = <usize>load<u32>(t + T_ENQ);
  if (kind == ENQ_YIELD) makeReady(t);
  else if (kind == ENQ_WAIT_WORD) registerWaiter(obj, t);
  else if (kind == ENQ_WAIT_SIGNAL) signalRegister(obj, t);
  else fail("sched: task 0x" + (<u32>t).toString(16) + " blocked with unknown kind " + kind.toString());
}

/** Make task `t` runnable: this core's ring if it serves t's scheduler, else t's inject list. */
export function makeReady(t: usize): void {
  let s = <usize>load<u32>(t + T_SCHED);
  if (s == curSched && ring) {
    if (ringPush(ring, t)) {
      if (load<u32>(s + S_STEAL)) notify(s);   // an idle core may come and steal it
      return;
    }
  }
  injectPush(s + S_INJECT, t);
  notify(s);
  let m = <usize>load<u32>(s + S_MACHINE);
  if (m && load32(m + M_CORES) == 0) managerActivate(m);   // its machine holds no core: get one
}

// Protocol step b.
// @ts-ignore: decorator
@inline function notify(s: usize): void {
  if (load32(s + S_SLEEPERS) != 0) wakeOne(s);
}

/** Leave whatever scheduler this core entered outside the loop (spawns from percore()). */
export function schedDetach(): void { if (curSched) leave(curSched); }

/** Step b for work published from outside the scheduler (signals, interface queues). */
export function schedNotify(s: usize): void { notify(s); }

/** Tasks queued in scheduler `s` (its rings and inject list), a snapshot for the policy. */
export function schedReady(s: usize): u32 {
  let n = <i32>load<u32>(s + S_CORES);
  let k = injectLen(s + S_INJECT);
  for (let c = 0; c < n; c++) k += ringLen(<usize>load<u32>(slot(s, c) + SL_RING));
  let m = <usize>load<u32>(s + S_MACHINE);
  if (m) k += imcPending(m);
  return k;
}

function wakeOne(s: usize): void {
  let n = <i32>load<u32>(s + S_CORES);
  for (let i = 1; i <= n; i++) {
    let c = (CORE_ID + i) % n;
    if (cas32(slot(s, c) + SL_STATE, SLEEPING, WOKEN) == SLEEPING) {
      sub32(s + S_SLEEPERS, 1);
      platform.wake(c);
      return;
    }
  }
}

function hasWork(s: usize): bool {
  if (ringLen(ring) || injectLen(s + S_INJECT)) return true;
  if (load32(stopAddr) != stopExpect) return true;                // reassigned: go and look
  if (hostRang()) return true;                                     // runtime/host.ts step 4
  let m = <usize>load<u32>(s + S_MACHINE);
  if (m && (imsPending(m) || imcPending(m))) return true;
  if (!load<u32>(s + S_STEAL)) return false;
  let n = <i32>load<u32>(s + S_CORES);
  for (let c = 0; c < n; c++) if (c != CORE_ID && ringLen(<usize>load<u32>(slot(s, c) + SL_RING))) return true;
  return false;
}

// Protocol steps a and c. Before sleeping, the core offers itself to the Machine Manager: a
// machine with work and no core may take it (then the loop's step 0 sees the new assignment).
function idle(s: usize): void {
  if (busy) {
    busy = false; setBusy(false); flushMachineCount(s);
    if (TRACE) traceSync();               // bound the inexact timestamps of what just ran
  }
  for (let i = 0; i < SPINS; i++) if (hasWork(s)) return;
  let m = <usize>load<u32>(s + S_MACHINE);
  if (m && managerIdle(m)) return;
  let st = slot(s, CORE_ID) + SL_STATE;
  store32(st, SLEEPING);
  add32(s + S_SLEEPERS, 1);
  if (!hasWork(s)) {
    ownerAdd64(coreRec(CORE_ID) + FC_PARKS, 1);
    if (TRACE) trace(EV_CORE_PARK, curMachineId, 0, 0);
    platform.park(parkTimeout());
    if (TRACE) trace(EV_CORE_UNPARK, curMachineId, 0, 0);
  }
  if (cas32(st, SLEEPING, RUNNING) == SLEEPING) sub32(s + S_SLEEPERS, 1);
  else store32(st, RUNNING);
  managerMaybeTick();
}

// ── the program's API ──────────────────────────────────────────────────────────────────────

/** Start `fn` as a task with up to three arguments; returns its future (release or join it). */
export function spawn(fn: TaskFn, a0: u64 = 0, a1: u64 = 0, a2: u64 = 0): Future {
  return changetype<Future>(spawnTask(fn.index, a0, a1, a2, false));
}

/** Start `fn` as a task nobody waits for; its record is freed when it finishes. */
export function spawnDetached(fn: TaskFn, a0: u64 = 0, a1: u64 = 0, a2: u64 = 0): void {
  spawnTask(fn.index, a0, a1, a2, true);
}

/** Spawn with KIND flags set before the task is published (a thief may run it at once). */
export function spawnTask(fn: u32, a0: u64, a1: u64, a2: u64, detached: bool, flags: u32 = 0): usize {
  let s = currentSched();
  if (!s) fail("spawn: no scheduler yet (spawn from percore() or later)");
  if (!curSched) enter(s);           // percore(): the core's ring is there before its loop runs
  let t = taskNew(fn, s, a0, a1, a2, detached);
  store<u32>(t + T_KIND, flags);
  ownerAdd64(coreRec(CORE_ID) + FC_SPAWNS, 1);
  makeReady(t);
  return t;
}

/** Let other ready tasks run; this task continues later, on this or another core. */
export function yieldNow(): void {
  suspend(ENQ_YIELD, 0);
}

/** The `Task` view of the running task (its arguments), for code called from a handler. */
export function self(): Task {
  if (!curTask) fail("self: not inside a task");
  return changetype<Task>(curTask);
}
