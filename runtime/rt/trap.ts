// trap.ts: how the image stops a core on an error it detected itself, and what a failure was.
//
// Owns: the abort handler asc wires in for `abort()`/`assert()`/thrown errors (--use abort=…),
// `fail(msg)` for runtime errors, failures built without allocating (`failOutOfMemory`, and
// `reason*` + `failReason` for the context overflow), and the failure's reason, which a failed
// task's error is made of (sched/dispatch.ts failCurrent). Every failure reports through
// platform.fatal, then traps with `unreachable`, so that the host sees one report with core,
// function (from the trap's stack) and message, exactly as for a trap the engine raised itself.
// Not: recovery (the host re-enters the image through aam_resume, docs/ARCHITECTURE.md §10).
//
// The reason, per core (module-level lets are per core): the message of the last fail() or
// abort on this core, kept until the trap is recovered from (failureClear). A trap the engine
// raised has none: its text comes from the host's trap kind (trapText).
//
// Compiled as a library file (~lib/rt/trap): see rt/index.ts.

import { platform, CORE_ID } from "./platform";
import { coreRec } from "./layout";
import { FC_REASON, FC_REASON_SIZE, TRAP_OOB, TRAP_DIV_ZERO, TRAP_INT_OVERFLOW, TRAP_CONVERSION, TRAP_INDIRECT, TRAP_UNALIGNED, TRAP_STACK, TRAP_UNREACHABLE } from "./abi";
import { putDec } from "./text";

let reasonPtr: usize = 0;       // UTF-16 text of this core's last failure, 0 if none
let reasonBytes: usize = 0;
let reasonFile: usize = 0;      // an abort's file (a string), line and column
let reasonLine: u32 = 0;
let reasonCol: u32 = 0;
let reasonOwned = false;       // the text is a string the failed task's error takes over (failOwned)
let built: usize = 0;           // bytes in this core's REASON buffer (reason* below)

/** Report `msg` as the reason this core stops, then trap. */
export function fail(msg: string): void {
  report(changetype<usize>(msg), <usize>msg.length << 1, 0, 0, 0);
  unreachable();
}

/** fail(), with a message the failure takes over: a string in the heap that nothing else refers
 *  to (built for this failure, e.g. with rt/text.ts Text). A failed task's error is this string
 *  itself rather than a copy, so the failure leaves nothing behind. */
export function failOwned(msg: string): void {
  report(changetype<usize>(msg), <usize>msg.length << 1, 0, 0, 0);
  reasonOwned = true;
  unreachable();
}

/** asc's abort hook: assertion failures, `throw`, out-of-range checks in the standard library. */
export function abortHandler(msg: string | null, file: string | null, line: u32, col: u32): void {
  report(msg ? changetype<usize>(msg) : 0, msg ? <usize>msg.length << 1 : 0, file ? changetype<usize>(file) : 0, line, col);
  unreachable();
}

/** The allocator could not give `size` bytes. Allocates nothing (memory may be exhausted): the
 *  message is built in this core's REASON buffer. Call it with no system lock held, or the trap
 *  ends the system (docs/ARCHITECTURE.md §10). */
export function failOutOfMemory(size: usize): void {
  reasonStart("out of memory allocating ");
  reasonDec(<u64>size);
  reasonAdd(" bytes");
  failReason();
}

// A message built without allocating, in this core's REASON buffer (FC_REASON_SIZE bytes; what
// does not fit is cut): reasonStart(first), reasonAdd/reasonDec…, then failReason().
/** Start a message with `first`. */
export function reasonStart(first: string): void { built = 0; reasonAdd(first); }
/** Append `s`. */
export function reasonAdd(s: string): void {
  let n = min(<usize>s.length << 1, FC_REASON_SIZE - built);
  memory.copy(coreRec(CORE_ID) + FC_REASON + built, changetype<usize>(s), n);
  built += n;
}
/** Append `v` in decimal. */
export function reasonDec(v: u64): void {
  if (built + 40 > FC_REASON_SIZE) return;
  built += putDec(coreRec(CORE_ID) + FC_REASON + built, v);
}
/** Fail with the message built in the REASON buffer. */
export function failReason(): void {
  report(coreRec(CORE_ID) + FC_REASON, built, 0, 0, 0);
  unreachable();
}

function report(msg: usize, bytes: usize, file: usize, line: u32, col: u32): void {
  reasonOwned = false;
  reasonPtr = msg;
  reasonBytes = bytes;
  reasonFile = file;
  reasonLine = line;
  reasonCol = col;
  let fb = file ? <usize>changetype<string>(file).length << 1 : 0;
  platform.fatal(msg, <i32>bytes, file, <i32>fb, <i32>line, <i32>col);
}

/** The text of this core's last failure (UTF-16, `failureBytes()` bytes), 0 if the trap was the
 *  engine's own. */
export function failureText(): usize { return reasonPtr; }
export function failureBytes(): usize { return reasonBytes; }
/** Is the text a string the error may take over (failOwned)? */
export function failureOwned(): bool { return reasonOwned; }
/** Where an abort (assert, throw) was: its file as a string, 0 if it gave none. */
export function failureFile(): usize { return reasonFile; }
export function failureLine(): u32 { return reasonLine; }
export function failureCol(): u32 { return reasonCol; }
/** Forget the failure (it was recovered from). */
export function failureClear(): void { reasonPtr = 0; reasonBytes = 0; reasonFile = 0; reasonOwned = false; }

/** The text of a trap kind the host reported (runtime/abi.json enum trap): the same on both hosts. */
export function trapText(kind: u32): string {
  switch (kind) {
    case TRAP_UNREACHABLE: return "unreachable";
    case TRAP_OOB: return "memory access out of bounds";
    case TRAP_DIV_ZERO: return "integer divide by zero";
    case TRAP_INT_OVERFLOW: return "integer overflow";
    case TRAP_CONVERSION: return "invalid conversion to integer";
    case TRAP_INDIRECT: return "indirect call: null or signature mismatch";
    case TRAP_UNALIGNED: return "unaligned atomic access";
    case TRAP_STACK: return "call stack exhausted";
  }
  return "trap";
}
