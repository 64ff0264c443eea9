// trace.ts: trace points. With `aam build --trace` (AAM_TRACE defined) each core writes events
// into its own ring in shared memory and the host drains the rings while the system runs; without
// it TRACE is a compile-time false, every `if (TRACE) trace…(…)` call site folds away and the image
// carries no trace code at all (tests/trace checks the image).
//
// Owns: the per-core event rings, the event clock, flow ids for IMS arrows. Not: which events
// exist (runtime/trace-events.json, turned into ~lib/aam/trace_events by the build), decoding and
// output formats (tools/trace), the host's drain loop (tools/host/trace.ts, the QEMU shim's
// streamer).
//
// Protocol (one ring per core; the core is the only producer, the host the only consumer):
//  1. At boot each core allocates its ring and publishes it in its core record (FC_TRACE_RING,
//     atomic store); the host polls that word until it is non-zero.
//  2. Producer: a record that does not fit (HEAD − TAIL + its slots > CAP) is dropped and LOST += 1
//     (the core's own word, atomic store): a full ring never blocks a core and never overwrites
//     what the host has not read. Else its slots are written with plain stores. A full record then
//     publishes HEAD (atomic store: it orders every slot before it, compact ones included, for the
//     host's atomic load); a compact record does not. So the host sees compact records at the
//     next full one: at most CLOCK_EVERY slots later, when the core idles (traceSync), or when
//     it stops (traceFlush: exit, and the host calls aam_trace_flush on a core that trapped).
//  3. Consumer: load HEAD (atomic), copy slots TAIL..HEAD, then store TAIL (atomic): the slots
//     are the producer's again. HEAD only ever ends a whole record. The producer reloads TAIL
//     only when its cached limit is reached.
//  4. Last drain: once the producer has stopped (Node: its worker terminated; QEMU: at exit, the
//     other cores' stores ordered by wasm2c's volatile accesses and x86), the consumer copies up
//     to SHADOW's count instead of HEAD and appends SHADOW's pending close as a compact record:
//     a core busy when the system stopped loses none of its last records.
//
// Cost. The local task benchmark has 4 task events per spawn+wait of ~180 ns, and the goal is
// ≤ 10 % for all of them: a few ns each. An opening is therefore two plain 8-byte stores (its
// slot, SHADOW) and one branch, no clock read and no atomic (i32.atomic.store is an xchg on x86:
// a full barrier); a close is a global and SHADOW (it rides in the next record). Measured (docs/BENCHMARKS.md), on the
// batched spawn+wait: 32-byte events with an atomic HEAD store each +45…60 %; compact records
// +10 %; closes folded in, and the SHADOW store, +6.5…7.3 %.
//
// Clock. A wasm→host clock read costs ~60 ns on the Node host, more than a task switch's
// budget. So task events have no time of their own: every slot at a multiple of CLOCK_EVERY is a
// full record with a clock reading instead, and the host spreads the compact records evenly
// between the exact readings around them (monotonic per core by construction). Rare events
// (grants, IMS, park, manager decisions) are full records, always exact, and a core that runs
// out of work records a `clock` event if compact records came after the last reading, so that
// their spread ends where the work ended. Rejected: a host thread writing the time into shared
// memory (it would spin a core of a 2-core machine, or be as coarse as its sleep), per-event
// clock reads (+240 ns per spawn+wait), and one 32-byte record for every event (above).
//
// ╒════════ trace ring (per core; 128-byte header, then CAP 8-byte slots) ════════╕
//  +0   HEAD   slots published     core: atomic store after a full record and on a full ring;
//                                  host: atomic load
//  +4   LOST   records dropped     core: atomic store; host: atomic load
//  +8   CAP    slots in the ring (power of two); written once before publishing
//  +16  TAIL   slots consumed      host: atomic store; core: atomic load when it looks full
//  +64  SHADOW u64: slots written (low), pending close (high: 0, 1 << 5 end, 2 << 5 block)
//              core: plain 8-byte store after every record and close (its own cache line);
//              host: read once, in the last drain (step 4)
//  +128 SLOTS[CAP], records back to back (a record may wrap past the end):
//   compact, 1 slot, a task event (fields that fit, task 16-aligned):
//        bits 0–4 type   5–6 close folded in (0 none, 1 task_end, 2 task_block)   7: 1 (compact)
//        8–19 a (machine)   20–35 b (fn)   36–63 c (task >> 4); a task_end/block: no fields
//        (those of the slice it closes, the last this core opened)
//   full, 4 slots, any event, exact time (runtime/abi.json records "trec" and "tc"):
//        +0 type u32 (bit 7: 0)   +4 a u32   +8 b u32   +12 c u32   +16 ts f64 (ns)   +24 d f64

import { CORE_ID, platform } from "~lib/rt/platform";
import { coreRec, DEBUG } from "~lib/rt/layout";
import { FC_TRACE_RING, FW_TRACE_FLOW, RING_HEAD, RING_LOST, RING_CAP, RING_TAIL, RING_SHADOW, RING_HEADER, TRACE_SLOT, TREC_SIZE,
  TC_COMPACT, TC_CLOSE_END, TC_CLOSE_BLOCK, TC_A_SHIFT, TC_A_BITS, TC_B_SHIFT, TC_B_BITS, TC_C_SHIFT, TC_C_DROP } from "~lib/rt/abi";
import { load32, store32, add32 } from "~lib/rt/atomic";
import { heapAlloc } from "~lib/rt/heap";
import { EV_CLOCK, EV_TASK_END, EV_TASK_BLOCK } from "./trace_events";

/** Tracing compiled in: `aam build --trace` (--define AAM_TRACE=1). */
// @ts-ignore: decorator
@inline export const TRACE: bool = isDefined(AAM_TRACE);
/** Ring capacity in 8-byte slots: `--define AAM_TRACE_SLOTS=N` (power of two ≥ 8, default 2^17 = 1 MiB). */
// @ts-ignore: decorator
@inline const CAP: u32 = isDefined(AAM_TRACE_SLOTS) ? <u32>AAM_TRACE_SLOTS : 131072;
// @ts-ignore: decorator
@inline const MASK: u32 = CAP - 1;
// @ts-ignore: decorator
@inline const CLOCK_EVERY: u32 = 64;
// Slots of a full record.
// @ts-ignore: decorator
@inline const FULL: u32 = <u32>(TREC_SIZE / TRACE_SLOT);

// Per-core state (wasm globals: private to this core's instance).
let ring: usize = 0;       // this core's ring
let head: u32 = 0;         // slots written (HEAD is published from it)
let limit: u32 = 0;        // TAIL + CAP as last loaded: room until head reaches it
let lost: u32 = 0;
let exactAt: u32 = 0;      // head just after the last full (exact) record

/** Step 1, once per core at boot. */
export function traceCoreInit(): void {
  if (CAP < 8 || (CAP & (CAP - 1)) != 0) unreachable();      // AAM_TRACE_SLOTS: a power of two
  let r = heapAlloc(RING_HEADER + <usize>CAP * TRACE_SLOT);
  memory.fill(r, 0, RING_HEADER + <usize>CAP * TRACE_SLOT);          // touch every page now, not on the hot path
  store<u32>(r + RING_CAP, CAP);
  ring = r;
  limit = CAP;
  store32(coreRec(CORE_ID) + FC_TRACE_RING, <u32>r);
}

// Room for n more slots? The cached limit first; TAIL only when it is reached (runtime-cold path).
// A full ring also publishes HEAD: the compact records in it must reach the host for it to drain
// (a ring smaller than CLOCK_EVERY slots would otherwise stay full until the core idles).
function room(n: u32): bool {
  if (!ring) return false;                                   // before traceCoreInit: limit is 0
  limit = load32(ring + RING_TAIL) + CAP;
  if (limit - head >= n) return true;                        // u32 counters: wrap-safe
  store32(ring + RING_LOST, ++lost);
  store32(ring + RING_HEAD, head);
  return false;
}

// SHADOW: slots written so far and the pending close, one plain 8-byte store after every change.
// The host reads it only once the core has stopped (or, on QEMU, at exit), to recover what HEAD
// has not published yet. Tasks run only after traceCoreInit, so `ring` is set for every caller.
// @ts-ignore: decorator
@inline function shadow(): void {
  if (DEBUG) assert(ring != 0 && limit - head <= CAP, "trace: ring missing or overfull");
  store<u64>(ring + RING_SHADOW, <u64>head | (<u64>pendingClose << 32));
}

// @ts-ignore: decorator
@inline function slot(i: u32): usize { return ring + RING_HEADER + <usize>((head + i) & MASK) * TRACE_SLOT; }

// A slice's close (task_end, task_block) is not written when it happens: the core's next record
// carries it. A compact task_begin/resume folds it into its tag; anything else writes it first as
// a compact record of its own (flushClose). A close has no fields: the host takes them from the
// slice it closes, the last one this core opened (a core runs one task at a time). So a
// spawn+wait, four task events, is two records.
let pendingClose: u32 = 0;                  // 0, TC_CLOSE_END or TC_CLOSE_BLOCK

// Write the pending close as a compact record of its own (type, no fields).
function flushClose(): void {
  if (!pendingClose) return;
  let type: u32 = pendingClose == TC_CLOSE_END ? EV_TASK_END : EV_TASK_BLOCK;
  pendingClose = 0;
  if (limit == head && !room(1)) return;
  store<u64>(slot(0), TC_COMPACT | <u64>type);
  head++;
  shadow();
}

// A full record (FULL slots), always exact; publishes HEAD (atomic store: orders every slot before it,
// the compact ones since the last full record included, for the host's atomic load).
function putFull(type: u32, a: u32, b: u32, c: u32, d: f64): void {
  flushClose();
  if (limit - head < FULL && !room(FULL)) { traceFlush(); return; }
  let ts = platform.now_ns();
  store<u64>(slot(0), <u64>type | (<u64>a << 32));       // TREC_TYPE, TREC_A (one u64 store each pair)
  store<u64>(slot(1), <u64>b | (<u64>c << 32));
  store<f64>(slot(2), ts);
  store<f64>(slot(3), d);
  head += FULL;
  exactAt = head;
  shadow();
  store32(ring + RING_HEAD, head);
}

// @ts-ignore: decorator
@inline function compact(type: u32, machine: u32, fn: u32, task: u32): u64 {
  return TC_COMPACT | <u64>(type | pendingClose) | (<u64>machine << TC_A_SHIFT) | (<u64>fn << TC_B_SHIFT) | ((<u64>task >> TC_C_DROP) << TC_C_SHIFT);
}

// Non-zero if a field does not fit a compact record.
// @ts-ignore: decorator
@inline function wide(machine: u32, fn: u32, task: u32): u32 { return (machine >> TC_A_BITS) | (fn >> TC_B_BITS) | (task & ((1 << TC_C_DROP) - 1)); }

/** A slice opens (task_begin, task_resume): one compact slot, no time, no atomic store, carrying
 *  the close before it. One branch tells it from the rest: a slot at a multiple of CLOCK_EVERY
 *  (then a full record: the clock is read and HEAD published), the cached end of room reached, a
 *  field that does not fit. */
// @ts-ignore: decorator
@inline export function traceOpen(type: u32, machine: u32, fn: u32, task: u32): void {
  let h = head;
  if ((((h & (CLOCK_EVERY - 1)) == 0) | (h == limit) | (wide(machine, fn, task) != 0)) != 0) { openSlow(type, machine, fn, task); return; }
  store<u64>(ring + RING_HEADER + <usize>(h & MASK) * TRACE_SLOT, compact(type, machine, fn, task));
  head = h + 1;
  pendingClose = 0;
  store<u64>(ring + RING_SHADOW, <u64>(h + 1));
}

function openSlow(type: u32, machine: u32, fn: u32, task: u32): void {
  if ((head & (CLOCK_EVERY - 1)) == 0 || wide(machine, fn, task) != 0) { putFull(type, machine, fn, task, 0); return; }
  if (!room(1)) return;                       // dropped: a pending close stays (see traceClose)
  store<u64>(slot(0), compact(type, machine, fn, task));
  head++;
  pendingClose = 0;
  shadow();
}

/** The running slice closes (task_end, task_block): written with the core's next record. A close
 *  still pending means the open in between was dropped on a full ring: the older close stays,
 *  so that it ends the slice it belongs to (the dropped one never appears). */
// @ts-ignore: decorator
@inline export function traceClose(type: u32): void {
  if (!pendingClose) pendingClose = type == EV_TASK_END ? TC_CLOSE_END : TC_CLOSE_BLOCK;
  shadow();
}

/** A rare event: always timestamped by a clock read. */
export function trace(type: u32, a: u32, b: u32, c: u32, d: f64 = 0): void { putFull(type, a, b, c, d); }

/** The core runs out of work: write the pending close and bound the times of the compact records
 *  since the last reading with a `clock` record (which also publishes them). */
export function traceSync(): void {
  flushClose();
  if (head != exactAt) trace(EV_CLOCK, 0, 0, 0);
}

/** Publish the compact records not yet published (the core stops, or a host is about to read). */
export function traceFlush(): void {
  flushClose();
  if (ring) store32(ring + RING_HEAD, head);
}

/** A new flow id (pairs an ims_send with its ims_recv). */
export function traceFlow(): u32 { return add32(FW_TRACE_FLOW, 1) + 1; }
