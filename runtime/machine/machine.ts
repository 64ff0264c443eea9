// machine.ts: machines, the unit the Machine Manager gives cores to.
//
// Owns: creating a machine (its record, scheduler instance, task table, arena) and the program's
// API to declare machines, offer tasks and look machines up. Not: the record's layout and the table (record.ts), which cores a machine holds
// (manager.ts decides, policy.ts advises), signals (ims.ts), interfaces (imc.ts).
//
// A machine is created at boot from the program's optional `machines()` export (run once, on
// core 0, before any core serves a machine). Programs that declare no machine run everything in
// the built-in machine 1, "main", on every core.
//
// The machine record is drawn in record.ts.

import { heapAlloc, heapArenaNew } from "~lib/rt/heap";
import { load32, add64, load64 } from "~lib/rt/atomic";
import { fail } from "~lib/rt/trap";
import { CORE_COUNT } from "~lib/rt/platform";
import { schedNew, schedSetMachine } from "../sched/sched";
import { TaskFn } from "../task/task";
import { M_ID, M_FLAGS, M_SCHED, M_MIN, M_MAX, M_CORES, M_TABLE, M_TABLE_LEN, M_NAME, M_ARENA, M_IFACE_HASH, MACHINE_SIZE } from "~lib/rt/abi";
import { KERNEL, MAX_METHODS, machineTableAdd, machineTableCount, machineAt } from "./record";
import { bufferSpec, setSpec, recordSpec } from "./validate";

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

