// dispatch.ts: running one task on this core: the bottom of every task's stack.
//
// Owns: the dispatch (steps 2–4 below), the enqueue handlers a blocked task asks for, and the
// failure of the running task after a trap. Not: finding the task (sched.ts), the core's loop
// (machine/core.ts), what a finished machine call does (machine/imc.ts, through the hook).
//
//  1. the core's loop found task t (sched.ts schedFind);
//  2. dispatch: FC_CURRENT = t; resume t's context if it has one (Asyncify rewind), else call
//     its handler, on the core's own wasm stack;
//  3. if t blocked (Asyncify unwinding reached here), run its enqueue handler now that it has
//     left the stack: publish it to a ready queue (yield) or register it with what it waits on
//     (future, signal), which may find the wait already over and make it ready at once: the
//     generic cure for lost wake-ups;
//  4. if t finished, complete its future (waking waiters and continuations) and drop the
//     scheduler's reference; a machine call goes back to its client instead (hook CALL_DONE).
// Not instrumented by Asyncify (tools/build/asyncify.ts stops at `dispatch`): it is where a
// blocked task's unwind ends.

import { CORE_ID } from "~lib/rt/platform";
import { coreRec, DEBUG } from "~lib/rt/layout";
import { FC_TASKS_RUN, FC_CURRENT, FC_MACH_PENDING, FC_REASON_SIZE, FW_TRAPPED, TRAP_STACK, OBJ_HEADER, OBJ_RT_ID, OBJ_RT_SIZE, M_NAME } from "~lib/rt/abi";
import { add32, ownerAdd64 } from "~lib/rt/atomic";
import { heapTryAlloc, heapFree } from "~lib/rt/heap";
import { fail, trapText, failureText, failureBytes, failureOwned, failureFile, failureLine, failureCol, failureClear } from "~lib/rt/trap";
import { T_FN, T_CTX, T_KIND, T_ENQ, T_SCHED, T_ARG0, FLAG_FAILED, FLAG_CALL, FLAG_ROOT, FLAG_MESSAGE, FLAG_SPARE, FLAG_TRAPPED, taskRelease, currentTask, setCurrentTask, sparesInit, spareTake } from "../task/task";
import { heapStart } from "~lib/rt/pages";
import { asyncify, ctxDrop, UNWINDING } from "../task/context";
import { futureComplete, registerWaiter } from "./future";
import { signalRegister } from "./signal";
import { makeReady, currentMachineId, schedMachine, schedMachineId, schedCallDone, schedInlineStarted, schedInlineKept, ENQ_YIELD, ENQ_WAIT_WORD, ENQ_WAIT_SIGNAL } from "./sched";
import { TRACE, trace, traceOpen, traceClose } from "../sys/trace";
import { report, reportDec, reportEnd } from "../sys/console";
import { EV_TASK_BEGIN, EV_TASK_RESUME, EV_TASK_END, EV_TASK_BLOCK, EV_TRAP } from "../sys/trace_events";

/** Steps 2–4 for task `t` of scheduler `s` (the core serves `s`). `inline`: an inline join's
 *  nested call (dispatchInline): a task that finishes keeps the scheduler's reference, which goes
 *  to its joiner (sched.ts i4). */
export function dispatch(s: usize, t: usize, inline: bool = false): void {
  let rec = coreRec(CORE_ID);
  setCurrentTask(t);
  store<u32>(rec + FC_CURRENT, <u32>t);
  ownerAdd64(rec + FC_TASKS_RUN, 1);
  ownerAdd64(rec + FC_MACH_PENDING, 1);
  let ctx = <usize>load<u32>(t + T_CTX);
  if (TRACE) traceOpen(ctx ? EV_TASK_RESUME : EV_TASK_BEGIN, currentMachineId(), load<u32>(t + T_FN), <u32>t);
  if (ctx) asyncify.start_rewind(ctx);
  let result = call_indirect<u64>(load<u32>(t + T_FN), t);
  setCurrentTask(0);
  store<u32>(rec + FC_CURRENT, 0);
  if (asyncify.state() == UNWINDING) {
    asyncify.stop_unwind();
    if (TRACE) traceClose(EV_TASK_BLOCK);
    enqueueHandler(t);                    // step 3
    return;
  }
  if (TRACE) traceClose(EV_TASK_END);
  let kind = load<u32>(t + T_KIND);
  if (kind & FLAG_FAILED) result = 0;    // failQuietly: a failed task's value is 0
  if (kind & FLAG_CALL) { schedCallDone(t, result); return; }   // back to the client
  futureComplete(t, result);              // step 4
  if (inline) schedInlineKept(t);         // i4: the joiner drops it
  else taskRelease(t);
}

/** The export aam_inline (sched.ts inline join, step i2), on the stack of joiner `j`, which
 *  claimed task `t`: op INLINE_RUN runs t as a dispatch does; op INLINE_FAILED, after a trap in t
 *  that the host caught and reported (aam_resume), completes t as failed (failFinish). Either way
 *  the core is back in `j`. Trace: j's slice closes as blocked and reopens as resumed, so that
 *  slices do not nest. */
export function dispatchInline(op: u32, t: usize, j: usize): void {
  let rec = coreRec(CORE_ID);
  if (op == INLINE_RUN) {
    if (DEBUG) assert(currentTask() == j, "dispatch: inline join from a task that is not running");
    if (TRACE) traceClose(EV_TASK_BLOCK);
    schedInlineStarted();
    dispatch(0, t, true);
  } else {
    if (DEBUG) assert(failed == t, "dispatch: inline failure of a task that did not fail here");
    failFinish();
  }
  setCurrentTask(j);
  store<u32>(rec + FC_CURRENT, <u32>j);
  if (TRACE) traceOpen(EV_TASK_RESUME, currentMachineId(), load<u32>(j + T_FN), <u32>j);
}
// @ts-ignore: decorator
@inline export const INLINE_RUN: u32 = 0;
// @ts-ignore: decorator
@inline export const INLINE_FAILED: u32 = 1;

function enqueueHandler(t: usize): void {
  let kind = load<u32>(t + T_KIND) & 0xff;
  let obj = <usize>load<u32>(t + T_ENQ);
  if (kind == ENQ_YIELD) makeReady(t);
  else if (kind == ENQ_WAIT_WORD) registerWaiter(obj, t);
  else if (kind == ENQ_WAIT_SIGNAL) signalRegister(obj, t);
  else fail("sched: task 0x" + (<u32>t).toString(16) + " blocked with unknown kind " + kind.toString());
}

/** After a trap in the running task (the host caught it, wrote what it was, `kind` from
 *  runtime/abi.json enum trap, and re-entered the image through aam_resume, which ended any
 *  half-done unwind or rewind: tools/build/asyncify.ts resetOnEntry): drop the task's context,
 *  report the failure on stderr (core, task function, machine, reason), mark the task failed
 *  with its error. Allocates at most the error's string, and not even that when memory is
 *  exhausted (a spare block): a task that ran out of memory fails alone. failFinish completes it.
 *  Returns the task's KIND flags (0 if no task was running). */
export function failCurrent(kind: u32): u32 {
  let t = currentTask();
  setCurrentTask(0);                      // first: a trap from here on is not this task's
  store<u32>(coreRec(CORE_ID) + FC_CURRENT, 0);
  if (!t) { failureClear(); return 0; }
  let fn = load<u32>(t + T_FN);
  if (TRACE) {
    let m = schedMachineId(<usize>load<u32>(t + T_SCHED));
    trace(EV_TRAP, m, fn, <u32>t);
    trace(EV_TASK_END, m, fn, <u32>t, 1);
  }
  ctxDrop(t);
  let msg = errorOf(t, kind);
  let flags = load<u32>(t + T_KIND);
  reportFailure(t, flags & FLAG_ROOT ? <u32>load<u64>(t + T_ARG0) : fn, msg, flags);
  failureClear();
  if (flags & FLAG_MESSAGE) dropMessage(t, flags);   // it called failQuietly, then trapped
  flags |= FLAG_FAILED | FLAG_MESSAGE | FLAG_TRAPPED;
  store<u32>(t + T_ENQ, <u32>msg);
  store<u32>(t + T_KIND, flags);
  add32(FW_TRAPPED, 1);
  failed = t;
  return flags;
}

// The task failCurrent failed on this core, until failFinish completes it (per core).
let failed: usize = 0;

/** The running task fails with `msg` when it returns, without a trap and without a report: for a
 *  failure that is an answer (a machine call asking for a file that does not exist), not a
 *  fault. Its future is failed, `error` = msg, value 0. `msg` is a literal or a string built for
 *  this failure that nothing else refers to (text(…).done()): the task frees it. Call it last,
 *  as `return failQuietly(msg)`: a task that blocks afterwards fails (task/context.ts suspend). */
export function failQuietly(msg: string): u64 {
  let t = currentTask();
  if (!t) fail("failQuietly: not inside a task (a failure without a trap is a task's)");
  let flags = load<u32>(t + T_KIND);
  if (flags & FLAG_MESSAGE) fail("failQuietly: the task failed already (called twice?)");
  store<u32>(t + T_ENQ, changetype<u32>(msg));
  store<u32>(t + T_KIND, flags | FLAG_FAILED | FLAG_MESSAGE);
  return 0;
}

// Free the message a task holds (task/task.ts taskRelease does the same at its end).
function dropMessage(t: usize, flags: u32): void {
  let msg = <usize>load<u32>(t + T_ENQ);
  if (!(flags & FLAG_SPARE) && msg >= heapStart()) heapFree(msg - OBJ_HEADER);
  store<u32>(t + T_KIND, flags & ~(FLAG_MESSAGE | FLAG_FAILED));
}

/** The second half of a failure, once the host printed what follows the report (its flight
 *  recorder): complete the failed task's future with 0 so that its waiters go on (a machine call
 *  goes back to its client) and release the scheduler's reference. */
export function failFinish(): void {
  let t = failed;
  if (!t) return;
  failed = 0;
  if (load<u32>(t + T_KIND) & FLAG_CALL) { schedCallDone(t, 0); return; }
  futureComplete(t, 0);
  taskRelease(t);
}

// The error of failed task `t` (an asc string): what the image knows of the failure (a fail()
// message, out of memory, a context overflow), else the text of the host's trap kind. A copy of
// the failure's text, since the task's own strings may be referenced elsewhere; when memory is
// exhausted, in a spare block (task.ts spareTake; cut to FC_REASON_SIZE bytes); when every spare
// is in use, a static text.
function errorOf(t: usize, kind: u32): usize {
  let p = failureText();
  if (kind == TRAP_STACK || !p) return changetype<usize>(trapText(kind));
  if (failureOwned()) return p;
  let bytes = failureBytes();
  let b = heapTryAlloc(OBJ_HEADER + bytes);
  if (!b && (b = spareTake())) { bytes = min(bytes, FC_REASON_SIZE); store<u32>(t + T_KIND, load<u32>(t + T_KIND) | FLAG_SPARE); }
  if (!b) return changetype<usize>(OUT_OF_MEMORY);
  memory.fill(b, 0, OBJ_HEADER);
  store<u32>(b + OBJ_RT_ID, idof<string>());
  store<u32>(b + OBJ_RT_SIZE, <u32>bytes);
  memory.copy(b + OBJ_HEADER, p, bytes);
  return b + OBJ_HEADER;
}
const OUT_OF_MEMORY = "out of memory";

/** Boot, once: the spare blocks for errors (task.ts), each big enough for any failure's reason. */
export function failureSpares(): void { sparesInit(OBJ_HEADER + FC_REASON_SIZE); }

// "aam: task trapped on core C in fn#F (machine M): REASON[ (file:line:col)] (…)": the host names
// fn#F (the manifest's function names). Nothing allocated (console.ts report).
function reportFailure(t: usize, fn: u32, msg: usize, flags: u32): void {
  let m = schedMachine(<usize>load<u32>(t + T_SCHED));
  report("aam: task trapped on core "); reportDec(<u64>CORE_ID);
  report(" in fn#"); reportDec(<u64>fn);
  report(" (machine "); report(m ? changetype<string>(load<u32>(m + M_NAME)) : "?"); report("): ");
  report(changetype<string>(msg));
  let file = failureFile();
  if (file) {
    report(" ("); report(changetype<string>(file)); report(":"); reportDec(<u64>failureLine());
    report(":"); reportDec(<u64>failureCol()); report(")");
  }
  report(flags & FLAG_ROOT ? " (main failed: the system ends with status 70)" : " (the task fails; its waiters see future.failed)");
  reportEnd();
}
