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
//                 boot ends (igen.ts igenOfferInterface); read by connect (imc.ts interfaceError).

import { heapAlloc, heapArenaNew } from "~lib/rt/heap";
import { load32, add64, load64 } from "~lib/rt/atomic";
import { fail } from "~lib/rt/trap";
import { CORE_COUNT } from "~lib/rt/platform";
import { schedNew, schedSetMachine } from "../aam/sched";
import { TaskFn } from "../aam/task";
import { SCB_SCHED_STATE } from "~lib/rt/layout";
import { managerAddMachine, managerMachine, managerMachineCount, noCoreNs, MAX_MACHINES } from "./manager";
import { bufferSpec, setSpec, IN, INOUT } from "./validate";

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

/** How a machine is defined: `defineMachine(name, { maxCores: 2, kernel: true })`. Only at
 *  definition time (an options object is allocated once per machine, never per call). */
export class MachineOptions {
  /** Cores the machine keeps even when idle (0: it may be left with none). */
  minCores: u32 = 0;
  /** Cores it may hold at most (0: every core). */
  maxCores: u32 = 0;
  /** A kernel-level machine: every call is checked against the caller's memory before its
   *  handler runs (buffers: offerBuffer). */
  kernel: bool = false;
  /** Idle cores of the machine take tasks from its busy cores' queues. */
  steal: bool = true;
}

/** A buffer argument of a method (Machine.offerBuffer): argument `ptrArg` is the address of
 *  `lenArg` bytes, read by the handler (IN), written (OUT) or both (INOUT). */
export class BufferOptions {
  /** Which task argument (0..2) holds the buffer's address. */
  ptrArg: u32 = 0;
  /** Which task argument (0..2) holds its length in bytes. */
  lenArg: u32 = 1;
  /** IN, OUT or INOUT (required). */
  dir: u32 = 0;
  /** Longest buffer accepted, in bytes (at most 16 MiB − 1). */
  maxLen: u32 = 0xFFFFFF;
}

/** A machine as the program sees it. */
@unmanaged
export class Machine {
  get id(): u32 { return load<u32>(changetype<usize>(this) + M_ID); }
  get name(): string { return changetype<string>(load<u32>(changetype<usize>(this) + M_NAME)); }
  get kernel(): bool { return (load<u32>(changetype<usize>(this) + M_FLAGS) & KERNEL) != 0; }
  get cores(): u32 { return load32(changetype<usize>(this) + M_CORES); }
  get minCores(): u32 { return load<u32>(changetype<usize>(this) + M_MIN); }
  get maxCores(): u32 { return load<u32>(changetype<usize>(this) + M_MAX); }
  /** Offer `fn` as method `method` (0 .. 63) of this machine's interface. Only in machines(). */
  offer(method: u32, fn: TaskFn): Machine {
    let m = changetype<usize>(this);
    if (load32(SCB_SCHED_STATE) == 2) fail("machine " + this.name + ": method " + method.toString() + " offered after boot (offer from machines())");
    if (method >= MAX_METHODS) fail("machine " + this.name + ": method " + method.toString() + " out of range 0..63");
    let table = <usize>load<u32>(m + M_TABLE);
    if (load<u32>(table + (<usize>method << 2))) fail("machine " + this.name + ": method " + method.toString() + " offered twice");
    store<u32>(table + (<usize>method << 2), fn.index);
    if (method + 1 > load<u32>(m + M_TABLE_LEN)) store<u32>(m + M_TABLE_LEN, method + 1);
    return this;
  }
  /** Offer `fn` as method `method` taking a buffer (BufferOptions). On a kernel-level machine
   *  calls are checked against the caller's memory and the buffer is copied in and out
   *  (validate.ts); a length above `maxLen` is refused. A user-level machine checks nothing. */
  offerBuffer(method: u32, fn: TaskFn, buffer: BufferOptions): Machine {
    let what = "machine " + this.name + ": offerBuffer(" + method.toString() + ")";
    if (buffer.ptrArg > 2 || buffer.lenArg > 2 || buffer.ptrArg == buffer.lenArg) {
      fail(what + ": ptrArg " + buffer.ptrArg.toString() + " and lenArg " + buffer.lenArg.toString() + " must be two different arguments 0..2");
    }
    if (buffer.dir < IN || buffer.dir > INOUT) fail(what + ": dir " + buffer.dir.toString() + " is not IN, OUT or INOUT");
    this.offer(method, fn);
    setSpec(changetype<usize>(this), method, bufferSpec(buffer.ptrArg, buffer.lenArg, buffer.dir, buffer.maxLen));
    return this;
  }
  /** The igen interface hash this machine serves, or 0. */
  get interfaceHash(): u64 { return load<u64>(changetype<usize>(this) + M_IFACE_HASH); }

  // Counters: atomic adds by any core; read at any time.
  /** Tasks run (each core adds its count every 1024 tasks and when it leaves the machine). */
  get tasksRun(): u64 { return load64(changetype<usize>(this) + M_TASKS_RUN); }
  /** Calls taken from its interfaces' task queues (as a server). */
  get callsIn(): u64 { return load64(changetype<usize>(this) + M_CALLS_IN); }
  /** Calls issued by its tasks (as a client). */
  get callsOut(): u64 { return load64(changetype<usize>(this) + M_CALLS_OUT); }
  /** Inter-machine signals sent and received (kernel/ims.ts). */
  get imsSent(): u64 { return load64(changetype<usize>(this) + M_IMS_SENT); }
  get imsReceived(): u64 { return load64(changetype<usize>(this) + M_IMS_RECV); }
  /** Times a core switched to this machine. */
  get switchesIn(): u64 { return load64(changetype<usize>(this) + M_SWITCHES_IN); }
  /** Cores the manager granted to it and took from it. */
  get grants(): u64 { return load64(changetype<usize>(this) + M_GRANTS); }
  get revokes(): u64 { return load64(changetype<usize>(this) + M_REVOKES); }
  /** Nanoseconds it spent with no core, up to now. */
  get noCoreNs(): u64 { return noCoreNs(changetype<usize>(this)); }

  /** This machine as a task argument (its id): `spawn(fn, m.asArg())`, then `Machine.fromArg(t.arg0)`. */
  asArg(): u64 { return <u64>load<u32>(changetype<usize>(this) + M_ID); }
  /** The machine a task argument made by asArg() names. */
  static fromArg(arg: u64): Machine {
    if (arg == 0 || arg > <u64>managerMachineCount()) fail("Machine.fromArg: no machine with id " + arg.toString() + " (1.." + managerMachineCount().toString() + ")");
    return machineById(<u32>arg);
  }
}

/** Declare a machine (only from the program's machines() export). */
export function defineMachine(name: string, options: MachineOptions = {}): Machine {
  if (load32(SCB_SCHED_STATE) == 2) fail("defineMachine: machine " + name + " defined after boot (define machines in the machines() export)");
  return machineNew(name, options.minCores, options.maxCores, options.kernel, options.steal);
}

/** A new machine record (defineMachine; boot.ts for the built-in "main"). */
export function machineNew(name: string, minCores: u32, maxCores: u32, kernel: bool, steal: bool): Machine {
  if (findMachine(name)) fail("machine " + name + " declared twice");
  if (managerMachineCount() >= MAX_MACHINES) fail("machine " + name + ": more than " + MAX_MACHINES.toString() + " machines (main included)");
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
