// validate.ts: what a kernel-level machine does to a call before its handler sees it, and after.
//
// Owns: per-method buffer specifications (which argument is a pointer, which one its length,
// in/out, the largest length accepted) and igen's record specifications (a call record with any
// number of pointer parameters, below), the checks of a call against the caller's memory region
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
//  0: no checks beyond the method. Bits 0–1 ≠ 0: a buffer spec (offerBuffer): bits 0–1 pointer
//  argument + 1, bits 2–3 length argument, bits 4–5 direction (IN 1, OUT 2, INOUT 3), bits 8–31
//  the largest length accepted. Bits 0–1 = 0: the address of a record spec (igenOfferRecord, below).
//
// Record calls (igen, docs/igen.md "Call record"): arg0 = the record's address in the caller's
// memory, arg1 = its size, arg2 = the task's ordinal. The record holds the request at 0 and the
// result at RESULT; pointer parameters are 4-byte addresses inside it, each with a length in
// elements (another field of the record, or a constant). Per call, before the handler:
//  R1. arg1 ≠ SIZE or arg2 ≠ ORDINAL → E_BAD_RECORD (a client of another interface);
//  R2. [arg0, +SIZE) not inside one block of the caller's arena → E_BAD_POINTER;
//  R3. the record is copied into kernel memory; every later read uses the copy (the caller may
//      change its record meanwhile);
//  R4. per pointer: length from the copy × element size; negative or above MAXB → E_BAD_LENGTH;
//      [pointer, +bytes) not inside one block of the caller's arena → E_BAD_POINTER; a kernel
//      buffer gets the bytes (in, inout) or zeros (out) and the copy's field its address;
//  R5. the handler runs on the copy (arg0 = the copy). Afterwards out/inout buffers and the result
//      area go back to the caller, each range checked again; every kernel block is freed.
// A refusal in R1–R4 frees what R3–R4 allocated; the message names machine, task, parameter,
// address and length.
//
// ╒════════ record spec (u32 words; static data the generated server emits) ════════╕
//  +0 SIZE  +4 RESULT offset  +8 RESULT_SIZE  +12 ORDINAL  +16 NPTR  +20 NAMES (string "task p1 p2…",
//  set by igenOfferRecord)  then NPTR × 24 bytes: +0 FIELD offset  +4 DIR  +8 ELEM size
//  +12 LEN constant count, or the offset of the length field  +16 LEN_KIND 0 constant, else the
//  field's size (1, 2, 4, 8) | LEN_SIGNED  +20 MAXB largest byte count accepted
// ╒════════ kernel record copy (kernel machine's arena) ════════╕
//  +0 caller's record  +4 spec  +8 NPTR × {caller's pointer, kernel buffer, bytes}  then, at
//  kcopyHeader(NPTR) (8-aligned), the copy of the record the handler sees

import { heapAlloc, heapFree, heapInArena, heapArenaAt } from "~lib/rt/heap";
import { fail } from "~lib/rt/trap";
import { T_ARG0, T_KIND, T_ENQ, FLAG_MESSAGE, FLAG_REFUSED } from "../task/task";
import { Text, text } from "~lib/rt/text";
import { M_NAME, M_ARENA, M_TABLE_LEN } from "~lib/rt/abi";
import { MAX_METHODS } from "./record";

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
@inline export const E_BAD_RECORD: u64 = 0xFFFFFFFF00000004;
// @ts-ignore: decorator
@inline const MAX_LEN_CAP: u32 = 0xFFFFFF;
// @ts-ignore: decorator
@inline export const LEN_SIGNED: u32 = 0x100;
// @ts-ignore: decorator
@inline const RS_SIZE: usize = 0;
// @ts-ignore: decorator
@inline const RS_RESULT: usize = 4;
// @ts-ignore: decorator
@inline const RS_RESULT_SIZE: usize = 8;
// @ts-ignore: decorator
@inline const RS_ORDINAL: usize = 12;
// @ts-ignore: decorator
@inline const RS_NPTR: usize = 16;
// @ts-ignore: decorator
@inline const RS_NAMES: usize = 20;
// @ts-ignore: decorator
@inline const RS_PTRS: usize = 24;
// @ts-ignore: decorator
@inline const RP_SIZE: usize = 24;

/** Encode a method's buffer: argument `ptrArg` points to `lenArg` bytes, direction `dir`. */
export function bufferSpec(ptrArg: u32, lenArg: u32, dir: u32, maxLen: u32): u32 {
  if (ptrArg > 2 || lenArg > 2 || ptrArg == lenArg || dir < IN || dir > INOUT) fail("offer: bad buffer specification");
  return (ptrArg + 1) | (lenArg << 2) | (dir << 4) | (min(maxLen, MAX_LEN_CAP) << 8);
}

// @ts-ignore: decorator
@inline function specs(m: usize): usize { return <usize>load<u32>(m + 28) + (<usize>MAX_METHODS << 2); }   // after the task table
export function setSpec(m: usize, method: u32, spec: u32): void { store<u32>(specs(m) + (<usize>method << 2), spec); }

/** Check a record spec (igenOfferRecord) once, when offered, so that the per-call code can trust it. */
export function recordSpec(spec: usize, names: string): u32 {
  if (!spec || (spec & 3)) fail("igenOfferRecord: the spec must be a 4-aligned static table");
  let size = load<u32>(spec + RS_SIZE), n = load<u32>(spec + RS_NPTR);
  let ro = load<u32>(spec + RS_RESULT), rs = load<u32>(spec + RS_RESULT_SIZE);
  if (size < 8 || (size & 7) || ro + rs > size || n > 64) fail("igenOfferRecord: bad record spec");
  for (let i: u32 = 0; i < n; i++) {
    let e = spec + RS_PTRS + <usize>i * RP_SIZE;
    let dir = load<u32>(e + 4), kind = load<u32>(e + 16) & 0xFF;
    let f = load<u32>(e);
    // a pointer field inside the result would be copied back to the caller with a kernel address
    if (f + 4 > size || (rs && f + 4 > ro && f < ro + rs) || dir < IN || dir > INOUT || !load<u32>(e + 8) ||
        (kind != 0 && kind != 1 && kind != 2 && kind != 4 && kind != 8) || (kind && load<u32>(e + 12) + kind > size)) fail("igenOfferRecord: bad pointer entry " + i.toString());
  }
  store<u32>(spec + RS_NAMES, changetype<u32>(names));
  return <u32>spec;
}

// @ts-ignore: decorator
@inline function kcopyHeader(n: u32): usize { return (8 + <usize>n * 12 + 7) & ~<usize>7; }

// Append the task's name (i = -1) or parameter i's from the spec's NAMES, space-separated words
// (error paths only).
function specName(x: Text, spec: usize, i: i32): Text {
  let names = changetype<string>(load<u32>(spec + RS_NAMES));
  let start = 0, word = -1;
  for (let j = 0; j <= names.length; j++) {
    if (j < names.length && names.charCodeAt(j) != 0x20) continue;
    if (++word == i + 1) return x.chars(changetype<usize>(names) + (<usize>start << 1), <usize>(j - start) << 1);
    start = j + 1;
  }
  return x.s("#").int(i);
}

function argAddr(t: usize, i: u32): usize { return t + T_ARG0 + (<usize>i << 3); }

/** Steps 1–3 for call `t` of method `method` on kernel machine `m` from machine `client`.
 *  Returns 0 if the call may run, else an error code (the message is in ENQ already). */
export function checkIn(m: usize, client: usize, t: usize, method: u32, known: bool): u64 {
  if (!known) {
    return refuse(t, E_NO_METHOD, text("machine '").s(name(m)).s("' has no method ").dec(method)
      .s(" (it offers 0..").int(<i32>load<u32>(m + M_TABLE_LEN) - 1).s(")").done());
  }
  let spec = load<u32>(specs(m) + (<usize>method << 2));
  if (spec && !(spec & 3)) return checkRecord(m, client, t, <usize>spec);
  if (!(spec & 3)) return 0;
  let pa = (spec & 3) - 1, la = (spec >> 2) & 3, dir = (spec >> 4) & 3, maxLen = <u64>(spec >> 8);
  let p = load<u64>(argAddr(t, pa)), len = load<u64>(argAddr(t, la));
  if (len > maxLen) return refuse(t, E_BAD_LENGTH, argWhat(m, method, pa).s(": length ").dec(len).s(" (argument ").dec(la).s(") exceeds the limit ").dec(maxLen).done());
  if (p > 0xFFFFFFFF || p + len > 0x100000000) return refuse(t, E_BAD_LENGTH, argWhat(m, method, pa).s(": 0x").hex(p).s(" + ").dec(len).s(" bytes overflows the address space").done());
  let arena = load<u32>(client + M_ARENA);
  if (len && !heapInArena(arena, <usize>p, <usize>len)) {
    return refuse(t, E_BAD_POINTER, argWhat(m, method, pa).s(": [0x").hex(p).s(", +").dec(len).s(") is not memory of the calling machine '").s(name(client)).s("'").done());
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

// Messages are built only when a call is refused, each in one heap block (rt/text.ts Text): the
// message a refused call carries is freed with the call (task.ts taskRelease), nothing else stays.
function argWhat(m: usize, method: u32, pa: u32): Text {
  return text("machine '").s(name(m)).s("' method ").dec(method).s(", argument ").dec(pa);
}
function taskWhat(m: usize, spec: usize): Text { return specName(text("machine '").s(name(m)).s("' task "), spec, -1); }
function paramWhat(m: usize, spec: usize, i: u32): Text { return specName(taskWhat(m, spec).s(", parameter "), spec, <i32>i); }

/** Step 4, when the handler of call `t` (method `method` of kernel machine `m`) returned. */
export function copyOut(m: usize, client: usize, t: usize, method: u32, freeOnly: bool = false): void {
  let spec = load<u32>(specs(m) + (<usize>method << 2));
  if (spec && !(spec & 3)) { recordOut(client, t, <usize>spec, freeOnly); return; }
  if (!(spec & 3)) return;
  let pa = (spec & 3) - 1;
  let k = <usize>load<u64>(argAddr(t, pa)) - 16;
  let p = <usize>load<u32>(k), len = <usize>load<u32>(k + 4), dir = load<u32>(k + 8);
  if (!freeOnly && (dir & OUT) && heapInArena(load<u32>(client + M_ARENA), p, len)) memory.copy(p, k + 16, len);
  store<u64>(argAddr(t, pa), <u64>p);                // the caller sees its own pointer again
  heapFree(k);
}

// R1–R4 for a record call.
function checkRecord(m: usize, client: usize, t: usize, spec: usize): u64 {
  let size = <usize>load<u32>(spec + RS_SIZE), n = load<u32>(spec + RS_NPTR);
  let r = load<u64>(argAddr(t, 0)), rsize = load<u64>(argAddr(t, 1)), ord = load<u64>(argAddr(t, 2));
  if (rsize != <u64>size) return refuse(t, E_BAD_RECORD, taskWhat(m, spec).s(": record of ").dec(rsize).s(" bytes, the task's is ").dec(size).s(" (a client of another interface?)").done());
  if (ord != <u64>load<u32>(spec + RS_ORDINAL)) return refuse(t, E_BAD_RECORD, taskWhat(m, spec).s(": the call carries ordinal 0x").hex(ord).s(", the task's is 0x").hex(load<u32>(spec + RS_ORDINAL)).s(" (a client of another interface?)").done());
  let arena = load<u32>(client + M_ARENA);
  if (r > 0xFFFFFFFF || !heapInArena(arena, <usize>r, size)) {
    return refuse(t, E_BAD_POINTER, taskWhat(m, spec).s(": record [0x").hex(r).s(", +").dec(size).s(") is not memory of the calling machine '").s(name(client)).s("'").done());
  }
  let h = kcopyHeader(n);
  let k = heapAlloc(h + size);                       // this core serves m: m's arena
  memory.fill(k, 0, h);
  store<u32>(k, <u32>r);
  store<u32>(k + 4, <u32>spec);
  let rec = k + h;
  memory.copy(rec, <usize>r, size);                  // R3: from now on only the copy is read
  for (let i: u32 = 0; i < n; i++) {
    let e = spec + RS_PTRS + <usize>i * RP_SIZE;
    let field = <usize>load<u32>(e), dir = load<u32>(e + 4), elem = <u64>load<u32>(e + 8);
    let kind = load<u32>(e + 16), maxb = <u64>load<u32>(e + 20);
    let count: u64 = <u64>load<u32>(e + 12), signed = (kind & LEN_SIGNED) != 0;
    let lf = rec + <usize>load<u32>(e + 12);
    let neg = false;
    switch (kind & 0xFF) {
      case 1: { let v = signed ? <i64>load<i8>(lf) : <i64>load<u8>(lf); neg = v < 0; count = <u64>v; break; }
      case 2: { let v = signed ? <i64>load<i16>(lf) : <i64>load<u16>(lf); neg = v < 0; count = <u64>v; break; }
      case 4: { let v = signed ? <i64>load<i32>(lf) : <i64>load<u32>(lf); neg = v < 0; count = <u64>v; break; }
      case 8: { count = load<u64>(lf); neg = signed && <i64>count < 0; break; }
    }
    let p = <u64>load<u32>(rec + field);
    if (neg) return unwind(t, k, i, E_BAD_LENGTH, paramWhat(m, spec, i).s(": negative length ").int(<i64>count).done());
    if (count > maxb / elem) return unwind(t, k, i, E_BAD_LENGTH, paramWhat(m, spec, i).s(": ").dec(count).s(" elements of ").dec(elem).s(" bytes exceed the limit of ").dec(maxb).s(" bytes").done());
    let bytes = count * elem;
    if (p + bytes > 0x100000000) return unwind(t, k, i, E_BAD_LENGTH, paramWhat(m, spec, i).s(": 0x").hex(p).s(" + ").dec(bytes).s(" bytes overflows the address space").done());
    if (bytes && !heapInArena(arena, <usize>p, <usize>bytes)) {
      return unwind(t, k, i, E_BAD_POINTER, whereIs(paramWhat(m, spec, i).s(": [0x").hex(p).s(", +").dec(bytes).s(") is not memory of the calling machine '").s(name(client)).s("'"), <usize>p, arena).done());
    }
    let kb: usize = 0;
    if (bytes) {
      kb = heapAlloc(<usize>bytes);
      if (dir & IN) memory.copy(kb, <usize>p, <usize>bytes);
      else memory.fill(kb, 0, <usize>bytes);
    }
    let slot = k + 8 + <usize>i * 12;
    store<u32>(slot, <u32>p);
    store<u32>(slot + 4, <u32>kb);
    store<u32>(slot + 8, <u32>bytes);
    store<u32>(rec + field, <u32>kb);
  }
  store<u64>(argAddr(t, 0), <u64>rec);               // R5: the handler sees the copy
  return 0;
}

// A refusal in R4 at pointer `done`: free the kernel buffers of pointers 0..done-1 and the copy.
function unwind(t: usize, k: usize, done: u32, code: u64, msg: string): u64 {
  for (let i: u32 = 0; i < done; i++) {
    let kb = <usize>load<u32>(k + 8 + <usize>i * 12 + 4);
    if (kb) heapFree(kb);
  }
  heapFree(k);
  return refuse(t, code, msg);
}

// R5's second half: out/inout buffers and the result back to the caller, kernel blocks freed.
function recordOut(client: usize, t: usize, spec: usize, freeOnly: bool): void {
  let n = load<u32>(spec + RS_NPTR);
  let h = kcopyHeader(n);
  let rec = <usize>load<u64>(argAddr(t, 0)), k = rec - h;
  let arena = load<u32>(client + M_ARENA);
  for (let i: u32 = 0; i < n; i++) {
    let slot = k + 8 + <usize>i * 12;
    let p = <usize>load<u32>(slot), kb = <usize>load<u32>(slot + 4), bytes = <usize>load<u32>(slot + 8);
    if (!kb) continue;
    if (!freeOnly && (load<u32>(spec + RS_PTRS + <usize>i * RP_SIZE + 4) & OUT) && heapInArena(arena, p, bytes)) memory.copy(p, kb, bytes);
    heapFree(kb);
  }
  let r = <usize>load<u32>(k), size = <usize>load<u32>(spec + RS_SIZE);
  let ro = <usize>load<u32>(spec + RS_RESULT), rs = <usize>load<u32>(spec + RS_RESULT_SIZE);
  if (!freeOnly && rs && heapInArena(arena, r, size)) memory.copy(r + ro, rec + ro, rs);
  store<u64>(argAddr(t, 0), <u64>r);                 // the caller sees its own record again
  heapFree(k);
}

function refuse(t: usize, code: u64, msg: string): u64 {
  store<u32>(t + T_ENQ, <u32>changetype<usize>(msg));
  store<u32>(t + T_KIND, load<u32>(t + T_KIND) | FLAG_MESSAGE | FLAG_REFUSED);
  return code;
}

function name(m: usize): string { return changetype<string>(load<u32>(m + M_NAME)); }

// A refused pointer's page, when it is a span of another arena than the caller's: which.
function whereIs(x: Text, p: usize, arena: u32): Text {
  let a = heapArenaAt(p);
  return a >= 0 && <u32>a != arena ? x.s(" (a block of allocator arena ").dec(<u64>a).s(", the caller's is ").dec(<u64>arena).s(")") : x;
}
