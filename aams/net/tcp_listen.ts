// tcp_listen.ts: passive open: a listener's SYN queue (half-open connections) and accept queue
// (established, not yet accepted), with the bounds that keep a SYN flood from exhausting memory.
//
// Owns: the two queues of a LISTEN TCB (linked through qNext, oldest first), creating an embryonic
// connection from a SYN, moving it to the accept queue when the handshake completes, taking it
// off for tcpAccept, and tearing a listener down. Not: parsing the SYN (tcp_in.ts), handles and
// blocking (tcp.ts).
//
// Bounds (TCP.md "Listen backlog"):
//  - accept queue: `backlog` connections (1..1024). A SYN that arrives while it is full is
//    dropped without an answer (the client retransmits it; RFC 9293 leaves this to us), counted in
//    S_SYN_DROPS; a handshake that completes while it is full is dropped the same way (the peer's
//    ACK is ignored, our SYN-ACK retransmission tries again).
//  - SYN queue: max(2 × backlog, 64), at most 1024, half-open connections. A SYN that finds it full
//    evicts the OLDEST half-open connection (freed without a RST: a flood's sources are usually
//    forged), counted in S_SYNQ_EVICT: a flood cannot lock out a real client for long, and costs
//    one TCB record (no buffers) per entry. MAX_TCBS bounds every listener together.
//  - a half-open connection whose SYN-ACK went unanswered 4 times is dropped after 15 s
//    (tcp_timer.ts SYNACK_RETRIES), so a flood's records go back to the heap soon after it.
//
// Steps of a passive open:
//  1. SYN on LISTEN (tcp_in.ts): listenSyn makes a SYN_RECEIVED TCB, hashes it, appends it to the
//     SYN queue, sends SYN-ACK.
//  2. The ACK of our SYN (tcp_in.ts): listenEstablished moves it to the accept queue, wakes accept.
//  3. tcpAccept (tcp.ts): acceptPop takes the oldest, it gets a handle, LISTENER is cleared.
//  Any time before 3, a RST or a timeout ends it: embryonicDrop takes it off its queue and frees it.

import {
  Tcb, LISTEN, SYN_RECEIVED, CLOSED, F_ACCEPTQ, F_WSCALE, RCV_SHIFT, MSS_OURS, MSS_DEFAULT,
  tcbCreate, tcbHash, tcbWake, tcbClosed, isnFor, stat, S_SYN_DROPS, S_SYNQ_EVICT, S_PASSIVE_OPENS,
} from "./tcp_tcb";
import { sendSyn, sendReset } from "./tcp_out";

export const BACKLOG_MAX: u32 = 1024;

function synLimit(l: Tcb): u32 { return min<u32>(max<u32>(2 * l.backlog, 64), BACKLOG_MAX); }

function unlinkFrom(headTail: bool, l: Tcb, t: Tcb): bool {
  let head = headTail ? l.synHead : l.acceptHead;
  let prev: usize = 0, p = head, me = changetype<usize>(t);
  while (p && p != me) { prev = p; p = changetype<Tcb>(p).qNext; }
  if (!p) return false;
  if (headTail) {
    if (prev) changetype<Tcb>(prev).qNext = t.qNext; else l.synHead = t.qNext;
    if (l.synTail == me) l.synTail = prev;
    l.synCount--;
  } else {
    if (prev) changetype<Tcb>(prev).qNext = t.qNext; else l.acceptHead = t.qNext;
    if (l.acceptTail == me) l.acceptTail = prev;
    l.acceptCount--;
  }
  t.qNext = 0;
  return true;
}

/** An embryonic or unaccepted connection is over (RST, timeout, eviction): off its queue, freed. */
export function embryonicDrop(t: Tcb): void {
  let l = changetype<Tcb>(t.listener);
  if (l) unlinkFrom((t.flags & F_ACCEPTQ) == 0, l, t);
  t.listener = 0;
  tcbClosed(t, 0);                                            // frees it: no handle, no listener
}

/** Step 1: a SYN for listener `l` from rip:rport to lip:lport (options parsed by the caller:
 *  `peerMss` 0 when absent, `peerShift` −1 when no window scale). */
export function listenSyn(l: Tcb, lip: u32, lport: u32, rip: u32, rport: u32, seq: u32, wnd: u32, peerMss: u32, peerShift: i32): void {
  if (l.acceptCount >= l.backlog) { stat(S_SYN_DROPS); return; }
  if (l.synCount >= synLimit(l)) {
    stat(S_SYNQ_EVICT);
    embryonicDrop(changetype<Tcb>(l.synHead));
  }
  let t = tcbCreate();
  if (!t) { stat(S_SYN_DROPS); return; }
  t.lip = lip; t.lport = lport; t.rip = rip; t.rport = rport;
  t.irs = seq; t.rcvNxt = seq + 1; t.rcvAdv = t.rcvNxt;
  t.iss = isnFor(lip, lport, rip, rport);
  t.sndUna = t.iss; t.sndNxt = t.iss; t.sndMax = t.iss; t.recover = t.iss;
  t.sndWnd = wnd; t.maxSndWnd = wnd; t.sndWl1 = seq; t.sndWl2 = t.iss;
  t.mss = min<u32>(peerMss ? peerMss : MSS_DEFAULT, MSS_OURS);
  if (peerShift >= 0) { t.flags |= F_WSCALE; t.sndShift = <u32>min<i32>(peerShift, 14); t.rcvShift = RCV_SHIFT; }
  t.state = SYN_RECEIVED;
  t.listener = changetype<usize>(l);
  tcbHash(t);
  if (l.synTail) changetype<Tcb>(l.synTail).qNext = changetype<usize>(t); else l.synHead = changetype<usize>(t);
  l.synTail = changetype<usize>(t);
  l.synCount++;
  sendSyn(t);
}

/** Step 2: `t` (SYN_RECEIVED, from a listener) got the ACK of its SYN. False when the accept
 *  queue is full (the caller ignores the segment). */
export function listenEstablished(t: Tcb): bool {
  let l = changetype<Tcb>(t.listener);
  if (!l) return true;                                        // simultaneous open: no listener
  if (l.acceptCount >= l.backlog) { stat(S_SYN_DROPS); return false; }
  unlinkFrom(true, l, t);
  t.flags |= F_ACCEPTQ;
  if (l.acceptTail) changetype<Tcb>(l.acceptTail).qNext = changetype<usize>(t); else l.acceptHead = changetype<usize>(t);
  l.acceptTail = changetype<usize>(t);
  l.acceptCount++;
  stat(S_PASSIVE_OPENS);
  tcbWake(l);
  return true;
}

/** Step 3: the oldest connection ready to accept, off the queue (it may already be closing: the
 *  peer may have sent data and FIN, or a RST that left it CLOSED — tcpAccept hands it out anyway
 *  and recv reports what happened). Null when none. */
export function acceptPop(l: Tcb): Tcb | null {
  let p = l.acceptHead;
  if (!p) return null;
  let t = changetype<Tcb>(p);
  unlinkFrom(false, l, t);
  t.flags &= ~F_ACCEPTQ;
  t.listener = 0;
  return t;
}

/** The listener closes: every queued connection is reset and freed, the listener CLOSED. */
export function listenerClose(l: Tcb): void {
  while (l.synHead) embryonicDrop(changetype<Tcb>(l.synHead));
  while (l.acceptHead) {
    let t = changetype<Tcb>(l.acceptHead);
    if (t.state != CLOSED) sendReset(t.lip, t.lport, t.rip, t.rport, t.sndNxt, 0, false);
    embryonicDrop(t);
  }
  if (l.state == LISTEN) tcbClosed(l, 0);
}
