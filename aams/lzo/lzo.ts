// lzo.ts: machine "lzo": LZO1X and the lzop container as a user-level machine (interface
// lzo.idl). Owns: the handlers igen's server dispatches to, and defineLzo(), which a program calls
// from its machines() export. Not: the formats (lzo1x.ts, lzop.ts), streams (stream.ts).
//
// Every call is independent (the caller holds all stream state), so the machine keeps nothing
// between calls and any number of its cores may serve calls at once. A call that cannot complete
// fails with a message naming what is wrong and where (the caller sees call.failed / call.error,
// or its sync call traps with "lzo.<task>: <message>"); the machine goes on serving. Handlers
// allocate only the compressor's hash table, freed before they return, and fail only before
// allocating or after freeing, so a failed call leaks nothing.
//
// The message of a failed call is built in one heap block (the runtime's Text builder) that the
// call takes over and frees with itself: `fail("a" + b)` would leave its strings in the machine's
// heap (there is no collector): lzo1x.ts's msg/failWith, over "aam"'s text and failOwned.

import { Machine, MachineOptions, defineMachine, heapAlloc, heapFree } from "aam";
import { LzopHeader, LzopBlock } from "./lzo_igen_client";
import { offerLzo } from "./lzo_igen_server";
import { lzo1xBound, lzo1xCompress, lzo1xDecompress, LZO1X_SCRATCH, msg, failWith } from "./lzo1x";
import { headerWrite, headerRead, blockWrite, blockRead } from "./lzop";

function compress(src: usize, n: u32, dst: usize, cap: u32): u32 {
  if (cap < lzo1xBound(n)) failWith(msg("lzo: compress: the buffer of ").dec(cap).s(" bytes is under the ").dec(lzo1xBound(n)).s(" that ").dec(n).s(" bytes may need"));
  let table = heapAlloc(LZO1X_SCRATCH);
  let len = lzo1xCompress(src, n, dst, table);
  heapFree(table);
  return len;
}

function decompress(src: usize, n: u32, dst: usize, cap: u32): u32 {
  return lzo1xDecompress(src, n, dst, cap, 0);
}

function headerWrite$(h: LzopHeader, dst: usize, cap: u32): u32 { return headerWrite(h, dst, cap); }
function headerRead$(src: usize, n: u32, h: LzopHeader): u32 { return headerRead(src, n, h); }
function blockWrite$(src: usize, n: u32, flags: u32, dst: usize, cap: u32): u32 { return blockWrite(src, n, flags, dst, cap); }
function blockRead$(src: usize, n: u32, flags: u32, at: u64, dst: usize, cap: u32, b: LzopBlock): void {
  blockRead(src, n, flags, at, dst, cap, b);
}

/** Defines machine `name` (default "lzo") serving lzo.idl. Call from machines(). */
export function defineLzo(options: MachineOptions = {}, name: string = "lzo"): Machine {
  return offerLzo(defineMachine(name, options), compress, decompress, headerWrite$, headerRead$, blockWrite$, blockRead$);
}

