// block.ts: machine "block", a kernel-level machine serving block.idl over the virtio block
// device the host attached (`aam run|boot prog.ts --disk img[:ro]`).
//
// Owns: defineBlock(), which a program (or a machine built on it, such as a file system) calls
// from its machines() export, and the handlers: each checks its request (count, range, read-only)
// and runs it through the driver; the answer is 0 or a negative POSIX errno (block.idl), never a
// failed call, so a caller can tell a refusal from a device error by its number. Pointer
// arguments are checked and copied by the kernel before a handler runs (the IDL declares the
// machine [[kernel]]): a buffer outside the caller's memory fails the call itself.
// Not: the device protocol (driver.ts), the client API programs use (client.ts: BlockClient).
//
// Several requests are in flight at once: every call is a task of the machine, and a task waiting
// for the device blocks only itself (driver.ts step 3).

import { Machine, MachineOptions, defineMachine } from "aam";
import { BlockInfo } from "./block.igen.client";
import { offerBlock } from "./block.igen.server";
import { blockDriverInit, blockRequest, diskSectors, diskReadOnly, T_IN, T_OUT, T_FLUSH } from "./driver";

// @ts-ignore: decorator
@inline export const SECTOR: u32 = 512;
// @ts-ignore: decorator
@inline export const MAX_SECTORS: u32 = 2048;
// @ts-ignore: decorator
@inline export const EIO: i32 = -5;
// @ts-ignore: decorator
@inline export const ENODEV: i32 = -19;
// @ts-ignore: decorator
@inline export const EINVAL: i32 = -22;
// @ts-ignore: decorator
@inline export const EROFS: i32 = -30;

function info$(info: BlockInfo): void {
  info.sectors = diskSectors();
  info.read_only = diskReadOnly() ? 1 : 0;
  info.max_sectors = MAX_SECTORS;
}

// The checks every read and write makes, then the request.
function transfer(type: u32, lba: u64, count: u32, buf: usize, bytes: u32): i32 {
  let sectors = diskSectors();
  if (sectors == 0) return ENODEV;
  if (count == 0 || count > MAX_SECTORS || <u64>bytes != <u64>count * SECTOR) return EINVAL;
  if (lba >= sectors || <u64>count > sectors - lba) return EINVAL;
  if (type == T_OUT && diskReadOnly()) return EROFS;
  return blockRequest(type, lba, buf, bytes) == 0 ? 0 : EIO;
}

function read$(lba: u64, count: u32, buf: usize, bytes: u32): i32 { return transfer(T_IN, lba, count, buf, bytes); }
function write$(lba: u64, count: u32, buf: usize, bytes: u32): i32 { return transfer(T_OUT, lba, count, buf, bytes); }

function flush$(): i32 {
  if (diskSectors() == 0) return ENODEV;
  if (diskReadOnly()) return 0;                 // nothing was written
  return blockRequest(T_FLUSH, 0, 0, 0) == 0 ? 0 : EIO;
}

/** Defines machine `name` (default "block") serving block.idl and brings up the first virtio
 *  block device, if the host attached one (without one, every task answers ENODEV and
 *  BlockClient.open() returns null). Kernel-level, always; by default it holds no core while
 *  idle and at most one (the driver takes an interrupt on whichever core it holds). Call from
 *  machines(). */
export function defineBlock(options: MachineOptions = { minCores: 0, maxCores: 1, kernel: true, steal: true }, name: string = "block"): Machine {
  options.kernel = true;
  let m = offerBlock(defineMachine(name, options), info$, read$, write$, flush$);
  blockDriverInit(m);
  return m;
}
