// layout.ts: addressing helpers over the shared-memory map, and the compile-time debug switch.
//
// Owns: coreRec (where a core's record is), PAGE_SIZE (wasm's page, which is also a heap span) and
// DEBUG. Not: any address or offset that a host shares: those are the image↔host contract,
// generated from runtime/abi.json into ~lib/rt/abi (runtime/rt/abi.ts), which draws the memory
// map and every record with who writes and reads each word; nor the heap's contents (heap.ts,
// pages.ts).
//
// This file is compiled as a library file (~lib/rt/layout): see rt/index.ts for why.

import { CORE_BASE, CORE_REC_SIZE } from "./abi";

// The contract's names that runtime/ and kernel/ still import from here; new code imports them
// from ~lib/rt/abi.
export {
  MAX_CORES, CORE_STATE,
  SCB_BOOT_UP, SCB_BOOT_PERCORE, SCB_SCHED_STATE,
  FW_CTX_LIVE, FW_CTX_PEAK, FW_BLOCKED_LIVE, FW_BLOCKED_PEAK, FW_DEFAULT_SCHED, FW_TASKS_LIVE,
  FW_TRAPPED, FW_MANAGER, FW_SIGNALS_LIVE, FW_HOST_MAILBOX, FW_HOST_BELL, FW_HOST_SEEN,
  FW_TRACE_FLOW,
  FC_TASKS_RUN, FC_TASKS_STOLEN, FC_CTX_ALLOCS, FC_CTX_FREES, FC_PARKS, FC_SPAWNS, FC_SUSPENDS,
  FC_CURRENT, FC_MACHINE, FC_SWITCHES, FC_MACH_PENDING, FC_TRACE_RING,
} from "./abi";

// @ts-ignore: decorator
@inline export const PAGE_SIZE: u32 = 0x10000;        // wasm page = heap span = 64 KiB

/** Address of core `core`'s record. */
// @ts-ignore: decorator
@inline export function coreRec(core: i32): usize {
  return CORE_BASE + <usize>core * CORE_REC_SIZE;
}

// Compile-time switches, set by the build with --use: AAM_DEBUG (invariant checks).
// @ts-ignore: decorator
@inline export const DEBUG: bool = isDefined(AAM_DEBUG);
