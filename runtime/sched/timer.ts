// timer.ts: timed wake-ups for tasks: sleep(ns), and a timer that signals a Signal once after a
// delay (timerStart/timerCancel), for protocols that wait for "an event or a timeout" (the
// network machine's retransmission and delayed-ACK clock, aams/net).
//
// Owns: the one system-wide list of pending timers (sorted by deadline), its lock and the
// earliest deadline that every core reads. Not: blocking (a sleeping task waits on a Signal,
// signal.ts), when a core looks (machine/core.ts calls timerPoll between tasks and when idle;
// machine/manager.ts parkTimeout bounds an idle core's sleep by timerNext), the clock
// (platform.now_ns).
//
// Protocol:
//  1. timerStart(s, ns): allocate a record {deadline = now + ns, s, id}; under LOCK insert it in
//     deadline order and, if it became the first, store NEXT = its deadline (atomic).
//  2. Any core, between tasks and when idle (timerPoll): NEXT > now → nothing (one atomic load,
//     plus the clock when a timer is pending). Else tryLock (another core firing: leave it to
//     it), unlink every record due, store NEXT = the new first deadline (∞: none), unlock; then
//     signal each record's Signal (one unit) and free the record. Signalling after the unlock
//     keeps LOCK at the bottom of the lock order: Signal.signal may activate a machine (manager
//     lock), and a core holding any lock may start or cancel a timer.
//  3. An idle core parks no longer than NEXT − now (manager.ts parkTimeout), so some core wakes
//     for the earliest deadline; a core running tasks looks every 64 tasks (core.ts). A timer
//     therefore fires no earlier than its deadline and late by at most one task's run time on a
//     busy system.
//  4. timerCancel(id): under LOCK find the record by id (ids are never reused within 2^32
//     starts; a record's address could be), unlink it, fix NEXT; true if found. False means it
//     fired or is firing: its unit has arrived or will arrive, so the Signal's owner must take
//     that unit (or tolerate it) before disposing the Signal.
// sleep(ns) is 1 + wait on a private Signal: the unit is taken before the Signal is disposed,
// and step 2 touches the Signal only inside signal(), which is done with it before the waiter
// can run.
// Rejected: a timer wheel (fixed granularity, a tick that wakes idle cores whether or not a
// timer is pending — idle cost is what the scheduler measures); a heap (O(log n) insert, but
// cancel needs an index per record; the lists here hold a few timers per connection at most);
// a timeout on Signal.wait (needs unlinking a waiter from the FIFO under the signal's lock and
// the timer's at once: two locks where this design nests none).
//
// ╒════════ timer list (static, shared; 32 bytes) ════════╕
//  +0  LOCK   spinlock (rt/atomic.ts order 9: nothing under it)  writers: timerStart/Poll/Cancel
//  +4  HEAD   first record (0: none)             under LOCK
//  +8  SEQ    last id handed out                 under LOCK
//  +16 NEXT   f64 earliest deadline, ∞ when none: written under LOCK (atomic store), read by
//             every core without it (atomic load) in timerDue/timerNext
// ╒════════ timer record (24 bytes, heap) ════════╕
//  +0 DEADLINE f64 ns   +8 SIGNAL   +12 NEXT record   +16 ID

import { platform } from "~lib/rt/platform";
import { lock, tryLock, unlock, load64, store64 } from "~lib/rt/atomic";
import { heapAlloc, heapFree } from "~lib/rt/heap";
import { DEBUG } from "~lib/rt/layout";
import { Signal } from "./signal";

// @ts-ignore: decorator
@inline const L_LOCK: usize = 0;
// @ts-ignore: decorator
@inline const L_HEAD: usize = 4;
// @ts-ignore: decorator
@inline const L_SEQ: usize = 8;
// @ts-ignore: decorator
@inline const L_NEXT: usize = 16;
// @ts-ignore: decorator
@inline const R_DEADLINE: usize = 0;
// @ts-ignore: decorator
@inline const R_SIGNAL: usize = 8;
// @ts-ignore: decorator
@inline const R_NEXT: usize = 12;
// @ts-ignore: decorator
@inline const R_ID: usize = 16;
// @ts-ignore: decorator
@inline const R_SIZE: usize = 24;

// The list: static data, shared by every core (module-level lets are per core), initialised
// once for all instances (static data is: tests/runtime/static_data): NEXT starts as ∞.
const LIST = memory.data<u64>([0, 0, 0x7FF0000000000000, 0], 16);

// @ts-ignore: decorator
@inline function nextDeadline(): f64 { return reinterpret<f64>(load64(LIST + L_NEXT)); }

// Under LOCK: NEXT = the first record's deadline, or ∞.
function publishNext(): void {
  let h = <usize>load<u32>(LIST + L_HEAD);
  store64(LIST + L_NEXT, reinterpret<u64>(h ? load<f64>(h + R_DEADLINE) : Infinity));
}

/** Step 1: signal `s` once (one unit) after `ns` nanoseconds (≤ 0: at the next look). Returns the
 *  timer's id (never 0) for timerCancel. */
export function timerStart(s: Signal, ns: f64): u32 {
  let deadline = platform.now_ns() + (ns > 0 ? ns : 0);
  let r = heapAlloc(R_SIZE);
  store<f64>(r + R_DEADLINE, deadline);
  store<u32>(r + R_SIGNAL, changetype<u32>(s));
  lock(LIST + L_LOCK, "timer");
  let id = load<u32>(LIST + L_SEQ) + 1;
  if (id == 0) id = 1;
  store<u32>(LIST + L_SEQ, id);
  store<u32>(r + R_ID, id);
  let prev: usize = 0;
  let cur = <usize>load<u32>(LIST + L_HEAD);
  while (cur && load<f64>(cur + R_DEADLINE) <= deadline) { prev = cur; cur = <usize>load<u32>(cur + R_NEXT); }
  store<u32>(r + R_NEXT, <u32>cur);
  if (prev) store<u32>(prev + R_NEXT, <u32>r);
  else { store<u32>(LIST + L_HEAD, <u32>r); publishNext(); }
  unlock(LIST + L_LOCK);
  return id;
}

/** Step 4: stop timer `id`. True if it had not fired (its Signal gets nothing); false if it
 *  fired or is firing (its unit has arrived or will). */
export function timerCancel(id: u32): bool {
  if (id == 0) return false;
  lock(LIST + L_LOCK, "timer");
  let prev: usize = 0;
  let cur = <usize>load<u32>(LIST + L_HEAD);
  while (cur && load<u32>(cur + R_ID) != id) { prev = cur; cur = <usize>load<u32>(cur + R_NEXT); }
  if (cur) {
    let next = load<u32>(cur + R_NEXT);
    if (prev) store<u32>(prev + R_NEXT, next);
    else { store<u32>(LIST + L_HEAD, next); publishNext(); }
  }
  unlock(LIST + L_LOCK);
  if (!cur) return false;
  heapFree(cur);
  return true;
}

/** Block the calling task for at least `ns` nanoseconds; its core runs other work meanwhile. */
export function sleep(ns: f64): void {
  let s = Signal.create(0);
  timerStart(s, ns);
  s.wait();
  s.dispose();
}

/** The earliest pending deadline (ns), or -1 when no timer is pending. One atomic load: the
 *  cores' loops call it between tasks. */
// @ts-ignore: decorator
@inline export function timerNext(): f64 {
  let d = nextDeadline();
  return d == Infinity ? -1 : d;
}

/** Whether a timer is due at time `now` (ns). */
// @ts-ignore: decorator
@inline export function timerDue(now: f64): bool {
  let d = timerNext();
  return d >= 0 && d <= now;
}

/** Step 2: fire every timer due at `now`; returns how many fired (0 also when another core is
 *  firing them). */
export function timerPoll(now: f64): i32 {
  if (!timerDue(now)) return 0;
  if (!tryLock(LIST + L_LOCK, "timer")) return 0;
  let first = <usize>load<u32>(LIST + L_HEAD);
  let last: usize = 0;
  let cur = first;
  while (cur && load<f64>(cur + R_DEADLINE) <= now) { last = cur; cur = <usize>load<u32>(cur + R_NEXT); }
  if (!last) { unlock(LIST + L_LOCK); return 0; }
  store<u32>(LIST + L_HEAD, <u32>cur);
  store<u32>(last + R_NEXT, 0);
  publishNext();
  unlock(LIST + L_LOCK);
  let n = 0;
  let r = first;
  while (r) {
    let next = <usize>load<u32>(r + R_NEXT);
    let s = changetype<Signal>(load<u32>(r + R_SIGNAL));
    if (DEBUG) assert(load<f64>(r + R_DEADLINE) <= now, "timer: fired before its deadline");
    heapFree(r);
    s.signal(1);
    n++;
    r = next;
  }
  return n;
}
