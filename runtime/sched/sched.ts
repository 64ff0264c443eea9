// sched.ts: the task scheduler of a machine, one instance per machine, run by every core the
// machine holds.
//
// Owns: the scheduler record (per-core rings, the inject list, sleep states), finding the next
// task, making tasks ready, the sleep protocol's two halves, spawn/yield, and the hook record
// through which the scheduler reaches the layer above it (machines) without importing it.
// Not: the queues' insides (task/queue.ts), contexts (task/context.ts), running a task
// (dispatch.ts), futures and signals (future.ts, signal.ts), the core's loop and which machine
// a core serves (machine/core.ts, machine/manager.ts).
//
// Finding a task (schedFind): this core's NEXT slot first (below), then every 61st time the
// inject list (so outside work is not starved by a busy ring), else own ring → inject list →
// steal half of another core's ring (if the instance allows stealing).
// NEXT: one task a core put aside for itself, a machine call it just took (makeReadyHere,
// machine/imc.ts accept): a wasm global, so neither the ring's two locked operations nor a
// thief; a core that leaves the scheduler puts it on the inject list. It is filled only where
// the core looks for outside work (an empty ring, or every 64th task), so ring tasks still run
// between two calls. Tokio's LIFO slot, for the same reason: a message's handler runs on the
// core that took the message, at once (measured: ~20 ns of a call's critical path).
//
// Inline join (Future.wait, future.ts): a task that waits for a task it spawned and that has not
// started runs it on its own stack, as a call, instead of suspending (an unwind and a rewind of
// its stack: ~130 ns of the ~240 a spawn+wait cost; with it ~60):
//  i1. claim: the task is the oldest in this core's ring (queue.ts ringTakeIf, a cmpxchg of HEAD
//      against thieves; a spawn goes there, never to NEXT, which holds machine calls only);
//      anything else (started, stolen, behind older tasks, a machine call, INLINE_DEPTH nested
//      already) waits as usual;
//  i2. run it through the host (platform.run_inline → the export aam_inline → dispatch.ts
//      dispatchInline): the host's call is a catch frame, so a trap in it unwinds to there and
//      fails only it, as at the stack's bottom (docs/ARCHITECTURE.md §10); the host then
//      re-enters through aam_resume (the report) and aam_inline (the completion), and returns
//      to the joiner. A task that blocks in it unwinds to dispatchInline and waits as any task;
//  i3. a trap that the host's call does not take (it hit the joiner, or a lock was held) ends
//      the whole stack: recover (boot.ts) restarts the depth and queues a claimed task that never
//      started (schedInlineReset);
//  i4. a task that finishes in the nested call keeps the scheduler's reference (dispatch.ts) and
//      the joiner gets it (INLINE_KEPT): join then holds both references of the record and frees
//      it with no locked operation on REFS (task.ts taskFree), wait drops the one it got. Only
//      the two holders ever touch REFS, and both are this stack now (measured: a spawn+join
//      ~87 → ~69 ns, a call and two locked subtractions fewer; docs/BENCHMARKS.md).
// Rejected: running the task as a plain wasm call (a trap would take the joiner's frames with
// it: the failure would not stay in the task that trapped), and Asyncify-free joins of tasks
// that already started (they hold a context of their own).
//
// Sleep protocol (no lost wake-up), run by machine/core.ts with the halves below:
//  a. sleeper (schedSleep): STATE = SLEEPING; SLEEPERS += 1; then the caller looks for work
//     again; none → park.
//  b. producer (makeReady, schedNotify): publish work (ring push or inject push, seq-cst); if
//     SLEEPERS > 0, cmpxchg one core's STATE SLEEPING → WOKEN, SLEEPERS −= 1, platform.wake(core).
//  c. sleeper after park or on finding work (schedAwake): cmpxchg STATE SLEEPING → RUNNING; if
//     that fails a producer woke it (and already took it off SLEEPERS); else it takes itself off.
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
//  +16  INJECT    inject list, 16 bytes (task/queue.ts): LOCK HEAD TAIL LEN.
//  +32  MACHINE   the machine this scheduler belongs to (machine/machine.ts), +36 MID its id,
//                 +40 ARENA its allocator arena. Set once at creation, before any core serves.
//  +64  SLOT[c]   64 bytes per core c (one cache line each):
//       +0 RING   c's ring (task/queue.ts). Set at creation.
//       +4 STATE  RUNNING 0 | SLEEPING 1 | WOKEN 2. c stores; producers cmpxchg SLEEPING→WOKEN.
//
// ╒════════ hook record (static data, 20 bytes) ════════╕
//  +0 ACTIVATE   table index of (m: usize) => void: a machine that may hold no core got work
//                (machine/manager.ts managerActivate: it checks, and grants a core).
//  +4 CALL_DONE  table index of (t: usize, result: u64) => void: a machine call's handler
//                finished on the server (machine/imc.ts callComplete).
//  +8 RESULTS    table index of (m: usize) => u32: take in machine m's call results, completing
//                their futures (machine/imc.ts imcResults), for the caller's spin (schedSpinFor).
//  +12 HANDOFF   table index of (t: usize) => void: finish call t, whose server handed its
//                result over in place, as its handle goes (machine/imc.ts imcHandoff; future.ts h4).
//  +16 HANDED_RELEASE  table index of (t: usize) => bool: the same for a caller that drops its
//                handle at once, with no write to a slot's record when it can (machine/imc.ts
//                imcHandedRelease); false: it finished the call as HANDOFF, the handle is still held.
// Written once by the core that boots the system (schedHooks), before any core serves a
// machine; read with plain loads by every core after the boot barrier. Only the paths around a
// machine call go through it (an inject push to another machine, a call's completion, a caller
// waiting for its result).

import { CORE_ID, CORE_COUNT, platform } from "~lib/rt/platform";
import { coreRec, DEBUG } from "~lib/rt/layout";
import { FC_TASKS_STOLEN, FC_SPAWNS, FC_INLINE_JOINS, FW_DEFAULT_SCHED } from "~lib/rt/abi";
import { load32, store32, cas32, add32, sub32, ownerAdd64 } from "~lib/rt/atomic";
import { heapAlloc, heapSetArena } from "~lib/rt/heap";
import { fail } from "~lib/rt/trap";
import { ringNew, ringPush, ringPop, ringSteal, ringLen, ringTakeIf, injectPush, injectPop, injectLen } from "../task/queue";
import { Task, TaskFn, taskNew, currentTask, T_KIND, T_SCHED, T_CTX, T_FUTURE, DONE, SPINNING, HANDED, FLAG_CALL, FLAG_SLOT } from "../task/task";
import { suspend } from "../task/context";
import { Future } from "./future";
import { FIXED_SPINS, SPINS, wakeCore, spinCap, spinOutcome, spinBegin, spinCheck, spinNextCheck, spinElapsed } from "./spin";

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
@inline const S_MID: usize = 36;
// @ts-ignore: decorator
@inline const S_ARENA: usize = 40;
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
// @ts-ignore: decorator
@inline const FAIRNESS_TICK: u32 = 61;
/** Inline joins a core may nest (each costs stack: the joiner's frames and the host's call);
 *  `--define AAM_INLINE_DEPTH=N`, 0 turns inline join off. */
// @ts-ignore: decorator
@inline export const INLINE_DEPTH: u32 = isDefined(AAM_INLINE_DEPTH) ? <u32>AAM_INLINE_DEPTH : 8;

// Enqueue handler kinds (task KIND, low byte; run by dispatch.ts once a task left its stack).
// @ts-ignore: decorator
@inline export const ENQ_YIELD: u32 = 1;
// @ts-ignore: decorator
@inline export const ENQ_WAIT_WORD: u32 = 2;
// @ts-ignore: decorator
@inline export const ENQ_WAIT_SIGNAL: u32 = 3;

const HOOKS = memory.data(20);
// @ts-ignore: decorator
@inline const H_ACTIVATE: usize = 0;
// @ts-ignore: decorator
@inline const H_CALL_DONE: usize = 4;
// @ts-ignore: decorator
@inline const H_RESULTS: usize = 8;
// @ts-ignore: decorator
@inline const H_HANDOFF: usize = 12;
// @ts-ignore: decorator
@inline const H_HANDED_RELEASE: usize = 16;

// Per-core state: module-level lets are wasm globals, i.e. private to this core.
let curSched: usize = 0;   // scheduler this core serves
let ring: usize = 0;       // this core's ring in curSched
let curMid: u32 = 0;       // id of curSched's machine (trace events)
let tick: u32 = 0;
let rng: u32 = 0;
let next: usize = 0;       // NEXT: a task of curSched for this core to run before its ring
let inlineDepth: u32 = 0;  // inline joins on this core's stack now (i2)
let inlinePending: usize = 0;   // claimed for an inline join, not started yet (i1–i2)
let inlineKept: usize = 0;      // finished in the nested call, its scheduler reference kept (i4)
let nextId: u32 = 1;

/** Install the hooks (boot, once, before any core serves a machine). */
export function schedHooks(activate: (m: usize) => void, callDone: (t: usize, result: u64) => void, results: (m: usize) => u32, handoff: (t: usize) => void, handedRelease: (t: usize) => bool): void {
  store<u32>(HOOKS + H_ACTIVATE, activate.index);
  store<u32>(HOOKS + H_CALL_DONE, callDone.index);
  store<u32>(HOOKS + H_RESULTS, results.index);
  store<u32>(HOOKS + H_HANDOFF, handoff.index);
  store<u32>(HOOKS + H_HANDED_RELEASE, handedRelease.index);
}

/** Call t was handed over in place and its caller drops its handle now (join, callSync): finish it
 *  (hook HANDED_RELEASE: machine/imc.ts imcHandedRelease). True: the handle is gone too. */
export function schedHandedRelease(t: usize): bool {
  return call_indirect<bool>(load<u32>(HOOKS + H_HANDED_RELEASE), t);
}

/** The caller's spin (sched/spin.ts, future.ts waitWord): while nothing else can run on this
 *  core, take in the machine's call results (hook RESULTS: machine/imc.ts imcResults) and watch
 *  `word` for up to CAP (twice the measured wake: what suspending would cost, since the caller's
 *  core then parks and the result must wake it); a machine call's word is claimed (future.ts
 *  h1) unless its issuer claimed it already, so that its server hands the result over in place.
 *  True if the word became DONE or HANDED (the result is there; a HANDED call is finished when
 *  its handle is released: future.ts h4); false: suspend as usual, after giving a claim back
 *  (h3). Not the idle window (2 × GAP): an idle core does not know that work will come, a
 *  caller does (its call is out), and spinning up to the price of the alternative is the
 *  2-competitive rule; with the idle window a server held up a few µs (the host's noise) made
 *  the caller suspend and park in 1–3 % of calls (measured: unbatched calls 0.7–0.8 M/s, with
 *  CAP 0.8–2.2 M/s in the same alternated runs). */
export function schedSpinFor(word: usize): bool {
  let s = curSched;
  let w = FIXED_SPINS ? 1.0 : spinCap();        // AAM_SPINS: SPINS rounds, no clock
  if (w <= 0 || !s || (!FIXED_SPINS && schedHasTask(s))) return !unclaim(word);
  let m = <usize>load<u32>(s + S_MACHINE), f = load<u32>(HOOKS + H_RESULTS);
  if (!m || !f) return !unclaim(word);
  claim(word);
  if (!FIXED_SPINS) spinBegin(true, w);         // no clock read once this loop's round cost is known
  for (let i = 1; !FIXED_SPINS || i <= SPINS; i++) {
    let v = load32(word);                  // one load a round: the server writes this line
    if (v == DONE || v == HANDED) { if (!FIXED_SPINS) spinOutcome(spinElapsed(i), true); return true; }   // no clock read on the way back
    // A claimed call's result comes in place (h2); the result queue then holds other calls'
    // results only (or this one's, had it completed before the claim): every 16th round from
    // the 16th is soon enough for them, and a call answered sooner polls no queue at all.
    if (v != SPINNING || (i & 15) == 0) {
      call_indirect<u32>(f, m);
      if ((i & 15) == 0 && schedHasTask(s)) break;
    }
    if (!FIXED_SPINS && i == spinNextCheck && spinCheck(i)) break;
  }
  return !unclaim(word);
}

// future.ts h1: the word of a call in a slot that nobody claimed becomes SPINNING. Not a call in
// a heap record: it holds a credit, and a handed-over result keeps it until the handle's release
// (h4), so a task that waits for such calls and holds their handles would block its next call.
// @ts-ignore: decorator
@inline function claim(word: usize): void {
  if ((load<u32>(word - T_FUTURE + T_KIND) & (FLAG_CALL | FLAG_SLOT)) == (FLAG_CALL | FLAG_SLOT) && load32(word) == 0) cas32(word, 0, SPINNING);
}

/** future.ts h4: the handle of a call handed over in place is released: finish the call (hook
 *  HANDOFF: machine/imc.ts imcHandoff). */
export function schedHandOff(t: usize): void {
  call_indirect<void>(load<u32>(HOOKS + H_HANDOFF), t);
}

// future.ts h3: give a claim back before suspending. False if the result is there (DONE, or
// HANDED: finished when its handle is released), true if the task must suspend.
function unclaim(word: usize): bool {
  let v = load32(word);
  if (v == SPINNING && (v = cas32(word, SPINNING, 0)) == SPINNING) return true;
  return v != DONE && v != HANDED;
}

/** A machine call finished with `result` on this core: back to its client (hook CALL_DONE). */
export function schedCallDone(t: usize, result: u64): void {
  call_indirect<void>(load<u32>(HOOKS + H_CALL_DONE), t, result);
}

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
/** Id of the machine whose scheduler this core serves (0 outside any). */
// @ts-ignore: decorator
@inline export function currentMachineId(): u32 { return curMid; }

/** Tie scheduler `s` to its machine (creation, before any core serves it). */
export function schedSetMachine(s: usize, m: usize, id: u32, arena: u32): void {
  store<u32>(s + S_MACHINE, <u32>m);
  store<u32>(s + S_MID, id);
  store<u32>(s + S_ARENA, arena);
}
/** The machine scheduler `s` belongs to (0 before machines exist). */
export function schedMachine(s: usize): usize { return s ? <usize>load<u32>(s + S_MACHINE) : 0; }
/** Its machine's id (0 before machines exist). */
export function schedMachineId(s: usize): u32 { return s ? load<u32>(s + S_MID) : 0; }

/** This core starts serving `s`: its ring, and allocation from the machine's arena. */
export function schedEnter(s: usize): void {
  curSched = s;
  curMid = load<u32>(s + S_MID);
  ring = <usize>load<u32>(slot(s, CORE_ID) + SL_RING);
  if (!rng) rng = 0x2545f491 ^ (<u32>CORE_ID * 0x9e3779b9) | 1;
  heapSetArena(load<u32>(s + S_ARENA));
}

/** This core leaves `s`: what it queued locally goes to s's inject list, where the cores that
 *  stay (or the next one granted) find it. */
export function schedLeave(s: usize): void {
  let moved = false;
  if (next) { injectPush(s + S_INJECT, next); next = 0; moved = true; }
  while (true) {
    let t = ringPop(ring);
    if (!t) break;
    injectPush(s + S_INJECT, t);
    moved = true;
  }
  if (moved) notify(s);
  curSched = 0;
  curMid = 0;
  ring = 0;
  heapSetArena(0);
}

/** Leave whatever scheduler this core entered outside the loop (spawns from percore()). */
export function schedDetach(): void { if (curSched) schedLeave(curSched); }

/** The next task for this core, or 0. */
export function schedFind(s: usize): usize {
  let t = next;
  if (t) { next = 0; return t; }
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

/** True if `s` has a task this core could take now (own ring, inject list, another ring). */
export function schedHasTask(s: usize): bool {
  if (next || ringLen(ring) || injectLen(s + S_INJECT)) return true;
  if (!load<u32>(s + S_STEAL)) return false;
  let n = <i32>load<u32>(s + S_CORES);
  for (let c = 0; c < n; c++) if (c != CORE_ID && ringLen(<usize>load<u32>(slot(s, c) + SL_RING))) return true;
  return false;
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
  if (m) schedActivate(m);                     // its machine may hold no core: get one
}

/** makeReady for a task this core takes from outside (a machine call: machine/imc.ts accept):
 *  into this core's NEXT slot when it is free and t is of the scheduler this core serves. */
export function makeReadyHere(t: usize): void {
  if (!next && ring && <usize>load<u32>(t + T_SCHED) == curSched) { next = t; return; }
  makeReady(t);
}

/** Inline join (steps i1–i4 at the top of this file): run task `t`, which the running task is
 *  about to wait for, on this stack now, if it has not started and this core can claim it.
 *  INLINE_NOT: it did not run; INLINE_RAN: it ran (failed, or blocked: the caller looks at its
 *  word again); INLINE_KEPT: it finished and the caller holds the scheduler's reference (i4). */
export function schedRunHere(t: usize): u32 {
  if (inlineDepth >= INLINE_DEPTH || !ring || <usize>load<u32>(t + T_SCHED) != curSched) return INLINE_NOT;
  if ((load<u32>(t + T_KIND) & FLAG_CALL) || load<u32>(t + T_CTX)) return INLINE_NOT;   // a call; a blocked task
  let j = currentTask();
  if (!j) return INLINE_NOT;
  if (!ringTakeIf(ring, t)) return INLINE_NOT;              // i1: claim it
  inlinePending = t;
  inlineDepth++;
  ownerAdd64(coreRec(CORE_ID) + FC_INLINE_JOINS, 1);
  platform.run_inline(<u32>t, <u32>j);                      // i2: the host's nested call
  inlineDepth--;
  if (inlineKept != t) return INLINE_RAN;
  inlineKept = 0;                                           // i4
  return INLINE_KEPT;
}
// @ts-ignore: decorator
@inline export const INLINE_NOT: u32 = 0;
// @ts-ignore: decorator
@inline export const INLINE_RAN: u32 = 1;
// @ts-ignore: decorator
@inline export const INLINE_KEPT: u32 = 2;

/** i4, in the nested call (dispatch.ts dispatch): `t` finished; its scheduler reference stays
 *  for the joiner. */
export function schedInlineKept(t: usize): void { inlineKept = t; }

/** i2, in the nested call (dispatch.ts dispatchInline): `t` started; a trap from here fails it. */
export function schedInlineStarted(): void { inlinePending = 0; }

/** i3: the core's stack is gone (the host re-entered the image after a trap that the nested call
 *  did not catch): the count restarts, and a claimed task that never started is queued again. */
export function schedInlineReset(): void {
  inlineDepth = 0;
  inlineKept = 0;
  let t = inlinePending;
  inlinePending = 0;
  if (t) makeReady(t);
}

/** Machine `m` got work and may hold no core (hook ACTIVATE). */
export function schedActivate(m: usize): void {
  let f = load<u32>(HOOKS + H_ACTIVATE);
  if (DEBUG) assert(f != 0, "sched: work for a machine before the hooks were installed");
  if (f) call_indirect<void>(f, m);
}

// Protocol step b.
// @ts-ignore: decorator
@inline function notify(s: usize): void {
  if (load32(s + S_SLEEPERS) != 0) wakeOne(s);
}

/** Step b for work published from outside the scheduler (signals, interface queues). */
export function schedNotify(s: usize): void { notify(s); }

function wakeOne(s: usize): void {
  let n = <i32>load<u32>(s + S_CORES);
  for (let i = 1; i <= n; i++) {
    let c = (CORE_ID + i) % n;
    if (cas32(slot(s, c) + SL_STATE, SLEEPING, WOKEN) == SLEEPING) {
      sub32(s + S_SLEEPERS, 1);
      wakeCore(c);
      return;
    }
  }
}

/** Step a: this core is about to sleep in `s` (the caller then re-checks for work). */
export function schedSleep(s: usize): void {
  store32(slot(s, CORE_ID) + SL_STATE, SLEEPING);
  add32(s + S_SLEEPERS, 1);
}

/** Step c: this core is awake again. */
export function schedAwake(s: usize): void {
  let st = slot(s, CORE_ID) + SL_STATE;
  if (cas32(st, SLEEPING, RUNNING) == SLEEPING) sub32(s + S_SLEEPERS, 1);
  else store32(st, RUNNING);
}

/** Tasks queued in scheduler `s` (its rings and inject list), a snapshot for the policy. A core's
 *  NEXT task is not counted: it is a wasm global, and the core runs it at once. */
export function schedReady(s: usize): u32 {
  let n = <i32>load<u32>(s + S_CORES);
  let k = injectLen(s + S_INJECT);
  for (let c = 0; c < n; c++) k += ringLen(<usize>load<u32>(slot(s, c) + SL_RING));
  return k;
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
  if (!curSched) schedEnter(s);      // percore(): the core's ring is there before its loop runs
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
  let t = currentTask();
  if (!t) fail("self: not inside a task");
  return changetype<Task>(t);
}
