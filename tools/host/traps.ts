// traps.ts: what a Node host caught from wasm code, as runtime/abi.json enum trap. Shared by the
// image's cores (worker.ts: a trap in a task fails it, the image turns the kind into its error
// text) and foreign modules (foreign.ts: a trap marks the module failed).
// Not: what follows from a trap (worker.ts, docs/ARCHITECTURE.md §10).

import { TRAP_NONE, TRAP_UNREACHABLE, TRAP_OOB, TRAP_DIV_ZERO, TRAP_INT_OVERFLOW, TRAP_CONVERSION, TRAP_INDIRECT, TRAP_UNALIGNED, TRAP_STACK, TRAP_OTHER } from "./abi";

/** The kind of trap `e` is; TRAP_NONE for an error of the host itself. V8 throws a RangeError,
 *  not a WebAssembly.RuntimeError, when the call stack is exhausted; the rest is told apart by
 *  V8's messages. */
export function trapKind(e: unknown): number {
  if (e instanceof RangeError && /Maximum call stack size exceeded/.test(e.message)) return TRAP_STACK;
  if (!(e instanceof WebAssembly.RuntimeError)) return TRAP_NONE;
  const m = e.message;
  if (/^unreachable/.test(m)) return TRAP_UNREACHABLE;
  if (/out of bounds/.test(m) && !/table/.test(m)) return TRAP_OOB;
  if (/(divide|remainder) by zero/.test(m)) return TRAP_DIV_ZERO;
  if (/integer overflow|integer result unrepresentable/.test(m)) return TRAP_INT_OVERFLOW;
  if (/unrepresentable|conversion/.test(m)) return TRAP_CONVERSION;
  if (/table|signature mismatch|null function/.test(m)) return TRAP_INDIRECT;
  if (/unaligned/.test(m)) return TRAP_UNALIGNED;
  return TRAP_OTHER;
}
