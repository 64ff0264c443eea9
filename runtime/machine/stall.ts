// stall.ts: the stall detector. At each manager tick it notices a task that has been running on
// one core for longer than a threshold and reports the machine, the task and the core once.
//
// Owns: the per-core watch records and the report. Not: the tick itself (manager.ts calls
// stallCheck under the manager lock) or stopping the task (a core is never taken from a running
// task; the report is for the human).
//
// Threshold: the image's environment variable AAM_STALL_MS if set, else `--define AAM_STALL_MS=N`
// at build time, else 2000 ms; 0 turns the detector off (the benchmarks build with 0).
//
// How a stall is seen without costing the dispatch path anything: a core's record already holds
// the running task (FC_CURRENT) and a dispatch count (FC_TASKS_RUN, +1 per run or resume). The
// tick compares both with what it saw at the previous tick; unchanged means one and the same run
// of one task, which started no later than when the pair was first seen. Resolution is one tick.
// A core inside a host call that may block (stdin, stdout: FC_HOST_WAIT odd), or that made one
// since the last tick (FC_HOST_WAIT moved), is not stalled: a slow pipe is not a stuck task.
// Limits: only a core between tasks ticks, so with every core inside a long task nobody reports;
// while any core is busy, idle cores wake at least every threshold/4 (manager.ts parkTimeout).
// Rate limit: one report per run of a task, and one report per second system-wide (a later one is
// delayed, not dropped). The report names the task's function as fn#N: the host replaces it with
// the function's name from the image manifest (the image carries no symbol names). Each report
// counts in FW_STALLS.
//
// ╒════════ watch record (per core, 24 bytes; written under the manager lock) ════════╕
//  +0 TASK    FC_CURRENT seen     +4 RUNS  low word of FC_TASKS_RUN seen
//  +8 SINCE   f64 when this pair was first seen (ns)   +16 REPORTED  1 once reported
//  +20 FN     the task's function index, read when the stall was found (for the report)
//  +24 WAITS  FC_HOST_WAIT seen
// The report names the machine by the core's FC_MACHINE id, never by following pointers out of
// the task record: the task may finish and its record be reused meanwhile, and then only its fn
// number would be wrong, never an address. It is printed after the manager lock is released.

import { CORE_COUNT, platform } from "~lib/rt/platform";
import { coreRec } from "~lib/rt/layout";
import { FC_CURRENT, FC_TASKS_RUN, FC_MACHINE, FC_HOST_WAIT, MAX_CORES, FW_STALLS } from "~lib/rt/abi";
import { load32, add32, load64 } from "~lib/rt/atomic";
import { heapAlloc } from "~lib/rt/heap";
import { envInt } from "../sys/sys";
import { report, reportDec, reportHex, reportEnd } from "../sys/console";
import { T_FN } from "../task/task";
import { M_NAME } from "~lib/rt/abi";
import { machineAt } from "./record";
import { TRACE, trace } from "../sys/trace";
import { EV_STALL } from "../sys/trace_events";

/** Default threshold: `--define AAM_STALL_MS=N` (0: off). */
// @ts-ignore: decorator
@inline const DEFAULT_MS: i32 = isDefined(AAM_STALL_MS) ? <i32>AAM_STALL_MS : 2000;
// @ts-ignore: decorator
@inline const W_TASK: usize = 0;
// @ts-ignore: decorator
@inline const W_RUNS: usize = 4;
// @ts-ignore: decorator
@inline const W_SINCE: usize = 8;
// @ts-ignore: decorator
@inline const W_REPORTED: usize = 16;
// @ts-ignore: decorator
@inline const W_FN: usize = 20;
// @ts-ignore: decorator
@inline const W_WAITS: usize = 24;
// @ts-ignore: decorator
@inline const W_SIZE: usize = 32;
// @ts-ignore: decorator
@inline const RATE_NS: f64 = 1e9;
// @ts-ignore: decorator
@inline const S_THRESHOLD: usize = 0;        // f64 ns (0: off)
// @ts-ignore: decorator
@inline const S_LAST_REPORT: usize = 8;      // f64 ns
// @ts-ignore: decorator
@inline const S_WATCH: usize = 16;

/** Boot, once: the detector's state (threshold from the environment). Returns its address. */
export function stallNew(): usize {
  let ms = envInt("AAM_STALL_MS", DEFAULT_MS);
  let st = heapAlloc(S_WATCH + <usize>MAX_CORES * W_SIZE);
  memory.fill(st, 0, S_WATCH + <usize>MAX_CORES * W_SIZE);
  store<f64>(st + S_THRESHOLD, ms > 0 ? <f64>ms * 1e6 : 0);
  return st;
}

/** The threshold in ns, 0 when off. */
export function stallThreshold(st: usize): f64 { return st ? load<f64>(st + S_THRESHOLD) : 0; }

/** When the last report was made (ns, the clock the rate limit reads), 0 before the first. For
 *  tests, which wait for a report rather than for a time (tests/trace/programs/stall.ts). */
export function stallLastReport(st: usize): f64 { return st ? reinterpret<f64>(load64(st + S_LAST_REPORT)) : 0; }

/** At a tick, under the manager lock. Returns the core whose task is to be reported (at most one
 *  a tick: the rate limit is one a second), or −1; stallReport prints it after the lock. */
export function stallCheck(st: usize, now: f64): i32 {
  let limit = load<f64>(st + S_THRESHOLD);
  if (limit <= 0) return -1;
  for (let c = 0; c < CORE_COUNT; c++) {
    let w = st + S_WATCH + <usize>c * W_SIZE;
    let task = load32(coreRec(c) + FC_CURRENT);
    let runs = load32(coreRec(c) + FC_TASKS_RUN);           // low word of the u64 counter
    // input and output are progress, and waiting for them is no stall: the watch starts again
    let waits = load32(coreRec(c) + FC_HOST_WAIT);
    if (task == 0 || task != load<u32>(w + W_TASK) || runs != load<u32>(w + W_RUNS) || waits != load<u32>(w + W_WAITS) || (waits & 1)) {
      store<u32>(w + W_TASK, task);
      store<u32>(w + W_RUNS, runs);
      store<u32>(w + W_WAITS, waits);
      store<f64>(w + W_SINCE, now);
      store<u32>(w + W_REPORTED, 0);
      continue;
    }
    if (now - load<f64>(w + W_SINCE) < limit || load<u32>(w + W_REPORTED)) continue;
    if (now - load<f64>(st + S_LAST_REPORT) < RATE_NS) continue;   // delayed to a later tick
    store<u32>(w + W_REPORTED, 1);
    store<u32>(w + W_FN, load<u32>(<usize>task + T_FN));
    store<f64>(st + S_LAST_REPORT, now);
    return c;
  }
  return -1;
}

/** Print the report of core `core` found by stallCheck (no lock held). */
export function stallReport(st: usize, core: i32, now: f64): void {
  let w = st + S_WATCH + <usize>core * W_SIZE;
  let task = load<u32>(w + W_TASK), fn = load<u32>(w + W_FN);
  let id = load32(coreRec(core) + FC_MACHINE);
  let name = id ? changetype<string>(load<u32>(machineAt(id) + M_NAME)) : "?";
  let ms = <u32>((now - load<f64>(w + W_SINCE)) / 1e6);
  if (TRACE) trace(EV_STALL, id, fn, task, <f64>ms);
  // Allocates nothing (console.ts report): reports repeat while tasks are stuck.
  report("aam: stall: task 0x"); reportHex(<u64>task); report(" (fn#"); reportDec(<u64>fn);
  report(") of machine "); report(name); report(" has run on core "); reportDec(<u64>core);
  report(" for "); reportDec(<u64>ms); report(" ms"); reportEnd();
  add32(FW_STALLS, 1);
}
