// record.ts: the machine record and the manager record, and the table of all machines.
//
// Owns: both layouts (what each word is, who writes it, who reads it and how) and the machine
// table inside the manager record (add, count, look up by id). Every module of the machine layer
// and the hosts' --stats readers use these offsets. Not: what the words mean to a decision
// (manager.ts, policy.ts) or to the program (machine.ts).
//
// ╒════════ machine record (256 bytes) ════════╕
//  +0   ID        1.. (index in the manager's table + 1). Read-only after creation.
//  +4   FLAGS     KERNEL = 1. Read-only.
//  +8   SCHED     its scheduler record (sched/sched.ts). Read-only.
//  +12  MIN       +16 MAX   cores it must keep / may hold. Read-only.
//  +20  CORES     cores held now. Written by the manager under its lock; read by anyone.
//  +24  SIGNALS   IMS buffer: stack of signal records (ims.ts): pushed by any core (cmpxchg),
//                 taken whole by a core of the machine (xchg).
//  +28  TABLE     task table: fn indices by method number (heap array). Written before boot ends.
//  +32  TABLE_LEN
//  +36  NAME      AssemblyScript string (static data). Read-only.
//  +40  IFACES    interfaces whose task queue this machine serves (imc.ts list, under LOCK)
//  +44  LOCK      spinlock for IFACES and CIFACES (rt/atomic.ts lock order: 2)
//  +48  load data, written by the manager at each tick under its lock:
//       +48 READY (tasks ready at the last tick)  +52 AGE (ticks with ready work waiting)
//       +56 UTIL (busy cores per mille, EWMA)     +60 LOW (ticks below the release threshold)
//  +64  counters, u64, atomic add by any core:
//       +64 TASKS_RUN  +72 CALLS_IN  +80 CALLS_OUT  +88 IMS_SENT  +96 IMS_RECV  +104 SWITCHES_IN
//       +112 GRANTS    +120 REVOKES  +128 NOCORE_NS (time with no core)  +136 NOCORE_SINCE (f64)
//  +144 WAITING   1 while it has work but no core (manager, under its lock)
//  +148 CIFACES   interfaces this machine is the client of (imc.ts list, under LOCK)
//  +152 ARENA     its allocator arena (rt/heap.ts): what its cores allocate while serving it, and
//                 the memory region a kernel machine checks its pointers against. Read-only.
//  +156 (unused)
//  +160 IFACE_HASH u64: hash of the igen interface it serves (0: none declared). Written before
//                 boot ends (offerInterface); read by connect (imc.ts interfaceError).
//
// ╒════════ manager record ════════╕
//  +0    LOCK       spinlock of decisions and assignment changes (rt/atomic.ts lock order: 1)
//  +4    NMACH      machines in the table (written at boot only)
//  +8    TICKS      ticks run (under LOCK; atomic load by anyone)
//  +12   IDLE       idle cores published to the machines (under LOCK)
//  +16   LAST_TICK  f64 ns of the last tick (under LOCK; racy read to decide whether to try)
//  +24   TICK_NS    f64 tick period (AAM_TICK_US, default 1000 µs)
//  +32   MACH[32]   machine records, index id−1
//  +160  ASSIGN[64] machine id served by core c, 0 = none. Manager writes, core c reads.
//  +416  BUSY[64]   1 while core c runs tasks, 0 while it idles. Core c writes, tick reads.
//  +672  STATIC     1 when the program declared no machine: "main" keeps every core, no policy
//  +676  STALL      the stall detector's state (stall.ts; written once at boot)

import { load32 } from "~lib/rt/atomic";
import { fail } from "~lib/rt/trap";
import { FW_MANAGER } from "~lib/rt/layout";

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
@inline export const M_IFACE_HASH: usize = 160;
// @ts-ignore: decorator
@inline export const MACHINE_SIZE: usize = 256;
// @ts-ignore: decorator
@inline export const KERNEL: u32 = 1;
// @ts-ignore: decorator
@inline export const MAX_METHODS: u32 = 64;

// @ts-ignore: decorator
@inline export const G_LOCK: usize = 0;
// @ts-ignore: decorator
@inline export const G_NMACH: usize = 4;
// @ts-ignore: decorator
@inline export const G_TICKS: usize = 8;
// @ts-ignore: decorator
@inline export const G_IDLE: usize = 12;
// @ts-ignore: decorator
@inline export const G_LAST_TICK: usize = 16;
// @ts-ignore: decorator
@inline export const G_TICK_NS: usize = 24;
// @ts-ignore: decorator
@inline export const G_MACH: usize = 32;
// @ts-ignore: decorator
@inline export const G_ASSIGN: usize = 160;
// @ts-ignore: decorator
@inline export const G_BUSY: usize = 416;
// @ts-ignore: decorator
@inline export const G_STATIC: usize = 672;
// @ts-ignore: decorator
@inline export const G_STALL: usize = 676;
// @ts-ignore: decorator
@inline export const MANAGER_SIZE: usize = 704;
// @ts-ignore: decorator
@inline export const MAX_MACHINES: u32 = 32;

// The manager record, once boot created it (FW MANAGER: written once before the boot barrier).
// @ts-ignore: decorator
@inline export function managerRecord(): usize { return <usize>load32(FW_MANAGER); }

/** Add machine `m` to the table (boot, one core); returns its id. */
export function machineTableAdd(m: usize): u32 {
  let g = managerRecord();
  let n = load<u32>(g + G_NMACH);
  if (n >= MAX_MACHINES) fail("manager: more than " + MAX_MACHINES.toString() + " machines");
  store<u32>(g + G_MACH + (<usize>n << 2), <u32>m);
  store<u32>(g + G_NMACH, n + 1);
  return n + 1;
}
/** Machines in the table. */
export function machineTableCount(): u32 { let g = managerRecord(); return g ? load<u32>(g + G_NMACH) : 0; }
/** The machine record with id `id` (1 .. count). */
// @ts-ignore: decorator
@inline export function machineAt(id: u32): usize { return <usize>load<u32>(managerRecord() + G_MACH + (<usize>(id - 1) << 2)); }
