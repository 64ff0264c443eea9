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
