// imc.ts: inter-machine communication. An interface joins a client machine to a server machine
// with a task queue (requests) and a result queue (finished calls), both allocated by the client,
// each with a flag saying whether its receiver is monitoring it.
//
// Owns: the interface record, machine calls (one mechanism; async / sync / event are the same
// call with wait() or then() on its future), the monitored-flag protocol, ordering and the
// per-client concurrency limit. Not: signals (ims.ts), scheduling (sched/), the rings
// themselves (task/mpmc.ts).
//
// A call is a task record (task/task.ts) flagged CALL: FN holds the method number until the
// server picks it up, RESULT holds the interface until the call completes, SCHED is the server's.
//
// Protocol of a call (client task K, server machine S), numbered as in machine/model/imc.pml:
//  c1. K's call goes into its core's next call slot if that is free (p1 below); else K takes a
//      credit from the interface (a counting signal of CAP units) for a heap record: K blocks
//      while CAP such calls are outstanding, so neither queue can overflow and nothing is
//      dropped. A slot needs no credit: the ring holds at most SLOTS calls, and RQ has room for
//      CAP + SLOTS per client core (rqCapacity).
//  c2. K publishes the call: in the slot (p1), already claimed for an in-place result
//      (sched/future.ts h1: call() and callSync; callSync claims a heap record too), else on TQ
//      (lock-free bounded MPMC ring); then reads TQ_MON.
//  c3. TQ_MON = 0: K sets TQ_SIG (xchg) and, if it was 0, sends IMS NEW_MESSAGES to S: at most
//      one signal per batch of calls. TQ_MON = 1: K only notifies S's scheduler (a core of S
//      that went to sleep after seeing TQ empty is woken; sched/sched.ts sleep protocol).
//  s1. S handles NEW_MESSAGES: TQ_SIG = 0, TQ_MON = 1.
//  s2. A core of S with no local task drains the slots (p2) and TQ: per call, method → handler from S's task table,
//      respecting LIMIT and ORDERED; the call becomes a task of S.
//  s3. TQ empty for longer than the grace period: TQ_MON = 0, then
//  s4. re-check TQ: non-empty → TQ_MON = 1 and drain again (the re-check closes the race with a
//      client that read TQ_MON = 1 just before it was cleared; model/imc.pml checks this).
//  r.  The call's handler returns on a core of S: RESULT = value, the call goes on RQ and the
//      same c2–s4 steps run in the other direction (RQ_MON, RQ_SIG, IMS to the client).
//  d.  A core of the client drains RQ: completes the call's future (waking K or running the
//      continuation of an event-style call), returns a heap record's credit, drops the call's
//      reference.
//  h.  If the call's future is claimed (sched/future.ts h1–h5: by its issuer, or by a task
//      spinning on it), r hands the result over in place instead: no RQ push and no signal; the
//      handle's release does d's work (imcHandoff, imcHandedRelease). The call moves one cache
//      line each way (the slot), not six.
//
// ╒════════ interface record (256 bytes, 64-byte aligned: four cache lines) ════════╕
// Each line is written by one side only, so that a call moves no line of this record between
// the client's and the server's cores in the steady state (issue 15: a line that both write
// costs a cross-core transfer per call; so does a line one writes per call and the other reads).
//  line 0, read-mostly: written at connect, or (MON, SIG) only when monitoring starts or stops
//  +0  SERVER  +4 CLIENT machines                                    read-only
//  +8  NEXT_S  link in the server's IFACES list, +12 NEXT_C in the client's list (machine LOCK)
//  +16 LIMIT   server tasks of this interface allowed at once (0: no limit)     read-only
//  +20 CAP     ring capacity                                      read-only
//  +24 TQ      +28 RQ   MPMC rings (task/mpmc.ts)                       read-only pointers
//  +32 TQ_MON  +36 RQ_MON   1 while the receiver monitors       receiver stores; sender loads
//  +40 TQ_SIG  +44 RQ_SIG   1 from a sender's IMS until handled  sender xchg; receiver stores 0
//  +48 SLOTS   the call slots below (64-aligned block)                       read-only pointer
//  +52 RQ_CAP  RQ's capacity, CAP + SLOTS per client core (power of two)     read-only
//  line 1, the server's cores
//  +64 RUNNING server tasks of this interface running now      atomic add/sub (server cores)
//  +68 HIGH    high-water mark of RUNNING                        atomic max
//  +72 TQ_LAST f64 last time a server core took a call, by its core's coarse clock
//              (sched/spin.ts coarseNow; racy is fine)
//  +80 ORD_LOCK (lock order: 3) +84 ORD_BUSY +88 ORD_HEAD +92 ORD_TAIL  ordered calls waiting,
//      sorted by sequence number (under ORD_LOCK)
//  +96 ORD_NEXT  sequence number of the ordered call to run next (under ORD_LOCK)
//  line 2, the client's cores
//  +128 CREDITS counting signal, 16 bytes (sched/signal.ts layout), heap-record calls only: wait
//       on issue, signal on taking a result, both on client cores
//  +144 RQ_LAST f64 last time a client core took a result (as TQ_LAST)
//  +152 ORD_ISSUE next sequence number for an ordered call (client: atomic add)
//  line 3, the idle path
//  +192 TQ_REC +208 RQ_REC  16-byte signal records (ims.ts layout) that carry this interface's
//                           NEW_MESSAGES signal in each direction: owned by the sender that set
//                           the direction's SIG 0 → 1, until the receiver's handler stores SIG = 0
// Ordered calls carry their sequence number in T_ENQ until they start: several server cores
// pop the task queue at once, so pop order is not issue order; the sequence number is.
//
// ╒════════ call slots (CORE_COUNT rings of RING_STRIDE bytes, aligned to it, allocated at connect) ════════╕
// A call issued on client core c goes into c's ring when its next slot is free: the record is
// the slot, written by the client and completed in place by the server, so the call crosses
// between the cores in that one line (issue 15; the task queue's cell line and a heap record
// were two more). A slot that is still in use (its future not yet released), takes the call
// down the task queue in a heap record instead: nothing waits for a slot, and a program may hold
// more futures than there are slots.
//  +0   CI    next ring position the server takes          cmpxchg: server cores
//  +64  PI    next ring position client core c publishes   core c: plain store (its own word:
//             no locked instruction per call); others load it as a count (the policy)
//  +68  IFACE the interface (read-only): a slot's ring is its address rounded down to
//             RING_STRIDE, so the caller finds the interface of a handed-over call there and
//             the server need not write it into the record (imcHandoff)
//  +72  FREED bit s: slot s is free although its KIND is not 0 (p3'), core c's own word (plain)
//  +128 SLOT[SLOTS]  64-byte task records (task/task.ts), FLAG_SLOT
// Protocol of a slot (p = position, s = slot p mod SLOTS):
//  p1. client core c: s free (KIND == 0, load) → fill s as a task (taskInit, KIND = CALL|SLOT),
//      then NEXT = slotSeq(p) (store: publishes the fields), PI = p + 1 (plain).
//  p2. a server core: NEXT of slot CI == slotSeq(CI) → cmpxchg CI → CI + 1; the winner takes
//      the call as one from the task queue (s2 onward). It leaves NEXT as it is: a stale
//      slotSeq is one lap old and never the one p2 expects next. It reads on to the next slot
//      only for a call nobody waits for, found by a busy core (drainRequests: the next slot is
//      the client's line, a miss before the call runs).
//  p3. the last reference dropped (taskRelease): KIND = 0 (store, last): s is free again.
//  p3'. or, for a call handed over to its caller spinning on core c that drops its handle at
//      once (imcHandedRelease): core c sets FREED bit s; p1 takes s as free when its KIND is 0 or
//      its FREED bit is set, and clears the bit as it fills s. The server's HANDED cmpxchg was
//      its last access to s, so the record's line is not written again until the next call.
// A slot is free only after its call was taken (p2 before p3 or p3'), so the server never skips a
// position and c never overwrites a call. A stale NEXT is 0, an address or an older slotSeq:
// never the one p2 expects. Rejected: a published-count word per ring that the server polls
// (a second line per call), and a separate sequence array like the task queue's cells (eight
// cells to a line: consecutive calls alternate writers on it).

import { DEBUG, coreRec } from "~lib/rt/layout";
import { load32, store32, cas32, xchg32, add32, sub32, lock, unlock, ownerAdd64, atomicMax32 } from "~lib/rt/atomic";
import { heapAlloc } from "~lib/rt/heap";
import { fail, failOwned } from "~lib/rt/trap";
import { text } from "~lib/rt/text";
import { CORE_ID, CORE_COUNT } from "~lib/rt/platform";
import { T_REFS, T_FN, T_KIND, T_RESULT, T_SCHED, T_NEXT, T_ENQ, T_FUTURE, DONE, SPINNING, HANDED, TASK_SIZE, taskNew, taskInit, taskRelease, FLAG_FAILED, FLAG_REFUSED, FLAG_CALL, FLAG_ORDERED, FLAG_SLOT, FLAG_RESOLVED, KIND_METHOD_SHIFT, TaskFn } from "../task/task";
import { mpmcNew, mpmcPush, mpmcPop, mpmcLen } from "../task/mpmc";
import { Future, futureComplete, callRefused, waitWord } from "../sched/future";
import { makeReady, makeReadyHere, schedNotify, schedActivate, currentSched, schedMachine } from "../sched/sched";
import { Signal } from "../sched/signal";
import { coarseNow } from "../sched/spin";
import { TRACE, trace } from "../sys/trace";
import { EV_QUEUE_MONITOR, EV_QUEUE_UNMONITOR } from "../sys/trace_events";
import { M_SCHED, M_TABLE, M_TABLE_LEN, M_IFACES, M_CIFACES, M_LOCK, M_FLAGS, M_CORES, M_ID, FC_CALLS_IN_PENDING, FC_CALLS_OUT_PENDING, FC_TASKS_LIVE } from "~lib/rt/abi";
import { KERNEL } from "./record";
import { checkIn, copyOut } from "./validate";
import { Machine } from "./machine";
import { imsSend, SIG_NEW_MESSAGES, SIG_NEW_INTERFACE } from "./ims";
/** Grace period before a receiver stops monitoring an idle queue: `--define AAM_GRACE_US=N`. */
// @ts-ignore: decorator
@inline const GRACE_NS: f64 = (isDefined(AAM_GRACE_US) ? <f64>AAM_GRACE_US : 200.0) * 1000.0;

// @ts-ignore: decorator
@inline const I_SERVER: usize = 0;
// @ts-ignore: decorator
@inline const I_CLIENT: usize = 4;
// @ts-ignore: decorator
@inline const I_NEXT_S: usize = 8;
// @ts-ignore: decorator
@inline const I_NEXT_C: usize = 12;
// @ts-ignore: decorator
@inline const I_LIMIT: usize = 16;
// @ts-ignore: decorator
@inline const I_RUNNING: usize = 64;
// @ts-ignore: decorator
@inline const I_HIGH: usize = 68;
// @ts-ignore: decorator
@inline const I_TQ: usize = 24;
// @ts-ignore: decorator
@inline const I_RQ: usize = 28;
// @ts-ignore: decorator
@inline const I_TQ_MON: usize = 32;
// @ts-ignore: decorator
@inline const I_RQ_MON: usize = 36;
// @ts-ignore: decorator
@inline const I_TQ_SIG: usize = 40;
// @ts-ignore: decorator
@inline const I_RQ_SIG: usize = 44;
// @ts-ignore: decorator
@inline const I_TQ_LAST: usize = 72;
// @ts-ignore: decorator
@inline const I_RQ_LAST: usize = 144;
// @ts-ignore: decorator
@inline const I_CREDITS: usize = 128;
// @ts-ignore: decorator
@inline const I_ORD_LOCK: usize = 80;
// @ts-ignore: decorator
@inline const I_ORD_BUSY: usize = 84;
// @ts-ignore: decorator
@inline const I_ORD_HEAD: usize = 88;
// @ts-ignore: decorator
@inline const I_ORD_TAIL: usize = 92;
// @ts-ignore: decorator
@inline const I_CAP: usize = 20;
// @ts-ignore: decorator
@inline const I_ORD_ISSUE: usize = 152;
// @ts-ignore: decorator
@inline const I_ORD_NEXT: usize = 96;
// @ts-ignore: decorator
@inline const I_TQ_REC: usize = 192;
// @ts-ignore: decorator
@inline const I_RQ_REC: usize = 208;
// @ts-ignore: decorator
@inline const I_SLOTS: usize = 48;
// @ts-ignore: decorator
@inline const I_RQ_CAP: usize = 52;
// @ts-ignore: decorator
@inline const IFACE_SIZE: usize = 256;
// Call slots (see "call slots" above): per client core a ring of SLOTS records.
// @ts-ignore: decorator
@inline const SLOTS: u32 = 8;
// @ts-ignore: decorator
@inline const R_CI: usize = 0;
// @ts-ignore: decorator
@inline const R_PI: usize = 64;
// @ts-ignore: decorator
@inline const R_SLOT0: usize = 128;
// @ts-ignore: decorator
@inline const R_IFACE: usize = 68;
// @ts-ignore: decorator
@inline const R_FREED: usize = 72;
// @ts-ignore: decorator
@inline const RING_STRIDE: usize = 1024;     // a power of two ≥ R_SLOT0 + SLOTS × TASK_SIZE

// issue's claim: none (callThen), slot calls only (call), every call (callSync).
// @ts-ignore: decorator
@inline const CLAIM_NONE: u32 = 0;
// @ts-ignore: decorator
@inline const CLAIM_SLOT: u32 = 1;
// @ts-ignore: decorator
@inline const CLAIM_ALWAYS: u32 = 2;

// Client core c's ring of interface i; slot `pos` of ring r; the NEXT word that publishes the
// call at ring position `pos` (odd: never 0 nor a record's address, which are 16-aligned).
// @ts-ignore: decorator
@inline function ringOf(i: usize, c: usize): usize { return <usize>load<u32>(i + I_SLOTS) + c * RING_STRIDE; }
// @ts-ignore: decorator
@inline function slotAt(r: usize, pos: u32): usize { return r + R_SLOT0 + (<usize>(pos & (SLOTS - 1)) << 6); }
// @ts-ignore: decorator
@inline function slotSeq(pos: u32): u32 { return (pos << 4) | 1; }

// ── interfaces ──────────────────────────────────────────────────────────────────────────────

/** A client's end of an interface to a server machine. Three variants of one call: the
 *  call's method and arguments first, then (callThen) the continuation and its arguments. */
@unmanaged
export class Interface {
  /** Asynchronous call of `method`: returns the call's future (release it, or join). Blocks the
   *  calling task only while its core's next call slot is in use and CAP other calls of this
   *  interface are outstanding. */
  call(method: u32, a0: u64 = 0, a1: u64 = 0, a2: u64 = 0): Future {
    return changetype<Future>(issue(changetype<usize>(this), method, a0, a1, a2, false, CLAIM_SLOT));
  }
  /** Synchronous call: the calling task blocks (its core runs other tasks) until the result. A
   *  call that fails (refused, or its handler trapped) traps the calling task. */
  callSync(method: u32, a0: u64 = 0, a1: u64 = 0, a2: u64 = 0): u64 {
    return syncResult(changetype<usize>(this), issue(changetype<usize>(this), method, a0, a1, a2, false, CLAIM_ALWAYS), method);
  }
  /** Event-based call: when it completes, `fn` runs as a task of the calling machine with
   *  arg0 = the result, arg1 = `e1`, arg2 = `e2`. */
  callThen(method: u32, a0: u64, a1: u64, a2: u64, fn: TaskFn, e1: u64 = 0, e2: u64 = 0): void {
    thenRelease(issue(changetype<usize>(this), method, a0, a1, a2, false, CLAIM_NONE), fn, e1, e2);
  }
  /** The same interface with ordered calls: they run on the server one at a time, in the order
   *  they were issued (unordered calls are not ordered against them). */
  get ordered(): OrderedInterface { return changetype<OrderedInterface>(this); }
  /** Highest number of this interface's calls the server ran at once. */
  get highWater(): u32 { return load32(changetype<usize>(this) + I_HIGH); }
  /** This interface as a task argument: `spawn(fn, i.asArg())`, then `Interface.fromArg(t.arg0)`. */
  asArg(): u64 { return <u64>changetype<usize>(this); }
  /** The interface a task argument made by asArg() names. */
  static fromArg(arg: u64): Interface {
    if (arg == 0 || arg > 0xFFFFFFFF) fail("Interface.fromArg: 0x" + arg.toString(16) + " is not an interface");
    return changetype<Interface>(<usize>arg);
  }
}

/** Interface.ordered: the calls of Interface, each one ordered (FLAG_ORDERED). */
@unmanaged
export class OrderedInterface {
  call(method: u32, a0: u64 = 0, a1: u64 = 0, a2: u64 = 0): Future {
    return changetype<Future>(issue(changetype<usize>(this), method, a0, a1, a2, true, CLAIM_SLOT));
  }
  callSync(method: u32, a0: u64 = 0, a1: u64 = 0, a2: u64 = 0): u64 {
    return syncResult(changetype<usize>(this), issue(changetype<usize>(this), method, a0, a1, a2, true, CLAIM_ALWAYS), method);
  }
  callThen(method: u32, a0: u64, a1: u64, a2: u64, fn: TaskFn, e1: u64 = 0, e2: u64 = 0): void {
    thenRelease(issue(changetype<usize>(this), method, a0, a1, a2, true, CLAIM_NONE), fn, e1, e2);
  }
}

// callSync's end: wait (its word is claimed: issue's `spin`), then the result, or trap the
// calling task if the call failed. A result handed over in place is taken without a write to
// the record when it can be (imcHandedRelease).
// @ts-ignore: decorator
@inline function syncResult(i: usize, t: usize, method: u32): u64 {
  let f = changetype<Future>(t);
  waitWord(t + T_FUTURE);                                 // HANDED: left to imcHandedRelease
  if (load<u32>(t + T_FUTURE) == HANDED) {
    let v = load<u64>(t + T_RESULT);
    if (imcHandedRelease(t)) return v;
  }
  let v = f.value;
  if (f.failed) syncFailed(i, f, method);
  f.release();
  return v;
}

function syncFailed(i: usize, f: Future, method: u32): void {
  let x = text("callSync: ");          // the error lives in the call's record: copy it first
  if (!callRefused(changetype<usize>(f))) {
    x.s("machine '").s(changetype<Machine>(load<u32>(i + I_SERVER)).name).s("' method ").dec(method).s(": the handler failed: ");
  }
  let msg = x.s(f.error).done();
  f.release();
  failOwned(msg);
}

// callThen's end: the continuation holds its own reference to the call, so both handles go.
// @ts-ignore: decorator
@inline function thenRelease(t: usize, fn: TaskFn, e1: u64, e2: u64): void {
  let f = changetype<Future>(t);
  f.then(fn, e1, e2).release();
  f.release();
}

/** Why a client built against interface `hash` may not connect to `server`, or "". Hash 0 is
 *  a hand-written client (unchecked); a server that declared no hash accepts only those. */
export function interfaceError(server: Machine, hash: u64): string {
  if (hash == 0) return "";
  let have = server.interfaceHash;
  if (have == hash) return "";
  if (have == 0) return "connect: machine " + server.name + " declares no igen interface, but the client was built against " + hex64(hash);
  return "connect: machine " + server.name + " serves interface " + hex64(have) + " but the client was built against " + hex64(hash) +
    " (rebuild both from the same IDL)";
}

// The result queue holds every call not handed over: CAP in heap records and, taking no credit,
// SLOTS per client core (power of two).
function rqCapacity(cap: u32): u32 {
  let n = cap + <u32>CORE_COUNT * SLOTS, c: u32 = 2;
  while (c < n) c <<= 1;
  return c;
}

function hex64(v: u64): string { return "0x" + v.toString(16).padStart(16, "0"); }

/** Connect the machine of the running task (the client) to `server`, with `cap` outstanding
 *  calls at most besides the call slots (power of two; SLOTS per client core) and at most
 *  `limit` of them running on the server at once (0: no limit). */
export function connect(server: Machine, cap: u32 = 64, limit: u32 = 0): Interface {
  return connectHash(server, cap, limit, 0);
}

/** connect() for a client built against igen interface `hash` (kernel/igen.ts igenConnect): a
 *  non-zero hash must equal the one the server offers, else the connecting task fails with
 *  interfaceError's message. */
export function connectHash(server: Machine, cap: u32, limit: u32, hash: u64): Interface {
  let client = schedMachine(currentSched());
  if (!client) fail("connect: not inside a machine");
  let refused = interfaceError(server, hash);
  if (refused.length) fail(refused);
  if (cap < 2 || (cap & (cap - 1)) != 0) fail("connect: capacity " + cap.toString() + " is not a power of two ≥ 2");
  let s = changetype<usize>(server);
  let i = heapAlloc(IFACE_SIZE);                            // a 256-byte class: 64-aligned (rt/heap.ts)
  if (DEBUG) assert((i & 63) == 0, "imc: interface record not on a cache line");
  memory.fill(i, 0, IFACE_SIZE);
  store<u32>(i + I_SERVER, <u32>s);
  store<u32>(i + I_CLIENT, <u32>client);
  store<u32>(i + I_LIMIT, limit);
  store<u32>(i + I_CAP, cap);
  store<u32>(i + I_TQ, <u32>mpmcNew(cap));
  let rqCap = rqCapacity(cap);
  store<u32>(i + I_RQ, <u32>mpmcNew(rqCap));
  store<u32>(i + I_RQ_CAP, rqCap);
  if (DEBUG) assert(R_SLOT0 + <usize>SLOTS * TASK_SIZE <= RING_STRIDE, "imc: call slots overflow their ring");
  let sb = <usize>CORE_COUNT * RING_STRIDE;
  let slots = (heapAlloc(sb + RING_STRIDE - 16) + RING_STRIDE - 1) & ~(RING_STRIDE - 1);   // 16-aligned blocks; never freed
  memory.fill(slots, 0, sb);                                // every slot free (KIND 0)
  for (let c: usize = 0; c < <usize>CORE_COUNT; c++) store<u32>(slots + c * RING_STRIDE + R_IFACE, <u32>i);
  store<u32>(i + I_SLOTS, <u32>slots);
  store<i32>(i + I_CREDITS + 4, <i32>cap);                 // Signal layout: +4 COUNT
  lock(s + M_LOCK, "machine");
  store<u32>(i + I_NEXT_S, load<u32>(s + M_IFACES));
  store32(s + M_IFACES, <u32>i);
  unlock(s + M_LOCK);
  lock(client + M_LOCK, "machine");
  store<u32>(i + I_NEXT_C, load<u32>(client + M_CIFACES));
  store32(client + M_CIFACES, <u32>i);
  unlock(client + M_LOCK);
  imsSend(client, s, SIG_NEW_INTERFACE, <u32>i);
  return changetype<Interface>(i);
}

// Steps c1–c3 (c2 through this core's call slot when it is free: p1). `claim`: which calls are
// published claimed for an in-place result (sched/future.ts h1): none (callThen: its
// continuation comes through the result queue), those in a slot (call: a slot takes no credit,
// so a result handed over to an owner that looks later holds nothing back), every one (callSync:
// its caller waits at once).
function issue(i: usize, method: u32, a0: u64, a1: u64, a2: u64, ordered: bool, claim: u32): usize {
  let server = <usize>load<u32>(i + I_SERVER), client = <usize>load<u32>(i + I_CLIENT);
  let sched = <usize>load<u32>(server + M_SCHED), kind = FLAG_CALL | (ordered ? FLAG_ORDERED : 0);
  let r = ringOf(i, <usize>CORE_ID), pos = load<u32>(r + R_PI);               // PI: this core's own word
  let t = slotAt(r, pos);
  let bit: u32 = 1 << (pos & (SLOTS - 1)), freed = load<u32>(r + R_FREED);
  let slot = (freed & bit) != 0 || load32(t + T_KIND) == 0;
  if (slot) { if (freed & bit) store<u32>(r + R_FREED, freed & ~bit); }
  else changetype<Signal>(i + I_CREDITS).wait();                             // c1, heap records only (may move us to another core)
  let fn = handlerOf(server, method);                                         // 0: the server resolves (or refuses) it
  if (fn) kind |= FLAG_RESOLVED | ((method & 63) << KIND_METHOD_SHIFT);
  if (slot) { taskInit(t, fn ? fn : method, sched, a0, a1, a2, 2); kind |= FLAG_SLOT; }
  else t = taskNew(fn ? fn : method, sched, a0, a1, a2, false);
  store<u32>(t + T_KIND, kind);
  store<u64>(t + T_RESULT, <u64>i);
  if (claim == CLAIM_ALWAYS || (claim == CLAIM_SLOT && slot)) store<u32>(t + T_FUTURE, SPINNING);   // published by c2's store
  if (ordered) store<u32>(t + T_ENQ, add32(i + I_ORD_ISSUE, 1));
  if (!load32(i + I_RQ_MON)) { store32(i + I_RQ_MON, 1); if (TRACE) traceMonitor(EV_QUEUE_MONITOR, i, I_RQ_MON); }   // we want results
  if (slot) { store32(t + T_NEXT, slotSeq(pos)); store<u32>(r + R_PI, pos + 1); }
  else if (!mpmcPush(<usize>load<u32>(i + I_TQ), load<u32>(i + I_CAP), t)) fail("imc: task queue full despite credits");
  ownerAdd64(coreRec(CORE_ID) + FC_CALLS_OUT_PENDING, 1);                   // machine/core.ts adds it to the client's CALLS_OUT
  send(i, client, server, I_TQ_MON, I_TQ_SIG, 0);                             // c3
  return t;
}

// The handler of `method` on server `s`, found by the client so that the server writes nothing
// into the call's record before its result: the record's line then moves between the cores
// once each way (measured ~35 ns a call, issue 15). 0 for a kernel machine (its checks need the
// server, s2) and for a method it does not offer (refused by the server, with the reason).
// The table is written before boot ends (runtime/abi.json machine TABLE): read-only here.
// @ts-ignore: decorator
@inline function handlerOf(s: usize, method: u32): u32 {
  if ((load<u32>(s + M_FLAGS) & KERNEL) || method >= load<u32>(s + M_TABLE_LEN)) return 0;
  return load<u32>(<usize>load<u32>(s + M_TABLE) + (<usize>method << 2));
}

// c3 for either queue (`rq` = 1 marks the result queue in the signal parameter).
function send(i: usize, from: usize, to: usize, mon: usize, sig: usize, rq: u32): void {
  if (load32(i + mon)) {
    // Monitored: a core of `to` will see it, unless `to` has no core left (the manager took
    // it while the flag was still set): then get it one.
    if (load32(to + M_CORES) == 0) schedActivate(to);
    else schedNotify(<usize>load<u32>(to + M_SCHED));
    return;
  }
  // SIG 0 → 1 makes this sender the only user of the direction's embedded record until the
  // receiver's handler (imcOnSignal) stores SIG = 0: the signal allocates nothing.
  if (xchg32(i + sig, 1) == 0) imsSend(from, to, SIG_NEW_MESSAGES, <u32>i | rq, i + (rq ? I_RQ_REC : I_TQ_REC));
}

/** s1: a NEW_MESSAGES or NEW_INTERFACE signal reached machine `m`. */
export function imcOnSignal(m: usize, num: u32, param: u32): void {
  let i = <usize>(param & ~1);
  if (num == SIG_NEW_INTERFACE) { store32(i + I_TQ_MON, 1); if (TRACE) traceMonitor(EV_QUEUE_MONITOR, i, I_TQ_MON); return; }
  if (param & 1) { store32(i + I_RQ_SIG, 0); store32(i + I_RQ_MON, 1); }
  else { store32(i + I_TQ_SIG, 0); store32(i + I_TQ_MON, 1); }
  if (TRACE) traceMonitor(EV_QUEUE_MONITOR, i, param & 1 ? I_RQ_MON : I_TQ_MON);
}

// Trace a monitored-flag change of interface i's queue `mon` (its receiver: the server for TQ,
// the client for RQ).
function traceMonitor(ev: u32, i: usize, mon: usize): void {
  let rq = mon == I_RQ_MON;
  let m = <usize>load<u32>(i + (rq ? I_CLIENT : I_SERVER));
  trace(ev, load<u32>(m + M_ID), <u32>i, rq ? 1 : 0);
}

/** s2–s4 and d, by a core of machine `m` with no local task. Returns the number of items moved.
 *  `idle`: the core's idle spin saw a call arrive (machine/core.ts): see drainRequests. */
export function imcPoll(m: usize, idle: bool = false): u32 {
  let k: u32 = 0;
  for (let i = <usize>load32(m + M_IFACES); i; i = <usize>load<u32>(i + I_NEXT_S)) k += drainRequests(m, i, idle);
  for (let i = <usize>load32(m + M_CIFACES); i; i = <usize>load<u32>(i + I_NEXT_C)) k += drainResults(i);
  return k;
}

/** Only the results half of imcPoll: a caller of machine `m` spinning for its call's result
 *  (sched/sched.ts schedSpinFor, through the RESULTS hook). Returns the results taken in. */
export function imcResults(m: usize): u32 {
  let k: u32 = 0;
  for (let i = <usize>load32(m + M_CIFACES); i; i = <usize>load<u32>(i + I_NEXT_C)) k += drainResults(i);
  return k;
}

/** Requests and results waiting for machine `m`: a count, for the policy. */
export function imcPending(m: usize): u32 {
  let k: u32 = 0;
  for (let i = <usize>load32(m + M_IFACES); i; i = <usize>load<u32>(i + I_NEXT_S)) k += mpmcLen(<usize>load<u32>(i + I_TQ)) + slotsPending(i);
  for (let i = <usize>load32(m + M_CIFACES); i; i = <usize>load<u32>(i + I_NEXT_C)) k += mpmcLen(<usize>load<u32>(i + I_RQ));
  return k;
}

/** Whether a request or a result waits for machine `m`: the idle core's check, every spin
 *  round. It reads the slot the next call will come in (a line the call brings anyway), not PI. */
export function imcWaiting(m: usize): bool {
  for (let i = <usize>load32(m + M_IFACES); i; i = <usize>load<u32>(i + I_NEXT_S)) if (mpmcLen(<usize>load<u32>(i + I_TQ)) || slotReady(i)) return true;
  for (let i = <usize>load32(m + M_CIFACES); i; i = <usize>load<u32>(i + I_NEXT_C)) if (mpmcLen(<usize>load<u32>(i + I_RQ))) return true;
  return false;
}

// Calls published in interface i's slots and not yet taken (PI − CI of every client core).
function slotsPending(i: usize): u32 {
  let k: u32 = 0;
  for (let c: usize = 0; c < <usize>CORE_COUNT; c++) { let r = ringOf(i, c); k += load32(r + R_PI) - load32(r + R_CI); }
  return k;
}

// Whether some client core's next slot of interface i holds a published call (p2's test).
function slotReady(i: usize): bool {
  for (let c: usize = 0; c < <usize>CORE_COUNT; c++) {
    let r = ringOf(i, c), ci = load32(r + R_CI);
    if (load32(slotAt(r, ci) + T_NEXT) == slotSeq(ci)) return true;
  }
  return false;
}

// p2 and s2 for interface i. A ring is read on past a call it took only when the call was found
// by a busy core (`idle` false) and nobody spins for its result: the next slot is a line its
// client core owns, so reading it costs a cross-core miss, and paid before the call just taken
// runs, that miss was on the critical path of every synchronous call (~25 ns of ~240, measured
// in alternated runs, 2026-12-05). A claimed call (its future SPINNING: every call in a slot
// is published claimed) is most often awaited at once (callSync, call().join()), and its caller
// issues nothing more until its result; a stream of async calls is found again by the busy
// core's next poll (outsideWork), a call a poll (batches of 64: ~2.2 against ~2.5 M calls/s,
// 4 alternated runs each, 2026-12-06). Rejected: one call per ring per poll always (batches of
// 8 went from ~125 to ~175 ns a call: each call then cost a whole outsideWork) and reading the client's PI
// instead of the next slot (the same miss: the client writes PI with every call).
function drainRequests(m: usize, i: usize, idle: bool): u32 {
  let q = <usize>load<u32>(i + I_TQ), cap = load<u32>(i + I_CAP), limit = load<u32>(i + I_LIMIT);
  let k: u32 = 0;
  // p2, every client core's ring
  for (let c: usize = 0; c < <usize>CORE_COUNT; c++) {
    let r = ringOf(i, c);
    while (true) {
      let ci = load32(r + R_CI), t = slotAt(r, ci);
      if (load32(t + T_NEXT) != slotSeq(ci)) break;             // an empty poll writes nothing
      let running: u32 = 0;
      if (limit && !(running = reserve(i, limit))) return finishDrain(i, k, q);
      if (cas32(r + R_CI, ci, ci + 1) != ci) { if (limit) sub32(i + I_RUNNING, 1); continue; }   // another server core took it
      if (!limit) running = add32(i + I_RUNNING, 1) + 1;
      k++;
      let waited = load32(t + T_FUTURE) == SPINNING;       // claimed; before accept: the call may run and complete in it
      accept(m, i, t, running);
      if (idle || waited) break;
    }
  }
  // the task queue
  while (true) {
    let t: usize, running: u32;
    if (limit) {
      if (!mpmcLen(q)) break;                     // an empty poll writes nothing
      running = reserve(i, limit);                // several server cores drain at once
      if (!running) break;
      t = mpmcPop(q, cap);
      if (!t) { sub32(i + I_RUNNING, 1); break; }
    } else {
      t = mpmcPop(q, cap);                        // no limit: no slot to reserve first
      if (!t) break;
      running = add32(i + I_RUNNING, 1) + 1;
    }
    k++;
    accept(m, i, t, running);
  }
  return finishDrain(i, k, q);
}

// s2 for call t, taken by this core of server m (RUNNING now `running`): the handler from m's
// table (unless the client found it: FLAG_RESOLVED), the kernel's checks, then ready (or in
// line, if ordered).
function accept(m: usize, i: usize, t: usize, running: u32): void {
  if (running > load32(i + I_HIGH)) atomicMax32(i + I_HIGH, running);
  ownerAdd64(coreRec(CORE_ID) + FC_CALLS_IN_PENDING, 1);   // added to m's CALLS_IN by machine/core.ts (this core serves m)
  let kind = load<u32>(t + T_KIND);
  if (!(kind & FLAG_RESOLVED) && !resolve(m, i, t)) return;
  if (kind & FLAG_ORDERED) startOrdered(i, t);
  else makeReadyHere(t);
}

// s2's look-up of a call the client did not resolve: FN = the handler, KIND bits 16–21 = the
// method; false if the call is refused (completed here with the reason).
function resolve(m: usize, i: usize, t: usize): bool {
  let method = load<u32>(t + T_FN);
  let fn = method < load<u32>(m + M_TABLE_LEN) ? load<u32>(<usize>load<u32>(m + M_TABLE) + (<usize>method << 2)) : 0;
  store<u32>(t + T_KIND, load<u32>(t + T_KIND) | ((method & 63) << KIND_METHOD_SHIFT));   // bits 16–21 only
  let err: u64 = 0;
  if (!fn) err = checkIn(m, <usize>load<u32>(i + I_CLIENT), t, method, false);      // unknown method
  else if (load<u32>(m + M_FLAGS) & KERNEL) err = checkIn(m, <usize>load<u32>(i + I_CLIENT), t, method, true);
  if (err) {                                        // refused: the call fails, clearly; we go on
    store<u32>(t + T_KIND, load<u32>(t + T_KIND) | FLAG_FAILED);
    callComplete(t, err);
    return false;
  }
  store<u32>(t + T_FN, fn);
  return true;
}

// s3: the drain took k calls; none → maybe stop monitoring.
function finishDrain(i: usize, k: u32, q: usize): u32 {
  if (k) { store<f64>(i + I_TQ_LAST, coarseNow()); return k; }
  if (load32(i + I_TQ_MON)) unmonitor(i, I_TQ_MON, I_TQ_LAST, q);
  return 0;
}

// Take one of the interface's LIMIT running slots (cmpxchg, so that two cores cannot both take
// the last one). Returns the new RUNNING count, 0 if the limit is reached.
function reserve(i: usize, limit: u32): u32 {
  while (true) {
    let r = load32(i + I_RUNNING);
    if (limit && r >= limit) return 0;
    if (cas32(i + I_RUNNING, r, r + 1) == r) return r + 1;
  }
}

function drainResults(i: usize): u32 {
  let q = <usize>load<u32>(i + I_RQ), cap = load<u32>(i + I_RQ_CAP);
  let k: u32 = 0;
  while (true) {
    let t = mpmcPop(q, cap);
    if (!t) break;
    k++;
    let heap = !(load<u32>(t + T_KIND) & FLAG_SLOT);  // before the release: a slot may be refilled after it
    futureComplete(t, load<u64>(t + T_RESULT));     // d: waiters / continuation run here
    taskRelease(t);
    if (heap) changetype<Signal>(i + I_CREDITS).signal();
  }
  if (k) { store<f64>(i + I_RQ_LAST, coarseNow()); return k; }
  if (load32(i + I_RQ_MON)) unmonitor(i, I_RQ_MON, I_RQ_LAST, q);
  return 0;
}

// s3–s4.
function unmonitor(i: usize, mon: usize, last: usize, q: usize): void {
  if (coarseNow() - load<f64>(i + last) < GRACE_NS) return;       // the core's coarse clock: no import per poll
  store32(i + mon, 0);
  if (TRACE) traceMonitor(EV_QUEUE_UNMONITOR, i, mon);
  if (mpmcLen(q) || (mon == I_TQ_MON && slotReady(i))) { store32(i + mon, 1); if (TRACE) traceMonitor(EV_QUEUE_MONITOR, i, mon); }
}

// Ordered calls of one interface run one at a time, in sequence-number (= issue) order: a call
// waits in a list sorted by sequence number until it is the next one and none is running.
function startOrdered(i: usize, t: usize): void {
  lock(i + I_ORD_LOCK, "ordered calls");
  let seq = load<u32>(t + T_ENQ);
  let prev: usize = 0, it = <usize>load<u32>(i + I_ORD_HEAD);
  while (it && <i32>(load<u32>(it + T_ENQ) - seq) < 0) { prev = it; it = <usize>load<u32>(it + T_NEXT); }
  store<u32>(t + T_NEXT, <u32>it);
  if (prev) store<u32>(prev + T_NEXT, <u32>t); else store<u32>(i + I_ORD_HEAD, <u32>t);
  if (DEBUG) checkOrdered(i);
  let run = takeNextOrdered(i);
  unlock(i + I_ORD_LOCK);
  if (run) makeReady(run);
}

// Debug builds, under ORD_LOCK: the waiting calls are sorted by sequence number, none repeated,
// and none older than the next one to run.
function checkOrdered(i: usize): void {
  let next = load<u32>(i + I_ORD_NEXT);
  let prev: usize = 0;
  for (let it = <usize>load<u32>(i + I_ORD_HEAD); it; it = <usize>load<u32>(it + T_NEXT)) {
    let seq = load<u32>(it + T_ENQ);
    assert(<i32>(seq - next) >= 0, "imc: an ordered call older than the next one to run is waiting");
    if (prev) assert(<i32>(seq - load<u32>(prev + T_ENQ)) > 0, "imc: ordered list not sorted by sequence number");
    prev = it;
  }
}

// The call to start now, if the list's head is the next sequence number and nothing runs.
function takeNextOrdered(i: usize): usize {
  let h = <usize>load<u32>(i + I_ORD_HEAD);
  if (!h || load<u32>(i + I_ORD_BUSY) || load<u32>(h + T_ENQ) != load<u32>(i + I_ORD_NEXT)) return 0;
  store<u32>(i + I_ORD_HEAD, load<u32>(h + T_NEXT));
  store<u32>(i + I_ORD_BUSY, 1);
  store<u32>(h + T_ENQ, 0);
  return h;
}

function nextOrdered(i: usize): void {
  lock(i + I_ORD_LOCK, "ordered calls");
  store<u32>(i + I_ORD_BUSY, 0);
  store<u32>(i + I_ORD_NEXT, load<u32>(i + I_ORD_NEXT) + 1);
  let run = takeNextOrdered(i);
  unlock(i + I_ORD_LOCK);
  if (run) makeReady(run);
}

/** Step r for a call handed over in place (sched/future.ts h2), at its handle's release (h4),
 *  on the releasing core: what step d does for a call taken from the result queue. The server
 *  let go of the record with its HANDED cmpxchg, only the handle's holder finishes a HANDED call
 *  and other waiters only read it, so FUTURE and REFS take plain stores: no locked instruction. */
export function imcHandoff(t: usize): void {
  let i: usize, heap = !(load<u32>(t + T_KIND) & FLAG_SLOT);
  if (!heap) i = <usize>load<u32>((t & ~(RING_STRIDE - 1)) + R_IFACE);
  else { i = <usize>load<u32>(t + T_NEXT); store<u32>(t + T_NEXT, 0); }
  let refs = load<u32>(t + T_REFS);
  if (DEBUG) assert(refs >= 2, "imc: a handed-over call without its handle's reference");
  store<u32>(t + T_REFS, refs - 1);              // the reference the result queue would have dropped
  store<u32>(t + T_FUTURE, DONE);                // no list: a claimed word has none (waiters took HANDED as done)
  resultTaken(i, heap);
}

/** Step r for a call handed over in place to a caller that drops its handle at once (callSync,
 *  Future.join: the scheduler's HANDED_RELEASE hook), on the caller's core: when the call came
 *  through this core's own slot and did not fail, finish and free it without a write to its
 *  record (true): its line went to the server and back once and stays where the server left it
 *  (a write here would take it back once more: ~40 ns a call, measured in alternated runs,
 *  2026-12-06). The slot is freed in the ring's FREED mask (this core's word) instead of KIND,
 *  FUTURE stays HANDED and REFS 2 until the next call through the slot rewrites them. Otherwise
 *  imcHandoff (false): the caller releases its handle as usual. */
export function imcHandedRelease(t: usize): bool {
  let kind = load<u32>(t + T_KIND), r = t & ~(RING_STRIDE - 1);
  if (!(kind & FLAG_SLOT) || (kind & FLAG_FAILED)) { imcHandoff(t); return false; }
  let i = <usize>load<u32>(r + R_IFACE);                 // a slot's ring names its interface
  if (r != ringOf(i, <usize>CORE_ID)) { imcHandoff(t); return false; }
  if (DEBUG) assert(load<u32>(t + T_REFS) == 2, "imc: a handed-over slot call with other references");
  store<u32>(r + R_FREED, load<u32>(r + R_FREED) | (<u32>1 << <u32>((t - r - R_SLOT0) >> 6)));
  ownerAdd64(coreRec(CORE_ID) + FC_TASKS_LIVE, u64.MAX_VALUE);   // − 1, as taskRelease
  resultTaken(i, false);
  return true;
}

// A handed-over result was taken in on this core (imcHandoff, imcHandedRelease): results come
// in, so the result queue stays monitored; a heap record's credit goes back (a slot took none).
// @ts-ignore: decorator
@inline function resultTaken(i: usize, heap: bool): void {
  store<f64>(i + I_RQ_LAST, coarseNow());
  if (heap) changetype<Signal>(i + I_CREDITS).signal();
}

/** Step r: a call's handler returned `result` on a core of the server (sched/dispatch.ts, or
 *  failCurrent after a trap; the scheduler's CALL_DONE hook). The call goes back to the client:
 *  handed over in place if its caller spins on it (h2), else through the result queue. A slot
 *  call's record gets two writes from here, RESULT and the cmpxchg, back to back: one transfer of
 *  its line to the server while the caller polls it. */
export function callComplete(t: usize, result: u64): void {
  let i = <usize>load<u64>(t + T_RESULT);
  let server = <usize>load<u32>(i + I_SERVER), client = <usize>load<u32>(i + I_CLIENT);
  let kind = load<u32>(t + T_KIND);
  // A kernel machine's copies go back to the caller; those of a handler that trapped are only
  // freed (a refused call, FLAG_REFUSED, never got copies).
  if ((load<u32>(server + M_FLAGS) & KERNEL) && !(kind & FLAG_REFUSED)) copyOut(server, client, t, (kind >> KIND_METHOD_SHIFT) & 63, (kind & FLAG_FAILED) != 0);
  sub32(i + I_RUNNING, 1);
  if (kind & FLAG_ORDERED) nextOrdered(i);
  if (!(kind & FLAG_SLOT)) store<u32>(t + T_NEXT, <u32>i);       // for imcHandoff (a slot's ring names i)
  store<u64>(t + T_RESULT, result);
  if (cas32(t + T_FUTURE, SPINNING, HANDED) == SPINNING) return;  // sched/future.ts h2: claimed, the result stays in place
  store<u32>(t + T_SCHED, load<u32>(client + M_SCHED));          // waiters belong to the client
  if (!mpmcPush(<usize>load<u32>(i + I_RQ), load<u32>(i + I_RQ_CAP), t)) fail("imc: result queue full despite credits");
  send(i, server, client, I_RQ_MON, I_RQ_SIG, 1);
}
