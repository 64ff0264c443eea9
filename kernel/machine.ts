// machine.ts: machines, the unit the Machine Manager gives cores to.
//
// Owns: the machine record (name, level, scheduler instance, task table, signal buffer, load
// data, counters), the table of all machines, and the program's API to declare machines and
// offer tasks. Not: which cores a machine holds (manager.ts decides, policy.ts advises), signals
// (ims.ts), interfaces (imc.ts).
//
// A machine is created at boot from the program's optional `machines()` export (run once, on
// core 0, before any core serves a machine). Programs that declare no machine run everything in
// the built-in machine 1, "main", on every core.
//
// ╒════════ machine record (256 bytes) ════════╕
//  +0   ID        1.. (index in the manager's table + 1). Read-only after creation.
//  +4   FLAGS     KERNEL = 1. Read-only.
//  +8   SCHED     its scheduler record (runtime/sched.ts). Read-only.
//  +12  MIN       +16 MAX   cores it must keep / may hold. Read-only.
//  +20  CORES     cores held now. Written by the manager under its lock; read by anyone.
//  +24  SIGNALS   IMS buffer: stack of signal records (ims.ts): pushed by any core (cmpxchg),
//                 taken whole by a core of the machine (xchg).
//  +28  TABLE     task table: fn indices by method number (heap array). Written before boot ends.
//  +32  TABLE_LEN
//  +36  NAME      AssemblyScript string (static data). Read-only.
//  +40  IFACES    interfaces whose task queue this machine serves (imc.ts list, under LOCK)
//  +44  LOCK      spinlock for IFACES
//  +48  load data, written by the manager at each tick under its lock:
//       +48 READY (tasks ready at the last tick)  +52 AGE (ticks with ready work waiting)
//       +56 UTIL (busy cores per mille, EWMA)     +60 LOW (ticks below the release threshold)
//  +64  counters, u64, atomic add by any core:
//       +64 TASKS_RUN  +72 CALLS_IN  +80 CALLS_OUT  +88 IMS_SENT  +96 IMS_RECV  +104 SWITCHES_IN
//       +112 GRANTS    +120 REVOKES  +128 NOCORE_NS (time with no core)  +136 NOCORE_SINCE (f64)
//  +144 WAITING   1 while it has work but no core (manager, under its lock)
//  +148 CIFACES   interfaces this machine is the client of (imc.ts list, under LOCK)
//  +156 CORE_EVENTS signals "core granted" / "core revoked" as bits (ims.ts; atomic or by the
//                 manager, xchg 0 by a core of the machine)
//  +152 ARENA     its allocator arena (heap.ts): what its cores allocate while serving it, and
//                 the memory region a kernel machine checks its pointers against. Read-only.
//  +160 IFACE_HASH u64: hash of the igen interface it serves (0: none declared). Written before
//                 boot ends (offerInterface); read by connect (imc.ts interfaceError).

import { heapAlloc, heapArenaNew } from "~lib/rt/heap";
import { load32, add64, load64 } from "~lib/rt/atomic";
import { fail } from "~lib/rt/trap";
import { CORE_COUNT } from "~lib/rt/platform";
import { schedNew, schedSetMachine } from "../aam/sched";
import { TaskFn } from "../aam/task";
import { managerAddMachine, managerMachine, managerMachineCount } from "./manager";
import { bufferSpec, setSpec, recordSpec } from "./validate";

// @ts-ignore: decorator
@inline export const M_ID: usize = 0;
// @ts-ignore: decorator
@inline export const M_FLAGS: usize = 4;
// @ts-ignore: decorator
@inline export const M_SCHED: usize = 8;
// @ts-ignore: decorator
@inline export const M_MIN: usize = 12;
// @ts-ignore: decorator
@inline export const M_MAX: usize = 16;
// @ts-ignore: decorator
@inline export const M_CORES: usize = 20;
// @ts-ignore: decorator
@inline export const M_SIGNALS: usize = 24;
// @ts-ignore: decorator
@inline export const M_TABLE: usize = 28;
// @ts-ignore: decorator
@inline export const M_TABLE_LEN: usize = 32;
// @ts-ignore: decorator
@inline export const M_NAME: usize = 36;
// @ts-ignore: decorator
@inline export const M_IFACES: usize = 40;
// @ts-ignore: decorator
@inline export const M_LOCK: usize = 44;
// @ts-ignore: decorator
@inline export const M_READY: usize = 48;
// @ts-ignore: decorator
@inline export const M_AGE: usize = 52;
// @ts-ignore: decorator
@inline export const M_UTIL: usize = 56;
// @ts-ignore: decorator
@inline export const M_LOW: usize = 60;
// @ts-ignore: decorator
@inline export const M_TASKS_RUN: usize = 64;
// @ts-ignore: decorator
@inline export const M_CALLS_IN: usize = 72;
// @ts-ignore: decorator
@inline export const M_CALLS_OUT: usize = 80;
// @ts-ignore: decorator
@inline export const M_IMS_SENT: usize = 88;
// @ts-ignore: decorator
@inline export const M_IMS_RECV: usize = 96;
// @ts-ignore: decorator
@inline export const M_SWITCHES_IN: usize = 104;
// @ts-ignore: decorator
@inline export const M_GRANTS: usize = 112;
// @ts-ignore: decorator
@inline export const M_REVOKES: usize = 120;
// @ts-ignore: decorator
@inline export const M_NOCORE_NS: usize = 128;
// @ts-ignore: decorator
@inline export const M_NOCORE_SINCE: usize = 136;
// @ts-ignore: decorator
@inline export const M_WAITING: usize = 144;
// @ts-ignore: decorator
@inline export const M_CIFACES: usize = 148;
// @ts-ignore: decorator
@inline export const M_ARENA: usize = 152;
// @ts-ignore: decorator
@inline export const M_CORE_EVENTS: usize = 156;
// @ts-ignore: decorator
@inline export const M_IFACE_HASH: usize = 160;
// @ts-ignore: decorator
@inline export const MACHINE_SIZE: usize = 256;
// @ts-ignore: decorator
@inline export const KERNEL: u32 = 1;
// @ts-ignore: decorator
@inline export const MAX_METHODS: u32 = 64;

/** A machine as the program sees it. */
@unmanaged
export class Machine {
  get id(): u32 { return load<u32>(changetype<usize>(this) + M_ID); }
  get name(): string { return changetype<string>(load<u32>(changetype<usize>(this) + M_NAME)); }
  get kernel(): bool { return (load<u32>(changetype<usize>(this) + M_FLAGS) & KERNEL) != 0; }
  get cores(): u32 { return load32(changetype<usize>(this) + M_CORES); }
  /** Offer `fn` as method `method` (0 .. 63) of this machine's interface. Only before boot ends. */
  offer(method: u32, fn: TaskFn): Machine {
    let m = changetype<usize>(this);
    if (method >= MAX_METHODS) fail("machine " + this.name + ": method " + method.toString() + " out of range 0..63");
    let table = <usize>load<u32>(m + M_TABLE);
    if (load<u32>(table + (<usize>method << 2))) fail("machine " + this.name + ": method " + method.toString() + " offered twice");
    store<u32>(table + (<usize>method << 2), fn.index);
    if (method + 1 > load<u32>(m + M_TABLE_LEN)) store<u32>(m + M_TABLE_LEN, method + 1);
    return this;
  }
  /** Offer `fn` as method `method` taking a buffer: argument `ptrArg` points to the number of
   *  bytes in argument `lenArg`, read (IN), written (OUT) or both (INOUT) by the handler. On a
   *  kernel-level machine calls are checked against the caller's memory and the buffer is
   *  copied in and out (validate.ts); a length above `maxLen` is refused. */
  offerBuffer(method: u32, fn: TaskFn, ptrArg: u32, lenArg: u32, dir: u32, maxLen: u32): Machine {
    this.offer(method, fn);
    setSpec(changetype<usize>(this), method, bufferSpec(ptrArg, lenArg, dir, maxLen));
    return this;
  }
  /** Offer `fn` as method `method` taking an igen call record (docs/igen.md "Call record"):
   *  `spec` is the record spec igen emits (static data, layout in validate.ts), `names` the task's
   *  name and its pointer parameters' names, space-separated, for error messages. On a
   *  kernel-level machine each call's record and pointer parameters are checked against the
   *  caller's memory and copied in and out (validate.ts R1–R5). Only before boot ends. */
  offerRecord(method: u32, fn: TaskFn, spec: usize, names: string): Machine {
    let s = recordSpec(spec, names);
    this.offer(method, fn);
    setSpec(changetype<usize>(this), method, s);
    return this;
  }
  /** Declare the interface this machine serves by its igen hash: connect() with another non-zero
   *  hash is refused (a client built against another version). Only before boot ends. */
  offerInterface(hash: u64): Machine {
    if (hash == 0) fail("machine " + this.name + ": interface hash 0 is reserved (unchecked)");
    store<u64>(changetype<usize>(this) + M_IFACE_HASH, hash);
    return this;
  }
  /** The igen interface hash this machine serves, or 0. */
  get interfaceHash(): u64 { return load<u64>(changetype<usize>(this) + M_IFACE_HASH); }
  /** Counter at offset `off` (M_TASKS_RUN …). */
  counter(off: usize): u64 { return load64(changetype<usize>(this) + off); }
}

/** Declare a machine (from the program's machines() export). */
export function defineMachine(name: string, minCores: u32 = 0, maxCores: u32 = 0, kernel: bool = false, steal: bool = true): Machine {
  if (findMachine(name)) fail("machine " + name + " declared twice");
  let max = maxCores ? min<u32>(maxCores, <u32>CORE_COUNT) : <u32>CORE_COUNT;
  if (minCores > max) fail("machine " + name + ": min cores " + minCores.toString() + " > max " + max.toString());
  let m = heapAlloc(MACHINE_SIZE);
  memory.fill(m, 0, MACHINE_SIZE);
  let table = heapAlloc(<usize>MAX_METHODS << 3);       // handlers, then buffer specs (validate.ts)
  memory.fill(table, 0, <usize>MAX_METHODS << 3);
  store<u32>(m + M_FLAGS, kernel ? KERNEL : 0);
  let s = schedNew(steal);
  schedSetMachine(s, m);
  store<u32>(m + M_SCHED, <u32>s);
  store<u32>(m + M_MIN, minCores);
  store<u32>(m + M_MAX, max);
  store<u32>(m + M_TABLE, <u32>table);
  store<u32>(m + M_ARENA, heapArenaNew());
  store<u32>(m + M_NAME, changetype<u32>(name));
  store<u32>(m + M_ID, managerAddMachine(m));
  return changetype<Machine>(m);
}

/** The machine called `name`, or null. */
export function findMachine(name: string): Machine | null {
  return findMachineUtf16(changetype<usize>(name), <u32>name.length << 1);
}

/** The machine whose name is the `bytes` bytes of UTF-16 at `name` (no string allocated: the
 *  host-call server reads names out of its mailbox), or null. */
export function findMachineUtf16(name: usize, bytes: u32): Machine | null {
  for (let i: u32 = 1; i <= managerMachineCount(); i++) {
    let m = changetype<Machine>(managerMachine(i));
    let have = m.name;
    if (<u32>have.length << 1 == bytes && memory.compare(changetype<usize>(have), name, <usize>bytes) == 0) return m;
  }
  return null;
}

/** Machine by id (1 .. count). */
export function machineById(id: u32): Machine { return changetype<Machine>(managerMachine(id)); }

// @ts-ignore: decorator
@inline export function machineCount(add: usize, off: usize, n: u64): void { add64(add + off, n); }
