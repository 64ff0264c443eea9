// machine.ts: machines, the unit the Machine Manager gives cores to.
//
// Owns: creating a machine (its record, scheduler instance, task table, arena) and the program's
// API to declare machines, offer tasks, read their counters and look machines up. Not: the
// record's layout (runtime/abi.json) and the table (record.ts), which cores a machine holds
// (manager.ts decides, policy.ts advises), signals (ims.ts), interfaces (imc.ts).
//
// A machine is created at boot from the program's optional `machines()` export (run once, on
// core 0, before any core serves a machine). Programs that declare no machine run everything in
// the built-in machine 1, "main", on every core.
//
// The machine record is part of the image↔host contract: runtime/abi.json (M_*).

import { heapAlloc, heapArenaNew } from "~lib/rt/heap";
import { load32, load64 } from "~lib/rt/atomic";
import { fail } from "~lib/rt/trap";
import { CORE_COUNT } from "~lib/rt/platform";
import { platform } from "~lib/rt/platform";
import { SCB_SCHED_STATE, M_ID, M_FLAGS, M_SCHED, M_MIN, M_MAX, M_CORES, M_TABLE, M_TABLE_LEN, M_NAME, M_ARENA, M_IFACE_HASH, MACHINE_SIZE,
  M_TASKS_RUN, M_CALLS_IN, M_CALLS_OUT, M_IMS_SENT, M_IMS_RECV, M_SWITCHES_IN, M_GRANTS, M_REVOKES, M_NOCORE_NS, M_NOCORE_SINCE,
  MAX_MACHINES, FC_MACHINE, FC_MACH_PENDING, FC_CALLS_IN_PENDING, FC_CALLS_OUT_PENDING, FC_FLUSH_SEQ } from "~lib/rt/abi";
import { coreRec } from "~lib/rt/layout";
import { schedNew, schedSetMachine } from "../sched/sched";
import { TaskFn } from "../task/task";
import { KERNEL, MAX_METHODS, machineTableAdd, machineTableCount, machineAt } from "./record";
import { bufferSpec, setSpec, IN, INOUT } from "./validate";

// A machine counter: its word plus the pending counts of the cores serving it now, read again
// while a core flushes (core.ts flushMachineCount: FLUSH_SEQ odd, or changed between the
// reads), so a count is neither missed nor counted twice. A core that leaves the machine
// flushes first, so one that no longer names it holds nothing of it.
function pendingSum(m: Machine, counter: usize, pending: usize): u64 {
  let a = changetype<usize>(m), id = load32(a + M_ID);
  while (true) {
    let odd = false, seqs: u64 = 0;                  // their sum is enough: each word only grows
    for (let c = 0; c < CORE_COUNT; c++) { let q = load32(coreRec(c) + FC_FLUSH_SEQ); odd = odd || (q & 1) != 0; seqs += <u64>q; }
    if (odd) continue;
    let k = load64(a + counter);
    for (let c = 0; c < CORE_COUNT; c++) {
      let rec = coreRec(c);
      if (load32(rec + FC_MACHINE) == id) k += load64(rec + pending);
    }
    let again: u64 = 0;
    for (let c = 0; c < CORE_COUNT; c++) again += <u64>load32(coreRec(c) + FC_FLUSH_SEQ);
    if (again == seqs) return k;
  }
}

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

  // Counters: atomic adds by any core; read at any time. The first three are counted per core
  // and added to the machine's word now and then (machine/core.ts flushMachineCount): a read
  // adds the counts of the cores serving the machine now (pendingSum).
  /** Tasks run. */
  get tasksRun(): u64 { return pendingSum(this, M_TASKS_RUN, FC_MACH_PENDING); }
  /** Calls taken from its interfaces (as a server). */
  get callsIn(): u64 { return pendingSum(this, M_CALLS_IN, FC_CALLS_IN_PENDING); }
  /** Calls issued by its tasks (as a client). */
  get callsOut(): u64 { return pendingSum(this, M_CALLS_OUT, FC_CALLS_OUT_PENDING); }
  /** Inter-machine signals sent and received (ims.ts). */
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
    if (arg == 0 || arg > <u64>machineTableCount()) fail("Machine.fromArg: no machine with id " + arg.toString() + " (1.." + machineTableCount().toString() + ")");
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
  if (machineTableCount() >= MAX_MACHINES) fail("machine " + name + ": more than " + MAX_MACHINES.toString() + " machines (main included)");
  let max = maxCores ? min<u32>(maxCores, <u32>CORE_COUNT) : <u32>CORE_COUNT;
  if (minCores > max) fail("machine " + name + ": min cores " + minCores.toString() + " > max " + max.toString());
  let m = heapAlloc(MACHINE_SIZE);
  memory.fill(m, 0, MACHINE_SIZE);
  let table = heapAlloc(<usize>MAX_METHODS << 3);       // handlers, then buffer specs (validate.ts)
  memory.fill(table, 0, <usize>MAX_METHODS << 3);
  store<u32>(m + M_FLAGS, kernel ? KERNEL : 0);
  let s = schedNew(steal);
  store<u32>(m + M_SCHED, <u32>s);
  store<u32>(m + M_MIN, minCores);
  store<u32>(m + M_MAX, max);
  store<u32>(m + M_TABLE, <u32>table);
  store<u32>(m + M_ARENA, heapArenaNew());
  store<u32>(m + M_NAME, changetype<u32>(name));
  let id = machineTableAdd(m);
  store<u32>(m + M_ID, id);
  schedSetMachine(s, m, id, load<u32>(m + M_ARENA));
  return changetype<Machine>(m);
}

/** The machine called `name`, or null. */
export function findMachine(name: string): Machine | null {
  return findMachineUtf16(changetype<usize>(name), <u32>name.length << 1);
}

/** The machine whose name is the `bytes` bytes of UTF-16 at `name` (no string allocated: the
 *  host-call server reads names out of its mailbox), or null. */
export function findMachineUtf16(name: usize, bytes: u32): Machine | null {
  for (let i: u32 = 1; i <= machineTableCount(); i++) {
    let m = changetype<Machine>(machineAt(i));
    let have = m.name;
    if (<u32>have.length << 1 == bytes && memory.compare(changetype<usize>(have), name, <usize>bytes) == 0) return m;
  }
  return null;
}

/** Machine by id (1 .. count). */
export function machineById(id: u32): Machine { return changetype<Machine>(machineAt(id)); }

// Total time machine `m` spent with no core, up to now (ns).
function noCoreNs(m: usize): u64 {
  let t = load64(m + M_NOCORE_NS);
  let since = load<f64>(m + M_NOCORE_SINCE);
  if (since > 0) t += <u64>(platform.now_ns() - since);
  return t;
}
