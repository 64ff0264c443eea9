// boot.ts: what every core does from `aam_entry` until the system runs user code.
//
// Owns: the boot order (heap set-up once, per-core init, the two boot barriers) and the hand-off
// to the program: `percore()` on every core, then `main()` on core 0, whose result is the exit
// status. Not: static data (copied before this runs, by the generated __aam_init_data), the
// host side of start-up (tools/host/, boot/), scheduling (machine/core.ts: every core's loop
// after boot).
//
// Boot protocol, per core:
//  1. Core 0 stores SCB SCHED_STATE 1, creates the manager, the machines (the program's machines()
//     runs there) and the default scheduler, and stores 2; the others wait for 2. (The heap was set up before module-level code ran, by the generated
//     aam_entry calling __aam_heap_setup; memory is zero at start, so per-core records are empty.)
//  2. Mark this core running (record STATE = 2) and count it in SCB BOOT_UP.
//  3. Wait until BOOT_UP == core count: no core runs user code before every core can take frees
//     and wake-ups.
//  4. Run the program's percore() (if it has one), count it in SCB BOOT_PERCORE, wait for all.
//  5. Core 0 spawns main() as a task (it may block like any task); when it returns, the system
//     exits with its result. Every core, core 0 included, then runs the scheduler loop.
// A waiting core spins briefly, then parks without a timeout: the core that completes a barrier,
// and core 0 when it stores SCHED_STATE 2, wakes every other core, and a wake posted before the
// park is not lost (platform park/wake token). (Parking with a 100 µs timeout instead cost a wake
// per 100 µs of core 0's set-up on every waiting core: under load the boot alone made ~50 hlt a
// core, tests/boot/system.test.mjs "an idle system does not spin".)

import { CORE_ID, CORE_COUNT, platform } from "~lib/rt/platform";
import { coreRec } from "~lib/rt/layout";
import { SCB_SCHED_STATE, SCB_BOOT_UP, SCB_BOOT_PERCORE, CORE_STATE, MAX_CORES, EXIT_TRAP, FC_TRAP, TRAP_NONE } from "~lib/rt/abi";
import { store32, load32, add32 } from "~lib/rt/atomic";
import { fail } from "~lib/rt/trap";
import { FW_DEFAULT_SCHED, FW_MANAGER } from "~lib/rt/abi";
import { flushConsole } from "./sys/console";
import { exitWith } from "./sys/sys";
import { TRACE, traceCoreInit, traceFlush } from "./sys/trace";
import { Task, FLAG_ROOT } from "./task/task";
import { spawnTask, schedDetach, schedHooks, schedInlineReset } from "./sched/sched";
import { failCurrent, failFinish, failureSpares, dispatchInline } from "./sched/dispatch";
import { M_SCHED } from "~lib/rt/abi";
import { machineNew } from "./machine/machine";
import { callComplete, imcResults, imcHandoff, imcHandedRelease } from "./machine/imc";
import { managerNew, managerStart, managerActivate } from "./machine/manager";
import { coreLoop } from "./machine/core";
export { traceFlush };

/** Work stealing in the default scheduler: on unless built with `--define AAM_STEAL=0`. */
// @ts-ignore: decorator
@inline const DEFAULT_STEAL: bool = isDefined(AAM_STEAL) ? AAM_STEAL != 0 : true;

/** The system's boot sequence on this core; called by the generated `aam_entry`. */
export function boot(percore: () => void, main: () => i32, machines: () => void): i32 {
  if (CORE_COUNT < 1 || CORE_COUNT > MAX_CORES) fail("boot: core count " + CORE_COUNT.toString() + " outside 1.." + MAX_CORES.toString());
  if (TRACE) traceCoreInit();                            // this core's trace ring, before the first event
  setUpOnce(machines);                                   // step 1
  store32(coreRec(CORE_ID) + CORE_STATE, 2);             // step 2
  arrive(SCB_BOOT_UP);                                   // step 3
  percore();                                             // step 4
  arrive(SCB_BOOT_PERCORE);
  if (CORE_ID == 0) {                                                         // step 5
    spawnTask(mainTask.index, <u64>main.index, 0, 0, true, FLAG_ROOT);
  }
  schedDetach();                  // percore() may have queued on "main": hand it over if not ours
  coreLoop();
  return 0;
}

/** Re-entry after a trap in a task (the generated export `aam_resume`), in two calls:
 *  1. the host wrote what it caught into the core's FC_TRAP word (runtime/abi.json enum trap):
 *     the task fails with its error and the failure is reported on stderr; aam_resume returns 1
 *     (the host prints its flight recorder, if any: nothing the failure causes has happened yet);
 *  2. FC_TRAP is TRAP_NONE: the failed task's future completes, its waiters go on, and the core
 *     serves its scheduler again (returns when the core stops).
 *  A failure of the root task ends the system with status EXIT_TRAP (70) in step 1, as any trap
 *  outside a task does. */
export function recover(): i32 {
  let rec = coreRec(CORE_ID);
  let kind = load<u32>(rec + FC_TRAP);
  if (kind == TRAP_NONE) { failFinish(); schedInlineReset(); coreLoop(); return 0; }
  store<u32>(rec + FC_TRAP, TRAP_NONE);
  if (failCurrent(kind) & FLAG_ROOT) { flushConsole(); if (TRACE) traceFlush(); platform.exit(EXIT_TRAP); }
  return 1;
}

/** The export aam_inline(op, t, j): the host's nested call of an inline join (sched/sched.ts
 *  i2; sched/dispatch.ts dispatchInline says what op is). */
export function runInline(op: u32, t: u32, j: u32): void { dispatchInline(op, <usize>t, <usize>j); }

// The root task: the program's main (ARG0 = its table index); its result ends the system.
function mainTask(t: Task): u64 {
  let code = call_indirect<i32>(<u32>t.arg0);
  flushConsole();
  exitWith(code, "main returned ", "");        // also this core's last trace events
  return 0;
}

// The heap is up already (rt/index.ts __aam_heap_setup runs before module-level code); core 0
// creates the Machine Manager, the built-in machine "main" (whose scheduler is
// the default one), the program's machines, and the initial core assignment.
function setUpOnce(machines: () => void): void {
  if (CORE_ID == 0) {                                   // the docs promise machines() on core 0
    store32(SCB_SCHED_STATE, 1);
    store32(FW_MANAGER, <u32>managerNew());
    schedHooks(managerActivate, callComplete, imcResults, imcHandoff, imcHandedRelease);   // what the scheduler needs from machines
    failureSpares();                                     // errors of tasks that fail when memory is out
    let main = machineNew("main", 1, 0, false, DEFAULT_STEAL);
    store32(FW_DEFAULT_SCHED, load<u32>(changetype<usize>(main) + M_SCHED));
    machines();
    managerStart();
    store32(SCB_SCHED_STATE, 2);
    for (let c = 0; c < CORE_COUNT; c++) if (c != CORE_ID) platform.wake(c);
    return;
  }
  waitFor(SCB_SCHED_STATE, 2);
}

// Count this core at a barrier word and wait for all; the last one in wakes the others.
function arrive(word: usize): void {
  if (add32(word, 1) + 1 == <u32>CORE_COUNT) {
    for (let c = 0; c < CORE_COUNT; c++) if (c != CORE_ID) platform.wake(c);
    return;
  }
  waitFor(word, <u32>CORE_COUNT);
}

function waitFor(word: usize, value: u32): void {
  let spins = 0;
  while (load32(word) != value) {
    if (++spins > 1000) platform.park(-1);     // woken by whoever completes the wait
  }
}
