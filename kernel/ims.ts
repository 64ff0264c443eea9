// ims.ts: inter-machine signalling. A signal is a number and a parameter, delivered
// asynchronously into the destination machine's signal buffer and handled by one of its cores
// between two tasks; a machine with no core is activated by the Machine Manager.
//
// Owns: signal records, the per-machine buffer protocol, the signal numbers, and the handling
// loop. Not: what a handler does with NEW_MESSAGES (imc.ts) or core grants (manager.ts).
//
// Buffer protocol (the machine record's SIGNALS word):
//  1. send: allocate a record {next, num, param}, push it with cmpxchg (any core), count
//     IMS_SENT at the sender and IMS_RECV at the destination, then make sure a core will see it:
//     the destination's scheduler is notified (a sleeping core of it is woken) or, with no core,
//     the manager activates the machine.
//  2. handle: a core of the machine takes the whole stack with xchg 0 (no ABA: no single pops),
//     reverses it (FIFO), runs each handler, frees each record.
//
// ╒════════ signal record (16 bytes) ════════╕
//  +0 next  +4 num  +8 param  +12 trace flow id (0 without --trace)

import { cas32, xchg32, load32, add64, add32, sub32 } from "~lib/rt/atomic";
import { FW_SIGNALS_LIVE } from "~lib/rt/layout";
import { heapAlloc, heapFree } from "~lib/rt/heap";
import { M_SIGNALS, M_SCHED, M_IMS_SENT, M_IMS_RECV, M_CORES, M_CORE_EVENTS, M_ID } from "./machine";
import { TRACE, trace, traceFlow } from "../aam/trace";
import { EV_IMS_SEND, EV_IMS_RECV } from "../aam/trace_events";
import { schedNotify } from "../aam/sched";
import { managerActivate } from "./manager";
import { imcOnSignal } from "./imc";

// @ts-ignore: decorator
@inline export const SIG_NEW_INTERFACE: u32 = 1;
// @ts-ignore: decorator
@inline export const SIG_NEW_MESSAGES: u32 = 2;
// @ts-ignore: decorator
@inline export const SIG_CORE_GRANTED: u32 = 3;
// @ts-ignore: decorator
@inline export const SIG_CORE_REVOKED: u32 = 4;

/** Queue a signal for machine `m` without waking anyone (used by the manager itself). Core
 *  grants and revocations are bits in the machine's CORE_EVENTS word, not records: a machine
 *  without a core would otherwise collect them without bound. */
export function imsPost(m: usize, num: u32, param: u32, flow: u32 = 0): void {
  add64(m + M_IMS_RECV, 1);
  if (num == SIG_CORE_GRANTED || num == SIG_CORE_REVOKED) { atomic.or<u32>(m + M_CORE_EVENTS, 1 << num); return; }
  let r = heapAlloc(16);
  add32(FW_SIGNALS_LIVE, 1);
  store<u32>(r + 4, num);
  store<u32>(r + 8, param);
  store<u32>(r + 12, flow);
  let head = m + M_SIGNALS;
  let old = load32(head);
  while (true) {
    store<u32>(r, old);
    let seen = cas32(head, old, <u32>r);
    if (seen == old) break;
    old = seen;
  }
}

/** Step 1: signal machine `to` from machine `from` (0: from outside any machine). */
export function imsSend(from: usize, to: usize, num: u32, param: u32): void {
  let flow: u32 = 0;
  if (TRACE) {
    flow = traceFlow();
    trace(EV_IMS_SEND, from ? load<u32>(from + M_ID) : 0, load<u32>(to + M_ID), num, <f64>flow);
  }
  imsPost(to, num, param, flow);
  if (from) add64(from + M_IMS_SENT, 1);
  if (load32(to + M_CORES) == 0) managerActivate(to);
  else schedNotify(<usize>load<u32>(to + M_SCHED));
}

/** True if machine `m` has signals waiting (one load). */
// @ts-ignore: decorator
@inline export function imsPending(m: usize): bool { return load32(m + M_SIGNALS) != 0; }

/** Core grants/revocations since the last call (bits 1 << SIG_CORE_GRANTED / REVOKED), cleared. */
export function imsCoreEvents(m: usize): u32 { return xchg32(m + M_CORE_EVENTS, 0); }

/** Step 2, by a core of `m` between two tasks. Returns the number of signals handled. */
export function imsHandle(m: usize): u32 {
  let r = <usize>xchg32(m + M_SIGNALS, 0);
  if (!r) return 0;
  let prev: usize = 0;
  while (r) { let n = <usize>load<u32>(r); store<u32>(r, <u32>prev); prev = r; r = n; }
  let k: u32 = 0;
  while (prev) {
    let n = <usize>load<u32>(prev);
    let num = load<u32>(prev + 4), param = load<u32>(prev + 8);
    if (TRACE) trace(EV_IMS_RECV, load<u32>(m + M_ID), 0, num, <f64>load<u32>(prev + 12));
    heapFree(prev);
    sub32(FW_SIGNALS_LIVE, 1);
    if (num == SIG_NEW_MESSAGES || num == SIG_NEW_INTERFACE) imcOnSignal(m, num, param);
    k++;
    prev = n;
  }
  return k;
}
