// validate.ts: what a kernel-level machine does to a call before its handler sees it, and after.
//
// Owns: per-method buffer specifications (which argument is a pointer, which one its length,
// in/out, the largest length accepted), the checks of a call against the caller's memory region
// (its machine's allocator arena, heap.ts heapInArena), the copy-in into kernel memory, the
// copy-out of results, and the error codes and messages of refused calls.
// Not: transport (imc.ts). Calls between user-level machines are not checked (the paper's §3.5:
// the precautions are omitted inside one isolation domain).
//
// There is no hardware privilege separation between wasm instances: every machine can write
// all of the shared memory. These checks are what keeps a confused or hostile client from making
// a kernel machine read or write outside the client's own memory or trap on a bad address; they
// are real checks, not a protection boundary against code that writes kernel memory directly.
//
// Per call, on the server core that takes it from the task queue (imc.ts step s2):
//  1. method unknown → E_NO_METHOD;
//  2. for the method's buffer argument, if any: length > the method's limit → E_BAD_LENGTH;
//     pointer + length past 2^32 → E_BAD_LENGTH; [pointer, pointer + length) not inside one
//     block of the caller's arena → E_BAD_POINTER;
//  3. copy-in: a kernel buffer (the kernel machine's arena) gets the caller's bytes (in, inout)
//     or zeros (out); the handler sees the kernel buffer's address in place of the caller's;
//  4. after the handler: out/inout bytes go back to the caller's buffer, checked again (the
//     caller may have freed it meanwhile), and the kernel buffer is freed.
// A refused call completes failed: `f.failed`, `f.value` = the code, `f.error` = the message
// naming the argument, the address and the length. The kernel machine's cores never trap on it.
//
// ╒════════ kernel buffer ════════╕  +0 caller's pointer  +4 length  +8 direction  +16 bytes…
// ╒════════ method spec (u32, table of MAX_METHODS next to the task table) ════════╕
//  bits 0–1 pointer argument + 1 (0: no buffer), bits 2–3 length argument, bits 4–5 direction
//  (IN 1, OUT 2, INOUT 3), bits 8–31 the largest length accepted.

import { heapAlloc, heapFree, heapInArena } from "~lib/rt/heap";
import { fail } from "~lib/rt/trap";
import { T_ARG0, T_KIND, FLAG_MESSAGE } from "../aam/task";
import { M_NAME, M_ARENA, M_TABLE_LEN, MAX_METHODS } from "./machine";

// @ts-ignore: decorator
@inline export const IN: u32 = 1;
// @ts-ignore: decorator
@inline export const OUT: u32 = 2;
// @ts-ignore: decorator
@inline export const INOUT: u32 = 3;
// @ts-ignore: decorator
@inline export const E_NO_METHOD: u64 = 0xFFFFFFFF00000001;
// @ts-ignore: decorator
@inline export const E_BAD_POINTER: u64 = 0xFFFFFFFF00000002;
// @ts-ignore: decorator
@inline export const E_BAD_LENGTH: u64 = 0xFFFFFFFF00000003;
// @ts-ignore: decorator
@inline const MAX_LEN_CAP: u32 = 0xFFFFFF;

/** Encode a method's buffer: argument `ptrArg` points to `lenArg` bytes, direction `dir`. */
export function bufferSpec(ptrArg: u32, lenArg: u32, dir: u32, maxLen: u32): u32 {
  if (ptrArg > 2 || lenArg > 2 || ptrArg == lenArg || dir < IN || dir > INOUT) fail("offer: bad buffer specification");
  return (ptrArg + 1) | (lenArg << 2) | (dir << 4) | (min(maxLen, MAX_LEN_CAP) << 8);
}

// @ts-ignore: decorator
@inline function specs(m: usize): usize { return <usize>load<u32>(m + 28) + (<usize>MAX_METHODS << 2); }   // after the task table
export function setSpec(m: usize, method: u32, spec: u32): void { store<u32>(specs(m) + (<usize>method << 2), spec); }

function argAddr(t: usize, i: u32): usize { return t + T_ARG0 + (<usize>i << 3); }

/** Steps 1–3 for call `t` of method `method` on kernel machine `m` from machine `client`.
 *  Returns 0 if the call may run, else an error code (the message is in ARG0 already). */
export function checkIn(m: usize, client: usize, t: usize, method: u32, known: bool): u64 {
  if (!known) {
    return refuse(t, E_NO_METHOD, "machine '" + name(m) + "' has no method " + method.toString() +
      " (it offers 0.." + (<i32>load<u32>(m + M_TABLE_LEN) - 1).toString() + ")");
  }
  let spec = load<u32>(specs(m) + (<usize>method << 2));
  if (!(spec & 3)) return 0;
  let pa = (spec & 3) - 1, la = (spec >> 2) & 3, dir = (spec >> 4) & 3, maxLen = <u64>(spec >> 8);
  let p = load<u64>(argAddr(t, pa)), len = load<u64>(argAddr(t, la));
  let what = "machine '" + name(m) + "' method " + method.toString() + ", argument " + pa.toString();
  if (len > maxLen) return refuse(t, E_BAD_LENGTH, what + ": length " + len.toString() + " (argument " + la.toString() + ") exceeds the limit " + maxLen.toString());
  if (p > 0xFFFFFFFF || p + len > 0x100000000) return refuse(t, E_BAD_LENGTH, what + ": 0x" + p.toString(16) + " + " + len.toString() + " bytes overflows the address space");
  let arena = load<u32>(client + M_ARENA);
  if (len && !heapInArena(arena, <usize>p, <usize>len)) {
    return refuse(t, E_BAD_POINTER, what + ": [0x" + p.toString(16) + ", +" + len.toString() + ") is not memory of the calling machine '" + name(client) + "'");
  }
  let k = heapAlloc(16 + <usize>len);                 // this core serves m: m's arena
  store<u32>(k, <u32>p);
  store<u32>(k + 4, <u32>len);
  store<u32>(k + 8, dir);
  if (dir & IN) memory.copy(k + 16, <usize>p, <usize>len);
  else memory.fill(k + 16, 0, <usize>len);
  store<u64>(argAddr(t, pa), <u64>(k + 16));
  return 0;
}

/** Step 4, when the handler of call `t` (method `method` of kernel machine `m`) returned. */
export function copyOut(m: usize, client: usize, t: usize, method: u32): void {
  let spec = load<u32>(specs(m) + (<usize>method << 2));
  if (!(spec & 3)) return;
  let pa = (spec & 3) - 1;
  let k = <usize>load<u64>(argAddr(t, pa)) - 16;
  let p = <usize>load<u32>(k), len = <usize>load<u32>(k + 4), dir = load<u32>(k + 8);
  if ((dir & OUT) && heapInArena(load<u32>(client + M_ARENA), p, len)) memory.copy(p, k + 16, len);
  store<u64>(argAddr(t, pa), <u64>p);                // the caller sees its own pointer again
  heapFree(k);
}

function refuse(t: usize, code: u64, msg: string): u64 {
  store<u64>(t + T_ARG0, <u64>changetype<usize>(msg));
  store<u32>(t + T_KIND, load<u32>(t + T_KIND) | FLAG_MESSAGE);
  return code;
}

function name(m: usize): string { return changetype<string>(load<u32>(m + M_NAME)); }
