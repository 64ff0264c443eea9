// record.ts: the table of all machines, and what only the image knows of a machine record.
//
// Owns: the machine table inside the manager record (add, count, look up by id) and the image's
// own constants of a machine (KERNEL, MAX_METHODS). Not: what the words mean to a decision
// (manager.ts, policy.ts) or to the program (machine.ts).
//
// Both layouts are part of the image↔host contract (the hosts read them for --stats): they are
// drawn, with who writes and reads each word, in runtime/abi.json and its generated
// runtime/rt/abi.ts (M_* for the machine record, MGR_* for the manager record). This file keeps
// what only the image needs: the record's flags and limits, and the table's accessors.

import { load32 } from "~lib/rt/atomic";
import { fail } from "~lib/rt/trap";
import { FW_MANAGER, MGR_NMACH, MGR_MACH, MAX_MACHINES } from "~lib/rt/abi";

// @ts-ignore: decorator
@inline export const KERNEL: u32 = 1;
// @ts-ignore: decorator
@inline export const MAX_METHODS: u32 = 64;

// The manager record, once boot created it (FW MANAGER: written once before the boot barrier).
// @ts-ignore: decorator
@inline export function managerRecord(): usize { return <usize>load32(FW_MANAGER); }

/** Add machine `m` to the table (boot, one core); returns its id. */
export function machineTableAdd(m: usize): u32 {
  let g = managerRecord();
  let n = load<u32>(g + MGR_NMACH);
  if (n >= MAX_MACHINES) fail("manager: more than " + MAX_MACHINES.toString() + " machines");
  store<u32>(g + MGR_MACH + (<usize>n << 2), <u32>m);
  store<u32>(g + MGR_NMACH, n + 1);
  return n + 1;
}
/** Machines in the table. */
export function machineTableCount(): u32 { let g = managerRecord(); return g ? load<u32>(g + MGR_NMACH) : 0; }
/** The machine record with id `id` (1 .. count). */
// @ts-ignore: decorator
@inline export function machineAt(id: u32): usize { return <usize>load<u32>(managerRecord() + MGR_MACH + (<usize>(id - 1) << 2)); }
