// tcp_tcb.ts: the TCP control block (TCB), the connection tables and TCP's shared globals.
//
// Owns: the TCB record and its life (tcbCreate … tcbDrop), the handle table (handle → TCB), the
// demultiplexing hash (4-tuple → TCB), the listener list, the list of every TCB (the timer scan),
// the counters tcpStats reports, the initial sequence numbers (RFC 6528), wake-ups of tasks
// blocked on a TCB, and the sequence-number comparisons. Not: what a segment does (tcp_in.ts),
// what is sent (tcp_out.ts), timers (tcp_timer.ts), congestion control (tcp_cc.ts), the public
// calls (tcp.ts).
//
// Locking: every word below is read and written only with the stack lock held (stack.ts netLock),
// by whichever core holds it: tcpInput and tcpTimers are called with it, the public calls take it.
// So nothing here is atomic. A module-level `let` is per core in this image: shared state lives in
// the static words below (memory.data) and in heap records, never in a module-level let.
//
// Life of a TCB:
//  1. tcbCreate: zeroed record, listed on ALL; hashed once its 4-tuple is known (tcbHash).
//  2. It gets a handle (handleAlloc) when a task can name it: tcpListen, tcpConnect, tcpAccept.
//     An embryonic connection (SYN received, not accepted) has no handle; its LISTENER owns it.
//  3. It reaches CLOSED (tcbClosed): unhashed at once (the 4-tuple is free again), buffers kept
//     while a handle may still read them.
//  4. tcbRelease frees it once CLOSED, without a handle, not on a listener's queue and with no
//     task inside a call on it (REFS 0): so a task woken from a wait never touches freed memory.

import { Signal, heapAlloc, heapFree, now } from "aam";

// @ts-ignore: decorator
@inline export const DEBUG: bool = isDefined(AAM_DEBUG);

// ── states (RFC 9293 §3.3.2) ──
export const CLOSED: u32 = 0;
export const LISTEN: u32 = 1;
export const SYN_SENT: u32 = 2;
export const SYN_RECEIVED: u32 = 3;
export const ESTABLISHED: u32 = 4;
export const FIN_WAIT_1: u32 = 5;
export const FIN_WAIT_2: u32 = 6;
export const CLOSE_WAIT: u32 = 7;
export const CLOSING: u32 = 8;
export const LAST_ACK: u32 = 9;
export const TIME_WAIT: u32 = 10;

// ── flags ──
export const F_ACKNOW: u32 = 1;        // send an ACK at the next output
export const F_DELACK: u32 = 2;        // an ACK is owed; the delayed-ACK timer runs
export const F_FIN_QUEUED: u32 = 4;    // the application shut down sending: FIN after the data
export const F_FIN_SENT: u32 = 8;      // our FIN has sequence number FINSEQ
export const F_FIN_RCVD: u32 = 16;     // the peer's FIN was taken in (recv returns 0 after the data)
export const F_WSCALE: u32 = 32;       // both sides sent the window-scale option (RFC 7323 §2.2)
export const F_ORPHAN: u32 = 64;       // the application closed its handle; nobody reads
export const F_RECOVERY: u32 = 128;    // NewReno fast recovery (RFC 6582)
export const F_RTT: u32 = 256;         // a segment is being timed (RTTSEQ, RTTSTART)
export const F_PERSIST: u32 = 512;     // the persist timer runs instead of the retransmit timer
export const F_ACCEPTQ: u32 = 1024;    // on its listener's accept queue (else on the SYN queue)
export const F_REPORTED: u32 = 2048;   // the error was seen by the application once

// ── errnos (negative POSIX, as the rest of the stack) ──
export const EBADF: i32 = -9;
export const EINVAL: i32 = -22;
export const EPIPE: i32 = -32;
export const EADDRINUSE: i32 = -98;
export const ENOBUFS: i32 = -105;
export const ENOTCONN: i32 = -107;
export const ECONNRESET: i32 = -104;
export const ETIMEDOUT: i32 = -110;
export const ECONNREFUSED: i32 = -111;
export const EHOSTUNREACH: i32 = -113;

// ── limits (TCP.md "Limits") ──
export const MAX_HANDLES: u32 = 4096;  // handles 1..4095
export const MAX_TCBS: u32 = 16384;    // every TCB, TIME_WAIT and embryonic included (a record each)
export const BUCKETS: u32 = 1024;      // demultiplexing hash (power of two)
export const RCV_BUF: u32 = 128 << 10; // receive buffer, bytes: the largest window we offer
export const SND_BUF: u32 = 128 << 10; // send buffer, bytes
export const RCV_SHIFT: u32 = 2;       // our window scale: RCV_BUF >> 2 fits 16 bits
export const MSS_DEFAULT: u32 = 536;   // a peer that sends no MSS option (RFC 9293 §3.7.1)
export const MSS_OURS: u32 = 1460;     // what we offer: MTU 1500 − 40
export const OOO_MAX: u32 = 8;         // out-of-order ranges kept (each any length inside the window)

// ╒══════════════════ TCB (heap record, offsetof<Tcb>() + OOO_MAX × 8 bytes) ══════════════════╕
// │ who writes / reads: all words under the stack lock; "in" = tcp_in.ts, "out" = tcp_out.ts,   │
// │ "tm" = tcp_timer.ts, "api" = tcp.ts, "cc" = tcp_cc.ts                                       │
// │ state flags err           in/tm/api write; everyone reads                                  │
// │ handle refs waitq         api (handle, refs: tasks inside a call; waitq: the waiter records │
// │                           of blocked tasks, woken by tcbWake from in/tm)                   │
// │ lip rip lport rport       the 4-tuple, written once (create/accept), read by all           │
// │ hashNext allNext allPrev  tables (this file)                                               │
// │ listener qNext            embryonic/unaccepted: its listener, the queue link (in, api)     │
// │ backlog synCount acceptCount synHead synTail acceptHead acceptTail: LISTEN only (in, api)  │
// │ iss sndUna sndNxt sndMax sndWnd sndWl1 sndWl2 maxSndWnd sndShift mss finSeq  in/out         │
// │ irs rcvNxt rcvAdv rcvShift ackPending                                         in/out        │
// │ cwnd ssthresh dupAcks recover                                                 cc            │
// │ srtt rttvar rto rttSeq rttStart retries persistShift                          cc/tm/out     │
// │ tRexmt tDelack tWait: absolute deadlines in ns, 0 = off                        out/in/tm     │
// │ sbuf ssize shead slen sseq: send ring; byte shead has sequence number sseq     api/in/out    │
// │ rbuf rsize rhead rlen: receive ring, rlen in-order bytes unread at rhead       api/in        │
// │ oooN + ranges [start, end) after the record: out-of-order data already in the ring          │
// ╘═════════════════════════════════════════════════════════════════════════════════════════════╛
@unmanaged
export class Tcb {
  state: u32; flags: u32; err: i32;
  handle: u32; refs: u32; waitq: usize;
  lip: u32; rip: u32; lport: u32; rport: u32;
  hashNext: usize; allNext: usize; allPrev: usize;
  listener: usize; qNext: usize;
  backlog: u32; synCount: u32; acceptCount: u32; synHead: usize; synTail: usize; acceptHead: usize; acceptTail: usize;
  iss: u32; sndUna: u32; sndNxt: u32; sndMax: u32; sndWnd: u32; sndWl1: u32; sndWl2: u32;
  maxSndWnd: u32; sndShift: u32; mss: u32; finSeq: u32;
  irs: u32; rcvNxt: u32; rcvAdv: u32; rcvShift: u32; ackPending: u32;
  cwnd: u32; ssthresh: u32; dupAcks: u32; recover: u32;
  srtt: f64; rttvar: f64; rto: f64; rttStart: f64; rttSeq: u32; retries: u32; persistShift: u32;
  tRexmt: f64; tDelack: f64; tWait: f64;
  sbuf: usize; ssize: u32; shead: u32; slen: u32; sseq: u32;
  rbuf: usize; rsize: u32; rhead: u32; rlen: u32;
  oooN: u32;
}

// @ts-ignore: decorator
@inline export function oooAt(t: Tcb, i: u32): usize { return changetype<usize>(t) + offsetof<Tcb>() + <usize>i * 8; }

// ── sequence arithmetic (RFC 9293 §3.4: modulo 2^32) ──
// @ts-ignore: decorator
@inline export function seqLt(a: u32, b: u32): bool { return <i32>(a - b) < 0; }
// @ts-ignore: decorator
@inline export function seqLe(a: u32, b: u32): bool { return <i32>(a - b) <= 0; }
// @ts-ignore: decorator
@inline export function seqGt(a: u32, b: u32): bool { return <i32>(a - b) > 0; }
// @ts-ignore: decorator
@inline export function seqGe(a: u32, b: u32): bool { return <i32>(a - b) >= 0; }

// ── the globals (static words: shared by every core) ──
// ╒══════ GLOBALS (64 bytes) ══════╕
//  +0 READY  +4 KEY 4 × u32  +20 ALL head  +24 LISTENERS head  +28 COUNT TCBs  +32 EPHEMERAL next
//  +36 HANDLE_HINT  +40 NEXT_DEADLINE f64  +48 MSL_MS (0: default)  +52 reserved
const GLOBALS = memory.data(64);
const HANDLES = memory.data(<i32>(MAX_HANDLES * 4));     // handle → TCB
const HASH = memory.data(<i32>(BUCKETS * 4));            // bucket → first TCB (hashNext chain)
// @ts-ignore: decorator
@inline const G_READY: usize = 0;
// @ts-ignore: decorator
@inline const G_KEY: usize = 4;
// @ts-ignore: decorator
@inline const G_ALL: usize = 20;
// @ts-ignore: decorator
@inline const G_LISTENERS: usize = 24;
// @ts-ignore: decorator
@inline const G_COUNT: usize = 28;
// @ts-ignore: decorator
@inline const G_EPHEMERAL: usize = 32;
// @ts-ignore: decorator
@inline const G_HINT: usize = 36;
// @ts-ignore: decorator
@inline const G_DEADLINE: usize = 40;
// @ts-ignore: decorator
@inline const G_MSL: usize = 48;

// ── counters (tcpStats copies them out, u32 each, in this order; TCP.md lists them) ──
export const S_ACTIVE_OPENS: u32 = 0;
export const S_PASSIVE_OPENS: u32 = 1;
export const S_ATTEMPT_FAILS: u32 = 2;
export const S_RESETS_IN: u32 = 3;
export const S_SEGS_IN: u32 = 4;
export const S_SEGS_OUT: u32 = 5;
export const S_RETRANS: u32 = 6;        // segments sent again (RTO or fast retransmit)
export const S_RTO: u32 = 7;            // retransmission timeouts
export const S_FAST_RETRANS: u32 = 8;   // fast retransmits (3 duplicate ACKs)
export const S_PARTIAL_ACKS: u32 = 9;   // NewReno partial ACKs
export const S_BAD_SEGS: u32 = 10;      // checksum, header length, options
export const S_RESETS_OUT: u32 = 11;
export const S_SYN_DROPS: u32 = 12;     // SYNs refused (queue full / table full)
export const S_SYNQ_EVICT: u32 = 13;    // half-open connections dropped for a newer SYN
export const S_OOO_SEGS: u32 = 14;      // out-of-order segments kept
export const S_DUP_ACKS: u32 = 15;
export const S_CHALLENGE_ACKS: u32 = 16;
export const S_OUT_OF_WINDOW: u32 = 17; // unacceptable segments answered with an ACK
export const S_PROBES: u32 = 18;        // zero-window probes
export const S_DELACKS: u32 = 19;       // ACKs sent by the delayed-ACK timer
export const S_LOSS_DROPS: u32 = 20;    // test hook: segments dropped
export const S_LOSS_REORDERS: u32 = 21; // test hook: segments held back
export const S_TIMEWAIT_REUSE: u32 = 22;
export const S_TCBS: u32 = 23;          // TCBs alive now (copied from COUNT)
export const S_BUFFERS: u32 = 24;       // buffer bytes held now
export const S_TIMEWAIT_EVICT: u32 = 25; // TIME_WAIT records freed early for a new TCB (table full)
export const S_COUNT: u32 = 26;
const STATS = memory.data(<i32>(S_COUNT * 4));

// @ts-ignore: decorator
@inline export function stat(i: u32, n: u32 = 1): void { store<u32>(STATS + <usize>i * 4, load<u32>(STATS + <usize>i * 4) + n); }
export function statsCopy(out: usize): void {
  store<u32>(STATS + <usize>S_TCBS * 4, load<u32>(GLOBALS + G_COUNT));
  memory.copy(out, STATS, <usize>S_COUNT * 4);
}
/** Buffer bytes: tracked so tests see buffers go back to zero. */
function bufferBytes(delta: i32): void { store<u32>(STATS + <usize>S_BUFFERS * 4, <u32>(<i32>load<u32>(STATS + <usize>S_BUFFERS * 4) + delta)); }

/** First use (under the lock): the ISN key from the platform's entropy (Math.random's seed). */
export function tcpInit(): void {
  if (load<u32>(GLOBALS + G_READY)) return;
  for (let i = 0; i < 4; i++) store<u32>(GLOBALS + G_KEY + <usize>i * 4, <u32>(Math.random() * 4294967296.0));
  store<u32>(GLOBALS + G_EPHEMERAL, 49152 + (<u32>(Math.random() * 16384.0) & 16383));
  store<f64>(GLOBALS + G_DEADLINE, Infinity);
  store<u32>(GLOBALS + G_READY, 1);
}

/** Maximum segment lifetime in ns: 15 s, or what tcpConfigure set (tests shorten TIME_WAIT). */
export function msl(): f64 { let m = load<u32>(GLOBALS + G_MSL); return (m ? <f64>m : 15000.0) * 1e6; }
export function setMsl(ms: u32): void { store<u32>(GLOBALS + G_MSL, ms); }
export function nextDeadline(): f64 { return load<f64>(GLOBALS + G_DEADLINE); }
export function setNextDeadline(d: f64): void { store<f64>(GLOBALS + G_DEADLINE, d); }
export function firstTcb(): Tcb { return changetype<Tcb>(<usize>load<u32>(GLOBALS + G_ALL)); }
export function firstListener(): Tcb { return changetype<Tcb>(<usize>load<u32>(GLOBALS + G_LISTENERS)); }
export function tcbCount(): u32 { return load<u32>(GLOBALS + G_COUNT); }

// RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs clock. F is
// a keyed mix of the 4-tuple (two rounds of a multiply-xorshift per word, the key folded in each
// round): not a cryptographic PRF, but an off-path attacker who sees no ISN of ours cannot
// compute F without the 128-bit key (TCP.md "ISN").
function mix(h: u32, x: u32, k: u32): u32 {
  h ^= x + k; h = (h ^ (h >>> 16)) * 0x7feb352d; h = (h ^ (h >>> 15)) * 0x846ca68b; return h ^ (h >>> 16);
}
export function isnFor(lip: u32, lport: u32, rip: u32, rport: u32): u32 {
  let k = GLOBALS + G_KEY;
  let h = mix(0x9e3779b9, lip, load<u32>(k));
  h = mix(h, rip, load<u32>(k + 4));
  h = mix(h, (lport << 16) | rport, load<u32>(k + 8));
  h = mix(h, load<u32>(k), load<u32>(k + 12));
  return h + <u32>(<u64>(now() / 4000.0));
}

// ── the demultiplexing hash ──
function bucket(lport: u32, rip: u32, rport: u32): usize {
  let h = (rip ^ (rport << 16) ^ lport) * 0x9E3779B1;
  return HASH + <usize>((h >>> 16) & (BUCKETS - 1)) * 4;
}
/** The connection (not listener) for this 4-tuple, or null. */
export function tcbLookup(lip: u32, lport: u32, rip: u32, rport: u32): Tcb | null {
  let p = <usize>load<u32>(bucket(lport, rip, rport));
  while (p) {
    let t = changetype<Tcb>(p);
    if (t.lport == lport && t.rport == rport && t.rip == rip && t.lip == lip) return t;
    p = t.hashNext;
  }
  return null;
}
export function tcbHash(t: Tcb): void {
  let b = bucket(t.lport, t.rip, t.rport);
  t.hashNext = <usize>load<u32>(b);
  store<u32>(b, <u32>changetype<usize>(t));
}
function tcbUnhash(t: Tcb): void {
  let b = bucket(t.lport, t.rip, t.rport);
  let prev: usize = 0, p = <usize>load<u32>(b), me = changetype<usize>(t);
  while (p && p != me) { prev = p; p = changetype<Tcb>(p).hashNext; }
  if (!p) return;                                          // never hashed (a listener, an unused TCB)
  if (prev) changetype<Tcb>(prev).hashNext = t.hashNext; else store<u32>(b, <u32>t.hashNext);
  t.hashNext = 0;
}
/** The listener on `lport`, or null. */
export function listenerFor(lport: u32): Tcb | null {
  let p = <usize>load<u32>(GLOBALS + G_LISTENERS);
  while (p) { let t = changetype<Tcb>(p); if (t.lport == lport) return t; p = t.hashNext; }
  return null;
}
export function listenerAdd(t: Tcb): void {
  t.hashNext = <usize>load<u32>(GLOBALS + G_LISTENERS);
  store<u32>(GLOBALS + G_LISTENERS, <u32>changetype<usize>(t));
}
function listenerRemove(t: Tcb): void {
  let prev: usize = 0, p = <usize>load<u32>(GLOBALS + G_LISTENERS), me = changetype<usize>(t);
  while (p && p != me) { prev = p; p = changetype<Tcb>(p).hashNext; }
  if (!p) return;
  if (prev) changetype<Tcb>(prev).hashNext = t.hashNext; else store<u32>(GLOBALS + G_LISTENERS, <u32>t.hashNext);
  t.hashNext = 0;
}
/** The next free ephemeral port (49152..65535) for a connection to rip:rport. */
export function ephemeralPort(lip: u32, rip: u32, rport: u32): u32 {
  let p = load<u32>(GLOBALS + G_EPHEMERAL);
  for (let i: u32 = 0; i < 16384; i++) {
    p = p >= 65535 ? 49152 : p + 1;
    if (!listenerFor(p) && !tcbLookup(lip, p, rip, rport)) { store<u32>(GLOBALS + G_EPHEMERAL, p); return p; }
  }
  return 0;
}

// ── handles ──
export function handleAlloc(t: Tcb): i32 {
  let hint = load<u32>(GLOBALS + G_HINT);
  for (let i: u32 = 0; i < MAX_HANDLES - 1; i++) {
    let h = ((hint + i) % (MAX_HANDLES - 1)) + 1;
    let slot = HANDLES + <usize>h * 4;
    if (!load<u32>(slot)) {
      store<u32>(slot, <u32>changetype<usize>(t));
      store<u32>(GLOBALS + G_HINT, h);
      t.handle = h;
      return <i32>h;
    }
  }
  return ENOBUFS;
}
/** The TCB of handle `c`, or null (a handle never given, or closed). */
export function tcbOf(c: i32): Tcb | null {
  if (c <= 0 || <u32>c >= MAX_HANDLES) return null;
  let p = <usize>load<u32>(HANDLES + <usize>c * 4);
  return p ? changetype<Tcb>(p) : null;
}
export function handleFree(t: Tcb): void {
  if (t.handle) store<u32>(HANDLES + <usize>t.handle * 4, 0);
  t.handle = 0;
}

// ── life ──
/** A new TCB in state CLOSED, listed; null when MAX_TCBS exist and none of them is in TIME_WAIT
 *  without a handle (the oldest such is freed for the new one: as Linux's tcp_max_tw_buckets, a
 *  busy server's TIME_WAIT records never lock out new connections). */
export function tcbCreate(): Tcb | null {
  if (load<u32>(GLOBALS + G_COUNT) >= MAX_TCBS) {
    let oldest: usize = 0, p = <usize>load<u32>(GLOBALS + G_ALL);        // newest first
    while (p) { let t = changetype<Tcb>(p); if (t.state == TIME_WAIT && t.handle == 0 && t.refs == 0) oldest = p; p = t.allNext; }
    if (!oldest) return null;
    stat(S_TIMEWAIT_EVICT);
    tcbClosed(changetype<Tcb>(oldest), 0);                               // frees it: no handle
  }
  let size = offsetof<Tcb>() + <usize>OOO_MAX * 8;
  let p = heapAlloc(size);
  memory.fill(p, 0, size);
  let t = changetype<Tcb>(p);
  t.mss = MSS_DEFAULT;
  t.rto = 1e9;                                             // RFC 6298 (2.1): 1 s before a sample
  let head = <usize>load<u32>(GLOBALS + G_ALL);
  t.allNext = head;
  if (head) changetype<Tcb>(head).allPrev = p;
  store<u32>(GLOBALS + G_ALL, <u32>p);
  store<u32>(GLOBALS + G_COUNT, load<u32>(GLOBALS + G_COUNT) + 1);
  return t;
}
/** The buffers of a connection that reached ESTABLISHED (none before: a SYN flood costs one record
 *  per half-open connection, not 256 KiB). */
export function tcbBuffers(t: Tcb): void {
  if (t.rbuf) return;
  t.rbuf = heapAlloc(RCV_BUF); t.rsize = RCV_BUF;
  t.sbuf = heapAlloc(SND_BUF); t.ssize = SND_BUF;
  bufferBytes(<i32>(RCV_BUF + SND_BUF));
}
// A blocked task's waiter record (tcp.ts waitOn), on its TCB's WAITQ list: +0 NEXT, +4 its Signal.
export const WAITER_SIZE: usize = 8;
// @ts-ignore: decorator
@inline export const W_NEXT: usize = 0;
// @ts-ignore: decorator
@inline export const W_SIG: usize = 4;

/** Wake every task blocked on `t` (they re-check what they wait for): each waiter's own Signal
 *  gets its unit (tcp.ts steps 3–4), the records go. */
export function tcbWake(t: Tcb): void {
  let w = t.waitq;
  t.waitq = 0;
  while (w) {
    let next = <usize>load<u32>(w + W_NEXT);
    let sig = changetype<Signal>(<usize>load<u32>(w + W_SIG));
    heapFree(w);
    sig.signal();
    w = next;
  }
}
/** Step 3: the connection is over: unhashed, timers off, waiters woken with `err` (0: a clean end). */
export function tcbClosed(t: Tcb, err: i32): void {
  if (t.state == LISTEN) listenerRemove(t); else tcbUnhash(t);
  t.state = CLOSED;
  if (err && !t.err) t.err = err;
  t.tRexmt = 0; t.tDelack = 0; t.tWait = 0;
  t.flags &= ~(F_ACKNOW | F_DELACK | F_PERSIST);
  tcbWake(t);
  if (t.state == CLOSED && t.handle == 0 && t.listener == 0) tcbRelease(t);
}
/** Step 4: free `t` if nothing can reach it any more. */
export function tcbRelease(t: Tcb): void {
  if (t.state != CLOSED || t.handle != 0 || t.refs != 0 || t.listener != 0) return;
  if (DEBUG) assert(t.waitq == 0, "tcp: a TCB freed with tasks waiting on it");
  tcbUnhash(t);
  let p = changetype<usize>(t);
  if (t.allPrev) changetype<Tcb>(t.allPrev).allNext = t.allNext; else store<u32>(GLOBALS + G_ALL, <u32>t.allNext);
  if (t.allNext) changetype<Tcb>(t.allNext).allPrev = t.allPrev;
  if (t.rbuf) { heapFree(t.rbuf); heapFree(t.sbuf); bufferBytes(-<i32>(RCV_BUF + SND_BUF)); }
  store<u32>(GLOBALS + G_COUNT, load<u32>(GLOBALS + G_COUNT) - 1);
  heapFree(p);
}
/** Free the buffers of a connection nobody reads any more (TIME_WAIT keeps only the record). */
export function tcbDropBuffers(t: Tcb): void {
  if (!t.rbuf || t.handle) return;
  heapFree(t.rbuf); heapFree(t.sbuf); bufferBytes(-<i32>(RCV_BUF + SND_BUF));
  t.rbuf = 0; t.sbuf = 0; t.rsize = 0; t.ssize = 0; t.rlen = 0; t.slen = 0;
}
