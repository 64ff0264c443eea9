// igen.ts: the runtime half of igen's generated AssemblyScript clients and servers (igen/gen/as.ts).
//
// Owns: the client's call record (allocation, the header in front of it, issuing, waiting,
// failing, releasing, the event-style continuation), the checked connect, and the server's
// offer of records and interface hash and its first look at a record. Generated code imports
// all of it as "aam/igen" (runtime/igen.ts).
// Not: what is in a record (the generated code packs and unpacks it), transport (machine/imc.ts),
// the kernel's checks of a record (machine/validate.ts).
//
// A call that fails here (igenSync, igenServe) traps the calling task only: it holds no system
// lock (docs/ARCHITECTURE.md "Traps").
//
// A generated call allocates one block from the running machine's arena: a 16-byte header the
// server never sees, then the record the task carries (arg0 = its address, arg1 = its size,
// arg2 = the task's ordinal). The typed call handle a client gets is the record's address.
//
// ╒════════ call block ════════╕
//  -16 FUTURE   the call's task record (Future), 0 until issued
//  -12 THEN     event variant: table index of fn(call, arg), 0 otherwise
//   -8 ARG      event variant: the u64 given to fn
//    0 record   request at 0, result at the generated RESULT offset (docs/igen.md)

import { heapAlloc, heapFree } from "~lib/rt/heap";
import { fail, failOwned } from "~lib/rt/trap";
import { text } from "~lib/rt/text";
import { M_IFACE_HASH } from "~lib/rt/abi";
import { Task, TaskFn } from "../task/task";
import { Future, callRefused } from "../sched/future";
import { Interface, connectHash } from "../machine/imc";
import { Machine, findMachine } from "../machine/machine";
import { setSpec, recordSpec } from "../machine/validate";

// @ts-ignore: decorator
@inline const H_FUTURE: usize = 16;
// @ts-ignore: decorator
@inline const H_THEN: usize = 12;
// @ts-ignore: decorator
@inline const H_ARG: usize = 8;
// @ts-ignore: decorator
@inline const HEADER: usize = 16;

/** A zeroed call record of `size` bytes (header in front), from the running machine's arena. */
export function igenRecord(size: usize): usize {
  let b = heapAlloc(HEADER + size);
  memory.fill(b, 0, HEADER + size);
  return b + HEADER;
}

/** Client side: `server`, or the machine called `name`; traps if there is none. */
export function igenServer(server: Machine | null, name: string): Machine {
  if (server) return server;
  let m = findMachine(name);
  if (!m) fail("connect: no machine named " + name);
  return changetype<Machine>(m);
}

/** Client side: connect() to `server` for a client built against interface `hash`; a server
 *  that offers another hash refuses it (the calling task traps with interfaceError's message). */
export function igenConnect(server: Machine, cap: u32, limit: u32, hash: u64): Interface {
  return connectHash(server, cap, limit, hash);
}

/** Sends record `r` as task `slot` (ordinal `ordinal`) over `iface`. */
export function igenIssue(iface: Interface, slot: u32, r: usize, size: usize, ordinal: u32): void {
  let f = iface.call(slot, <u64>r, <u64>size, <u64>ordinal);
  store<u32>(r - H_FUTURE, changetype<u32>(f));
}

/** The future of call `r`. */
export function igenFuture(r: usize): Future { return changetype<Future>(load<u32>(r - H_FUTURE)); }

/** What every generated call handle shares (X_igen_client.ts: `class XCall extends IgenCall`,
 *  which adds wait() and the typed result). The handle is the call record's address. */
// @ts-ignore: decorator
@unmanaged
export class IgenCall {
  /** True once the call ended (completed or failed). */
  get done(): bool { return igenFuture(changetype<usize>(this)).done; }
  /** True if the call was refused or its handler failed; error says why. */
  get failed(): bool { return igenFuture(changetype<usize>(this)).failed; }
  get error(): string { return igenFuture(changetype<usize>(this)).error; }
  /** Frees the record and the future (once, after the call ended). */
  release(): void { igenRelease(changetype<usize>(this)); }
}

/** Blocks the running task until call `r` ended (completed or failed). */
export function igenWait(r: usize): void { igenFuture(r).wait(); }

/** Frees call `r`: its future and its record. */
export function igenRelease(r: usize): void {
  let f = load<u32>(r - H_FUTURE);
  if (f) changetype<Future>(f).release();
  heapFree(r - HEADER);
}

/** Sync variant: waits for call `r`; if it failed, frees it and traps the calling task with
 *  `what` (e.g. "zlib.compress") and the reason, as a function that throws would. */
export function igenSync(r: usize, what: string): void {
  let f = igenFuture(r);
  f.wait();
  if (!f.failed) return;
  let x = text(what).s(callRefused(changetype<usize>(f)) ? ": " : ": the handler failed: ").s(f.error);
  let msg = x.done();                   // before the release: the error lives in the call's record
  igenRelease(r);
  failOwned(msg);
}

/** Event variant: when call `r` ends, `fnIndex(call, arg)` runs as a task of the calling machine;
 *  the call is released after it returns. */
export function igenThen(r: usize, fnIndex: u32, arg: u64): void {
  store<u32>(r - H_THEN, fnIndex);
  store<u64>(r - H_ARG, arg);
  igenFuture(r).then(igenDone, <u64>r).release();
}

function igenDone(t: Task): u64 {
  let r = <usize>t.arg1;
  call_indirect<void>(load<u32>(r - H_THEN), r, load<u64>(r - H_ARG));
  igenRelease(r);
  return 0;
}

/** Server side: records handler `index` for `slot` in a generated handler table (static data);
 *  `what` names the offer function for the error if another set of handlers was there already. */
export function igenSetHandler(table: usize, slot: u32, index: u32, what: string): void {
  let at = table + (<usize>slot << 2);
  let old = load<u32>(at);
  if (old && old != index) fail(what + ": offered already with other handlers (one set per image)");
  store<u32>(at, index);
}

/** Server side: the record of call `t`, after checking that it carries task `ordinal` in a
 *  record of `size` bytes (a kernel-level machine's kernel checked both already). A mismatch is
 *  a client that does not speak this interface: the call fails with a message naming `what`. */
export function igenServe(t: Task, ordinal: u32, size: usize, what: string): usize {
  if (t.arg2 != <u64>ordinal) {
    fail(what + ": the call carries ordinal 0x" + t.arg2.toString(16) + ", this task is 0x" + ordinal.toString(16) + " (a client of another interface?)");
  }
  if (t.arg1 != <u64>size) fail(what + ": record of " + t.arg1.toString() + " bytes, expected " + size.toString());
  return <usize>t.arg0;
}

/** Server side: offer `fn` as task `slot` of `machine`, taking an igen call record (docs/igen.md
 *  "Call record"): `spec` is the record spec igen emits (static data, layout in validate.ts),
 *  `names` the task's name and its pointer parameters' names, space-separated, for error
 *  messages. On a kernel-level machine each call's record and pointer parameters are checked
 *  against the caller's memory and copied in and out (validate.ts R1–R5). Only in machines(). */
export function igenOfferRecord(machine: Machine, slot: u32, fn: TaskFn, spec: usize, names: string): void {
  let s = recordSpec(spec, names);
  machine.offer(slot, fn);
  setSpec(changetype<usize>(machine), slot, s);
}

/** Server side: declare the interface `machine` serves by its igen hash: a connect with another
 *  non-zero hash is refused (a client built against another version). Only in machines(). */
export function igenOfferInterface(machine: Machine, hash: u64): void {
  if (hash == 0) fail("machine " + machine.name + ": interface hash 0 is reserved (unchecked)");
  store<u64>(changetype<usize>(machine) + M_IFACE_HASH, hash);
}
