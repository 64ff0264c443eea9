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
//  2. Producer: if HEAD − TAIL == CAP the event is dropped and LOST += 1 (the core's own word,
//     atomic store): a full ring never blocks a core and never overwrites what the host has not
//     read. Else write the 32-byte event with plain stores, then HEAD += 1 (atomic store, which
//     orders the event's bytes before it for the host's atomic load of HEAD).
//  3. Consumer: load HEAD (atomic), copy events TAIL..HEAD, then store TAIL (atomic): the slots
//     are the producer's again. The producer reloads TAIL only when its cached limit is reached.
//
// Clock. A wasm→host clock read costs ~60 ns on the Node host (measured: performance.now() from
// wasm), more than a task switch's budget; the local task benchmark has 4 events per spawn+wait.
// So hot events (task begin/end/block/resume) read the clock every CLOCK_EVERY events only; the
// others carry the last reading and the INEXACT bit, and the host spreads them evenly between the
// exact readings around them (monotonic per core by construction). Rare events (grants, IMS,
// park, manager decisions) always read the clock, and a core that runs out of work records a
// `clock` event if hot events are still unbounded, so their spread ends where the work ended.
// Rejected: a host thread writing the time into shared memory (it would spin a core of a 2-core
// machine, or be as coarse as its sleep), and per-event clock reads (+240 ns per spawn+wait).
//
// ╒════════ trace ring (per core; 64-byte header, then CAP × 32-byte events) ════════╕
//  +0   HEAD   events written      core: atomic store after each event; host: atomic load
//  +4   LOST   events dropped      core: atomic store; host: atomic load
//  +8   CAP    events the ring holds (power of two); written once before publishing
//  +16  TAIL   events consumed     host: atomic store; core: atomic load when it looks full
//  +64  EVENTS[CAP]:  +0 ts f64 (ns, host time origin)  +8 type u32 (bit 31: INEXACT ts)
//                     +12 a u32  +16 b u32  +20 c u32  +24 d f64  (trace-events.json "record")
//                     An INEXACT event leaves ts and d unwritten (stale): the reader takes d = 0 and
//                     the time from the exact events around it. Fewer stores on the hot path.

import { CORE_ID, platform } from "~lib/rt/platform";
import { coreRec, FC_TRACE_RING, FW_TRACE_FLOW } from "~lib/rt/layout";
import { load32, store32, add32 } from "~lib/rt/atomic";
import { heapAlloc } from "~lib/rt/heap";
import { EV_CLOCK } from "./trace_events";

/** Tracing compiled in: `aam build --trace` (--define AAM_TRACE=1). */
// @ts-ignore: decorator
@inline export const TRACE: bool = isDefined(AAM_TRACE);
/** Events per core ring: `--define AAM_TRACE_EVENTS=N` (power of two, default 65536 = 2 MiB). */
// @ts-ignore: decorator
@inline const CAP: u32 = isDefined(AAM_TRACE_EVENTS) ? <u32>AAM_TRACE_EVENTS : 65536;
// @ts-ignore: decorator
@inline const CLOCK_EVERY: u32 = 64;
// @ts-ignore: decorator
@inline const INEXACT: u32 = 0x80000000;

// @ts-ignore: decorator
@inline const R_HEAD: usize = 0;
// @ts-ignore: decorator
@inline const R_LOST: usize = 4;
// @ts-ignore: decorator
@inline const R_CAP: usize = 8;
// @ts-ignore: decorator
@inline const R_TAIL: usize = 16;
// @ts-ignore: decorator
@inline const R_EVENTS: usize = 64;

// Per-core state (wasm globals: private to this core's instance).
let ring: usize = 0;       // this core's ring
let head: u32 = 0;         // mirror of HEAD
let limit: u32 = 0;        // TAIL + CAP as last loaded: room until head reaches it
let lost: u32 = 0;
let countdown: u32 = 0;    // hot events until the next clock read
let lastTs: f64 = 0;

/** Step 1, once per core at boot. */
export function traceCoreInit(): void {
  if (CAP < 2 || (CAP & (CAP - 1)) != 0) unreachable();      // AAM_TRACE_EVENTS: a power of two
  let r = heapAlloc(R_EVENTS + (<usize>CAP << 5));
  memory.fill(r, 0, R_EVENTS + (<usize>CAP << 5));         // touch every page now, not on the hot path
  store<u32>(r + R_CAP, CAP);
  ring = r;
  limit = CAP;
  store32(coreRec(CORE_ID) + FC_TRACE_RING, <u32>r);
}

// Step 2.
// @ts-ignore: decorator
@inline function put(type: u32, ts: f64, a: u32, b: u32, c: u32, d: f64): void {
  if (!ring) return;                                        // before traceCoreInit
  if (head == limit) {
    limit = load32(ring + R_TAIL) + CAP;
    if (head == limit) { store32(ring + R_LOST, ++lost); return; }
  }
  let e = ring + R_EVENTS + (<usize>(head & (CAP - 1)) << 5);
  store<u64>(e + 8, <u64>type | (<u64>a << 32));
  store<u64>(e + 16, <u64>b | (<u64>c << 32));
  if (!(type & INEXACT)) {                                  // an inexact event has no ts and d = 0
    store<f64>(e, ts);
    store<f64>(e + 24, d);
  }
  store32(ring + R_HEAD, ++head);
}

/** A hot event (task begin/end/block/resume): the clock is read every CLOCK_EVERY of them. */
// @ts-ignore: decorator
@inline export function traceHot(type: u32, a: u32, b: u32, c: u32, d: f64 = 0): void {
  if (countdown == 0) {
    countdown = CLOCK_EVERY;
    lastTs = platform.now_ns();
    put(type, lastTs, a, b, c, d);
  } else {
    countdown--;
    put(type | INEXACT, 0, a, b, c, 0);                     // hot events have d = 0
  }
}

/** A rare event: always timestamped by a clock read. */
export function trace(type: u32, a: u32, b: u32, c: u32, d: f64 = 0): void {
  lastTs = platform.now_ns();
  countdown = CLOCK_EVERY;
  put(type, lastTs, a, b, c, d);
}

/** The core runs out of work: bound the timestamps of the hot events since the last reading. */
export function traceSync(): void {
  if (countdown < CLOCK_EVERY) trace(EV_CLOCK, 0, 0, 0);
}

/** A new flow id (pairs an ims_send with its ims_recv). */
export function traceFlow(): u32 { return add32(FW_TRACE_FLOW, 1) + 1; }
