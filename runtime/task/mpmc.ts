// mpmc.ts: the bounded multi-producer multi-consumer ring that carries machine calls and their
// results between machines (machine/imc.ts: one task queue and one result queue per interface).
//
// Owns: the ring's layout and its push/pop/len. Not: who may push (the interface's credits
// guarantee a free cell, machine/imc.ts c1), nor the per-core task rings (queue.ts).
//
// Vyukov's ring: every cell carries a sequence number that says whose turn it is.
//  push: pos = TAIL; cell.seq == pos → cmpxchg TAIL pos→pos+1, write value, seq = pos+1.
//  pop:  pos = HEAD; cell.seq == pos+1 → cmpxchg HEAD pos→pos+1, read value, seq = pos+CAP.
// A cell's value is written before its seq (atomic store) publishes it, and read before seq
// hands the cell back to producers.
//
// ╒════════ MPMC ring (cap a power of two) ════════╕
//  +0    HEAD   u32  next cell to pop          cmpxchg: consumers
//  +64   TAIL   u32  next cell to push         cmpxchg: producers
//  +128  CELLS  {seq u32 (atomic), value u32} × cap
// HEAD and TAIL sit on separate cache lines: producers and consumers do not share one.

import { load32, store32, cas32 } from "~lib/rt/atomic";
import { heapAlloc } from "~lib/rt/heap";

// @ts-ignore: decorator
@inline const Q_HEAD: usize = 0;
// @ts-ignore: decorator
@inline const Q_TAIL: usize = 64;
// @ts-ignore: decorator
@inline const Q_CELLS: usize = 128;

/** A ring of `cap` cells (power of two, checked by the caller). */
export function mpmcNew(cap: u32): usize {
  let q = heapAlloc(Q_CELLS + (<usize>cap << 3));
  store32(q + Q_HEAD, 0);
  store32(q + Q_TAIL, 0);
  for (let i: u32 = 0; i < cap; i++) store32(q + Q_CELLS + (<usize>i << 3), i);
  return q;
}

/** Push `v`. Credits guarantee a free cell, but a pop that claimed HEAD and has not yet released
 *  its cell looks like a full ring for a moment: wait for it rather than fail. Only a ring that
 *  stays full (a bug) ends in false. */
export function mpmcPush(q: usize, cap: u32, v: usize): bool {
  let pos = load32(q + Q_TAIL);
  let spins = 0;
  while (true) {
    let cell = q + Q_CELLS + (<usize>(pos & (cap - 1)) << 3);
    let dif = <i32>(load32(cell) - pos);
    if (dif == 0) {
      let seen = cas32(q + Q_TAIL, pos, pos + 1);
      if (seen == pos) { store<u32>(cell + 4, <u32>v); store32(cell, pos + 1); return true; }
      pos = seen;
    } else if (dif < 0) {
      if (++spins > 100000000) return false;
      pos = load32(q + Q_TAIL);
    } else pos = load32(q + Q_TAIL);
  }
}

/** Pop the oldest value, or 0 when the ring is empty. */
export function mpmcPop(q: usize, cap: u32): usize {
  let pos = load32(q + Q_HEAD);
  while (true) {
    let cell = q + Q_CELLS + (<usize>(pos & (cap - 1)) << 3);
    let dif = <i32>(load32(cell) - (pos + 1));
    if (dif == 0) {
      let seen = cas32(q + Q_HEAD, pos, pos + 1);
      if (seen == pos) { let v = <usize>load<u32>(cell + 4); store32(cell, pos + cap); return v; }
      pos = seen;
    } else if (dif < 0) return 0;
    else pos = load32(q + Q_HEAD);
  }
}

/** Values in the ring (a snapshot). */
// @ts-ignore: decorator
@inline export function mpmcLen(q: usize): u32 { return load32(q + Q_TAIL) - load32(q + Q_HEAD); }
