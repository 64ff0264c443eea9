// foreign.ts: foreign machines, C libraries compiled to wasm32 that run in a memory of their own
// beside the image (docs/ARCHITECTURE.md "Foreign machines"), seen by their clients as ordinary
// kernel-level igen machines.
//
// Owns: the table of foreign modules (their host ids, lock, failed state), offering an igen task
// as a foreign function (igen's generated offer<M>Foreign), and the dispatch of one call: the
// record and its buffers copied into the module's memory, the C function run, the results copied
// back, the module's memory freed. Not: the checks of the caller's record and buffers (a foreign
// machine is kernel-level: machine/validate.ts checked and copied them into kernel memory before
// the dispatch runs), running wasm (the hosts: platform.foreign_*), building modules
// (tools/build/foreign.ts).
//
// Per call (the handler of a task offered by igenOfferForeign; arg0 = the kernel's copy of the
// record, whose pointer fields point to kernel buffers):
//  1. the module's lock (a system lock: nothing below traps while it is held, and a trap under it
//     would leave the module half-called, so it stops the system); a module marked failed refuses
//     the call with the reason it failed;
//  2. one block of the module's memory (its exported aam_foreign_alloc) holds the record and then
//     every pointer parameter's bytes, 8-aligned; the record's pointer fields are set to the
//     module's addresses in the copy sent, and the kernel copy keeps its own;
//  3. the function `M_T(record)` runs on this core's instance of the module (platform.foreign_call);
//  4. it returned 0: out/inout bytes and the result area come back into the kernel copy (which
//     validate.ts copies back to the caller); it returned non-zero: the call fails with the
//     module's message (aam_foreign_error), the module goes on;
//  5. the block is freed, the lock released;
//  6. it trapped: the module is marked failed ("trapped in zlib.push: out of bounds memory
//     access") and the call fails with that message; so does every later call. A trap may leave
//     the library's heap or its own state half-updated: going on could corrupt results silently.
// A failed call (4, 6) does not trap the handler: the task is marked failed with the message and
// returns, so no trap report is printed and validate.ts frees the kernel copies.
//
// ╒════════ module record (MAX_FOREIGN × 32 bytes of static data, written under LOCK) ════════╕
//  +0 LOCK  +4 HOST id + 1 (0: unused)  +8 NAME (string)  +12 FAILED (string, 0 = healthy)
//  +16 ALLOC fn  +20 FREE fn  +24 ERROR fn  +28 CALLS (calls made, for tests and stats)
// ╒════════ generated per-machine table (static data, igen offer<M>Foreign) ════════╕
//  +0 module index + 1, then per task slot the host's id of its function

import { platform } from "~lib/rt/platform";
import { fail } from "~lib/rt/trap";
import { heapAlloc, heapFree } from "~lib/rt/heap";
import { lock, unlock, load32, store32, add32 } from "~lib/rt/atomic";
import { failQuietly } from "../sched/dispatch";   // a failed call without a trap: the caller sees call.failed and call.error
import { Task, TaskFn } from "../task/task";
import { Machine } from "../machine/machine";
import { M_MIN, M_MAX, OBJ_HEADER } from "~lib/rt/abi";
import { trapText } from "~lib/rt/trap";
import { Text, text } from "~lib/rt/text";
import { igenOfferRecord } from "./igen";

// @ts-ignore: decorator
@inline const MAX_FOREIGN: u32 = 8;
// @ts-ignore: decorator
@inline const F_SIZE: usize = 32;
// @ts-ignore: decorator
@inline const F_LOCK: usize = 0;
// @ts-ignore: decorator
@inline const F_HOST: usize = 4;
// @ts-ignore: decorator
@inline const F_NAME: usize = 8;
// @ts-ignore: decorator
@inline const F_FAILED: usize = 12;
// @ts-ignore: decorator
@inline const F_ALLOC: usize = 16;
// @ts-ignore: decorator
@inline const F_FREE: usize = 20;
// @ts-ignore: decorator
@inline const F_ERROR: usize = 24;
// @ts-ignore: decorator
@inline const F_CALLS: usize = 28;
// @ts-ignore: decorator
@inline const ERROR_MAX: usize = 512;
// record spec words (validate.ts draws them)
// @ts-ignore: decorator
@inline const RS_SIZE: usize = 0;
// @ts-ignore: decorator
@inline const RS_RESULT: usize = 4;
// @ts-ignore: decorator
@inline const RS_RESULT_SIZE: usize = 8;
// @ts-ignore: decorator
@inline const RS_NPTR: usize = 16;
// @ts-ignore: decorator
@inline const RS_NAMES: usize = 20;
// @ts-ignore: decorator
@inline const RS_PTRS: usize = 24;
// @ts-ignore: decorator
@inline const RP_SIZE: usize = 24;
// @ts-ignore: decorator
@inline const OUT: u32 = 2;
// @ts-ignore: decorator
@inline const MAX_PTRS: usize = 16;

const modules = memory.data(<i32>(MAX_FOREIGN * <u32>F_SIZE));

function rec(i: u32): usize { return modules + <usize>i * F_SIZE; }

function hostFn(host: i32, module: string, name: string): i32 {
  let f = platform.foreign_fn(host, changetype<usize>(name), name.length << 1);
  if (f < 0) fail("foreign module " + module + " exports no function " + name);
  return f;
}

/** The index (1..) of foreign module `name`, opened once; fails if the host has no such module
 *  (it was not built: the build records every foreign.json next to a file the program imports). */
export function foreignModule(name: string): u32 {
  for (let i: u32 = 0; i < MAX_FOREIGN; i++) {
    let r = rec(i);
    if (load<u32>(r + F_HOST) && changetype<string>(load<u32>(r + F_NAME)) == name) return i + 1;
  }
  let host = platform.foreign_open(changetype<usize>(name), name.length << 1);
  if (host < 0) fail("foreign module " + name + " is not loaded by the host (built from aams/" + name + "/foreign.json)");
  for (let i: u32 = 0; i < MAX_FOREIGN; i++) {
    let r = rec(i);
    if (load<u32>(r + F_HOST)) continue;
    store<u32>(r + F_HOST, <u32>host + 1);
    store<u32>(r + F_NAME, changetype<u32>(name));
    store<u32>(r + F_ALLOC, <u32>hostFn(host, name, "aam_foreign_alloc"));
    store<u32>(r + F_FREE, <u32>hostFn(host, name, "aam_foreign_free"));
    store<u32>(r + F_ERROR, <u32>hostFn(host, name, "aam_foreign_error"));
    return i + 1;
  }
  fail("too many foreign modules (" + MAX_FOREIGN.toString() + ")");
  return 0;
}

/** Offer task `slot` of `machine` (kernel-level) as the function `fn` of foreign module `module`
 *  (foreignModule's index), taking igen records of `spec`; `table` is the generated per-machine
 *  table and `serve` the generated handler that calls igenForeign. Only in machines().
 *  The machine gets at most one core: calls into one module are serialised anyway. */
export function igenOfferForeign(machine: Machine, table: usize, module: u32, slot: u32, fn: string, serve: TaskFn, spec: usize, names: string): void {
  if (!machine.kernel) fail("foreign machine " + machine.name + " must be kernel-level: its arguments are copied between memories");
  if (load<u32>(spec + RS_NPTR) > <u32>MAX_PTRS) fail("foreign machine " + machine.name + ": more than 16 pointer parameters");
  let m = changetype<usize>(machine);
  store<u32>(m + M_MAX, 1);
  if (load<u32>(m + M_MIN) > 1) store<u32>(m + M_MIN, 1);
  store<u32>(table, module);
  store<u32>(table + 4 + (<usize>slot << 2), <u32>hostFn(<i32>load<u32>(rec(module - 1) + F_HOST) - 1, changetype<string>(load<u32>(rec(module - 1) + F_NAME)), fn));
  igenOfferRecord(machine, slot, serve, spec, names);
}

/** Calls (since boot) into foreign module `name`, and whether it failed ("" if healthy). */
export function foreignCalls(name: string): u64 {
  for (let i: u32 = 0; i < MAX_FOREIGN; i++) if (load<u32>(rec(i) + F_HOST) && changetype<string>(load<u32>(rec(i) + F_NAME)) == name) return <u64>load32(rec(i) + F_CALLS);
  return 0;
}
export function foreignFailed(name: string): string {
  for (let i: u32 = 0; i < MAX_FOREIGN; i++) {
    let r = rec(i);
    if (load<u32>(r + F_HOST) && changetype<string>(load<u32>(r + F_NAME)) == name) {
      let f = load32(r + F_FAILED);
      return f ? changetype<string>(f) : "";
    }
  }
  return "";
}

// "module.task: " (the task's name is the first word of the spec's NAMES), to build a message
// in one block (rt/text.ts): a failed call allocates only the message it carries.
function what(module: string, spec: usize): Text {
  let names = changetype<string>(load<u32>(spec + RS_NAMES));
  let n = 0;
  while (n < names.length && names.charCodeAt(n) != 0x20) n++;
  return text(module).s(".").chars(changetype<usize>(names), <usize>n << 1).s(": ");
}

function freeString(s: string): void { heapFree(changetype<usize>(s) - OBJ_HEADER); }

// The module's message of its last failed call (a C string in its memory), as a string.
function moduleError(host: i32, errFn: i32): string {
  let p = platform.foreign_call(host, errFn, 0);
  if (p <= 0) return "(no message)";
  let buf = heapAlloc(ERROR_MAX);
  let n: usize = 0;
  if (platform.foreign_copy(host, 0, buf, p, <i32>ERROR_MAX) == 0) {
    while (n < ERROR_MAX - 1 && load<u8>(buf + n)) n++;
  }
  let s = String.UTF8.decodeUnsafe(buf, n);
  heapFree(buf);
  return s;
}

/** The handler of a foreign task: steps 1–6 above. `table` is the machine's generated table,
 *  `slot` the task, `spec` its record spec. */
export function igenForeign(t: Task, table: usize, slot: u32, spec: usize): u64 {
  let r = rec(load<u32>(table) - 1);
  let host = <i32>load<u32>(r + F_HOST) - 1;
  let fn = <i32>load<u32>(table + 4 + (<usize>slot << 2));
  let krec = <usize>t.arg0;
  let size = <usize>load<u32>(spec + RS_SIZE), n = <usize>load<u32>(spec + RS_NPTR);
  let ro = <usize>load<u32>(spec + RS_RESULT), rs = <usize>load<u32>(spec + RS_RESULT_SIZE);
  let module = changetype<string>(load<u32>(r + F_NAME));
  // The layout of the block sent: the record, then each buffer (8-aligned); sizes from the
  // kernel copy's buffers, which validate.ts made (bytes = its block's length, kept in the copy's
  // header: the kernel buffer pointers are in the record's fields).
  let offs = heapAlloc(MAX_PTRS * 16);        // per pointer: field, kernel address, bytes, offset
  let total = (size + 7) & ~<usize>7;
  for (let i: usize = 0; i < n; i++) {
    let e = spec + RS_PTRS + i * RP_SIZE;
    let field = <usize>load<u32>(e);
    let bytes = ptrBytes(krec, e);
    store<u32>(offs + i * 16, <u32>field);
    store<u32>(offs + i * 16 + 4, load<u32>(krec + field));
    store<u32>(offs + i * 16 + 8, <u32>bytes);
    store<u32>(offs + i * 16 + 12, <u32>total);
    total += (bytes + 7) & ~<usize>7;
  }
  lock(r + F_LOCK, "foreign module");                                      // step 1
  let failed = load32(r + F_FAILED);
  if (failed) {
    unlock(r + F_LOCK);
    heapFree(offs);
    return failQuietly(what(module, spec).s(changetype<string>(failed)).done());
  }
  add32(r + F_CALLS, 1);
  let base = platform.foreign_call(host, <i32>load<u32>(r + F_ALLOC), <i32>total);   // step 2
  if (base <= 0) {
    let why = base < 0 ? text("the module trapped in aam_foreign_alloc (").s(trapText(<u32>(-base - 1))).s("); it is marked failed and refuses every later call").done()
      : text("out of memory in the module (").dec(total).s(" bytes for the call)").done();
    if (base < 0) store32(r + F_FAILED, changetype<u32>(why));
    unlock(r + F_LOCK);
    heapFree(offs);
    let m = what(module, spec).s(why).done();
    if (base == 0) freeString(why);
    return failQuietly(m);
  }
  let ok = true;
  for (let i: usize = 0; i < n; i++) {
    let field = <usize>load<u32>(offs + i * 16), kb = <usize>load<u32>(offs + i * 16 + 4);
    let bytes = <usize>load<u32>(offs + i * 16 + 8), at = <usize>base + <usize>load<u32>(offs + i * 16 + 12);
    if (bytes && platform.foreign_copy(host, 1, kb, <i32>at, <i32>bytes) != 0) ok = false;
    store<u32>(krec + field, bytes ? <u32>at : 0);
  }
  if (ok && platform.foreign_copy(host, 1, krec, base, <i32>size) != 0) ok = false;
  for (let i: usize = 0; i < n; i++) store<u32>(krec + <usize>load<u32>(offs + i * 16), load<u32>(offs + i * 16 + 4));   // the kernel's own pointers back
  let status = ok ? platform.foreign_call(host, fn, base) : 0;               // step 3
  let msg: string | null = null, own = false;
  if (!ok) msg = "the module's memory is too small for the call";
  if (status == 0 && ok) {                                                    // step 4
    for (let i: usize = 0; i < n; i++) {
      let e = spec + RS_PTRS + i * RP_SIZE;
      if (!(load<u32>(e + 4) & OUT)) continue;
      let kb = <usize>load<u32>(offs + i * 16 + 4), bytes = load<u32>(offs + i * 16 + 8);
      if (bytes) platform.foreign_copy(host, 0, kb, base + load<u32>(offs + i * 16 + 12), <i32>bytes);
    }
    if (rs) platform.foreign_copy(host, 0, krec + ro, base + <i32>ro, <i32>rs);
  } else if (status > 0) {
    msg = moduleError(host, <i32>load<u32>(r + F_ERROR));
    own = true;
  }
  let trapped = status < 0;
  if (!trapped) {
    let fr = platform.foreign_call(host, <i32>load<u32>(r + F_FREE), base);   // step 5
    if (fr < 0) { trapped = true; status = fr; }
  }
  if (trapped) {                                                                // step 6
    let why = what(module, spec).s("the module trapped (").s(trapText(<u32>(-status - 1))).s("); it is marked failed and refuses every later call").done();
    store32(r + F_FAILED, changetype<u32>(why));      // kept for good: every later call says it
    if (own) freeString(<string>msg);
    msg = why;
    own = false;
  }
  unlock(r + F_LOCK);
  heapFree(offs);
  if (msg === null) return 0;
  let m = trapped ? text(<string>msg).done() : what(module, spec).s(<string>msg).done();
  if (own) freeString(<string>msg);
  return failQuietly(m);
}

// Bytes of pointer entry `e` in kernel record copy `krec`: its length field (or constant) ×
// its element size, as validate.ts computed and checked it.
function ptrBytes(krec: usize, e: usize): usize {
  let elem = <usize>load<u32>(e + 8), kind = load<u32>(e + 16);
  let count: u64 = <u64>load<u32>(e + 12);
  let lf = krec + <usize>load<u32>(e + 12);
  switch (kind & 0xFF) {
    case 1: count = <u64>load<u8>(lf); break;
    case 2: count = <u64>load<u16>(lf); break;
    case 4: count = <u64>load<u32>(lf); break;
    case 8: count = load<u64>(lf); break;
  }
  return <usize>count * elem;
}
