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
import { coreRec } from "~lib/rt/layout";
import { FC_TASKS_RUN, FC_CURRENT, FC_MACH_PENDING, FW_TRAPPED } from "~lib/rt/abi";
import { add32, ownerAdd64 } from "~lib/rt/atomic";
import { fail } from "~lib/rt/trap";
import { T_FN, T_CTX, T_KIND, T_ENQ, T_SCHED, FLAG_FAILED, FLAG_CALL, taskRelease, currentTask, setCurrentTask } from "../task/task";
import { asyncify, ctxDrop, UNWINDING, REWINDING } from "../task/context";
import { futureComplete, registerWaiter } from "./future";
import { signalRegister } from "./signal";
import { makeReady, currentMachineId, schedMachineId, schedCallDone, ENQ_YIELD, ENQ_WAIT_WORD, ENQ_WAIT_SIGNAL } from "./sched";
import { TRACE, trace, traceOpen, traceClose } from "../sys/trace";
import { EV_TASK_BEGIN, EV_TASK_RESUME, EV_TASK_END, EV_TASK_BLOCK, EV_TRAP } from "../sys/trace_events";

/** Steps 2–4 for task `t` of scheduler `s` (the core serves `s`). */
export function dispatch(s: usize, t: usize): void {
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
  if (load<u32>(t + T_KIND) & FLAG_CALL) { schedCallDone(t, result); return; }   // back to the client
  futureComplete(t, result);              // step 4
  taskRelease(t);
}

function enqueueHandler(t: usize): void {
  let kind = load<u32>(t + T_KIND) & 0xff;
  let obj = <usize>load<u32>(t + T_ENQ);
  if (kind == ENQ_YIELD) makeReady(t);
  else if (kind == ENQ_WAIT_WORD) registerWaiter(obj, t);
  else if (kind == ENQ_WAIT_SIGNAL) signalRegister(obj, t);
  else fail("sched: task 0x" + (<u32>t).toString(16) + " blocked with unknown kind " + kind.toString());
}

/** After a trap in the running task (the host caught it and re-entered the image through
 *  aam_resume): end any half-done unwind or rewind, drop the task's context, mark it failed and
 *  complete its future with 0 so that waiters go on, release the scheduler's reference.
 *  Returns the task's KIND flags (0 if no task was running). */
export function failCurrent(): u32 {
  let st = asyncify.state();
  if (st == UNWINDING) asyncify.stop_unwind();
  else if (st == REWINDING) asyncify.stop_rewind();
  let t = currentTask();
  setCurrentTask(0);
  store<u32>(coreRec(CORE_ID) + FC_CURRENT, 0);
  if (!t) return 0;
  if (TRACE) {
    let m = schedMachineId(<usize>load<u32>(t + T_SCHED));
    trace(EV_TRAP, m, load<u32>(t + T_FN), <u32>t);
    trace(EV_TASK_END, m, load<u32>(t + T_FN), <u32>t, 1);
  }
  ctxDrop(t);
  let flags = load<u32>(t + T_KIND) | FLAG_FAILED;
  store<u32>(t + T_KIND, flags);
  add32(FW_TRAPPED, 1);
  if (flags & FLAG_CALL) { schedCallDone(t, 0); return flags; }
  futureComplete(t, 0);
  taskRelease(t);
  return flags;
}
