// ims.ts: inter-machine signalling. A signal is a number and a parameter, delivered
// asynchronously into the destination machine's signal buffer and handled by one of its cores
// between two tasks; a machine with no core is activated by the Machine Manager.
//
// Owns: signal records, the per-machine buffer protocol, the signal numbers, and the handling
// loop. Not: what a signal means (imc.ts handles NEW_INTERFACE and NEW_MESSAGES, irq.ts IRQ; the
// core's loop, core.ts, passes them in).
//
// Buffer protocol (the machine record's SIGNALS word):
//  1. send: allocate a record {next, num, param} (or take the sender's own, marked EMBEDDED in num:
//     an interface carries one per direction, so a call's signal allocates nothing), push it with cmpxchg (any core), count
//     IMS_SENT at the sender and IMS_RECV at the destination, then make sure a core will see it:
//     the destination's scheduler is notified (a sleeping core of it is woken) or, with no core,
//     the manager activates the machine (through the scheduler's ACTIVATE hook).
//  2. handle: a core of the machine takes the whole stack with xchg 0 (no ABA: no single pops),
//     reverses it (FIFO), reads each record, frees it unless EMBEDDED, runs its handler (after
//     which the sender may reuse an embedded record: nothing here touches it again).
//
// ╒════════ signal record (16 bytes) ════════╕
//  +0 next  +4 num  +8 param  +12 trace flow id (0 without --trace)

import { cas32, xchg32, load32, add64, add32, sub32 } from "~lib/rt/atomic";
import { FW_SIGNALS_LIVE } from "~lib/rt/abi";
import { heapAlloc, heapFree } from "~lib/rt/heap";
import { M_SIGNALS, M_SCHED, M_IMS_SENT, M_IMS_RECV, M_CORES, M_ID } from "~lib/rt/abi";
import { TRACE, trace, traceFlow } from "../sys/trace";
import { EV_IMS_SEND, EV_IMS_RECV } from "../sys/trace_events";
import { schedNotify, schedActivate } from "../sched/sched";

// @ts-ignore: decorator
@inline export const SIG_NEW_INTERFACE: u32 = 1;
// @ts-ignore: decorator
@inline export const SIG_NEW_MESSAGES: u32 = 2;
// @ts-ignore: decorator
@inline export const SIG_IRQ: u32 = 3;            // a device interrupt; param = device handle (irq.ts)
// @ts-ignore: decorator
@inline const SIG_EMBEDDED: u32 = 0x80000000;     // in a record's num: the sender's record, not the heap's

// Step 1's first half: push a signal record onto m's buffer.
function post(m: usize, num: u32, param: u32, flow: u32, rec: usize = 0): void {
  add64(m + M_IMS_RECV, 1);
  let r = rec;
  if (r) num |= SIG_EMBEDDED;
  else { r = heapAlloc(16); add32(FW_SIGNALS_LIVE, 1); }
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

/** Step 1: signal machine `to` from machine `from` (0: from outside any machine). `rec`: a
 *  16-byte record of the sender's to carry it instead of a heap one (0: allocate), which the
 *  sender must not reuse until the handler ran (imc.ts: an interface's, guarded by its SIG flag). */
export function imsSend(from: usize, to: usize, num: u32, param: u32, rec: usize = 0): void {
  let flow: u32 = 0;
  if (TRACE) {
    flow = traceFlow();
    trace(EV_IMS_SEND, from ? load<u32>(from + M_ID) : 0, load<u32>(to + M_ID), num, <f64>flow);
  }
  post(to, num, param, flow, rec);
  if (from) add64(from + M_IMS_SENT, 1);
  if (load32(to + M_CORES) == 0) schedActivate(to);
  else schedNotify(<usize>load<u32>(to + M_SCHED));
}

/** True if machine `m` has signals waiting (one load). */
// @ts-ignore: decorator
@inline export function imsPending(m: usize): bool { return load32(m + M_SIGNALS) != 0; }

/** Step 2, by a core of `m` between two tasks: `handler(m, num, param)` for each signal, oldest
 *  first. Returns the number of signals handled. */
export function imsHandle(m: usize, handler: (m: usize, num: u32, param: u32) => void): u32 {
  if (!load32(m + M_SIGNALS)) return 0;     // a load first: an xchg on every poll would take the
  let r = <usize>xchg32(m + M_SIGNALS, 0);   // line (the machine's first: callers read SCHED, CORES) from its readers
  if (!r) return 0;
  let prev: usize = 0;
  while (r) { let n = <usize>load<u32>(r); store<u32>(r, <u32>prev); prev = r; r = n; }
  let k: u32 = 0;
  while (prev) {
    let n = <usize>load<u32>(prev);
    let num = load<u32>(prev + 4), param = load<u32>(prev + 8);
    if (TRACE) trace(EV_IMS_RECV, load<u32>(m + M_ID), 0, num & ~SIG_EMBEDDED, <f64>load<u32>(prev + 12));
    if (num & SIG_EMBEDDED) num &= ~SIG_EMBEDDED;       // the sender's record: it may reuse it once handled
    else { heapFree(prev); sub32(FW_SIGNALS_LIVE, 1); }
    handler(m, num, param);
    k++;
    prev = n;
  }
  return k;
}
