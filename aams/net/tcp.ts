// tcp.ts: TCP's public functions (net-contract.md "B ↔ C"): what the socket machine and the stack
// call. RFC 9293, with RFC 5961, 6298, 5681, 6582, 6528, 7323 (TCP.md says which parts).
//
// Owns: the user calls (listen, accept, connect, send, recv, shutdown, close, abort) and their
// blocking; the test knobs (tcpConfigure). Not: segments (tcp_in.ts, tcp_out.ts), timers
// (tcp_timer.ts: tcpTimers is re-exported here), the TCB and its tables (tcp_tcb.ts).
//
// Locking: tcpInput and tcpTimers are called with the stack lock held. Every other call here is
// entered WITHOUT it and takes it (netLock). A call that must wait (accept: no connection yet;
// connect: handshake; send: ring full; recv: no data):
//  1. under the lock, finds the condition false, counts itself in REFS, and puts a waiter of its
//     own on the TCB's list (WAITQ: a record {next, a Signal of its own});
//  2. drops the lock (netUnlock) and waits on its own Signal: the task blocks, never the core,
//     and never with the lock held;
//  3. whoever changes the TCB (input, timers, another call) calls tcbWake under the lock: every
//     waiter on the list is unlinked and its Signal given one unit, WAITQ back to empty. A unit
//     given between 2's unlock and its wait is kept by the Signal (it counts), so no wake-up is
//     lost;
//  4. the waiter takes the lock again (the waker is done with its Signal: it signalled under the
//     lock), disposes of its Signal, and re-checks from 1. On the way out REFS drops, and a TCB
//     closed meanwhile is freed by the last one out (tcbRelease).
// Why a Signal per waiter: with one Signal per TCB and a unit per counted waiter, a task that
// counted itself after a wake (a sender finding the ring full) could take the unit meant for one
// that had not reached its wait yet (a reader the data had just arrived for: Signal lets a
// fast-path wait barge, sched/signal.ts): the sender found its condition false and waited again,
// the reader slept with its data there, and with nothing more arriving on the connection
// nothing woke it (a hang seen under load, tcp_loop basic, 2026-12-05).
// Handles are small integers (1..4095), reused after tcpClose, as POSIX descriptors are.

import { Signal, now, heapAlloc } from "aam";
import { netLock, netUnlock } from "./stack";
import { ipSource } from "./ip";
import {
  Tcb, CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, LAST_ACK,
  TIME_WAIT, CLOSING, F_FIN_QUEUED, F_FIN_RCVD, F_ORPHAN, F_ACKNOW, F_WSCALE, MSS_OURS,
  EBADF, EINVAL, EPIPE, EADDRINUSE, ENOBUFS, ENOTCONN, ECONNREFUSED, ECONNRESET, EHOSTUNREACH,
  tcpInit, tcbCreate, tcbHash, WAITER_SIZE, W_NEXT, W_SIG, tcbOf, tcbClosed, tcbRelease, tcbWake, tcbDropBuffers, handleAlloc, handleFree,
  listenerFor, listenerAdd, tcbLookup, ephemeralPort, isnFor, statsCopy, setMsl, msl, stat, S_ATTEMPT_FAILS,
} from "./tcp_tcb";
import { tcpOutput, sendSyn, sendReset, lossConfigure, kickIfEarlier, unreachable } from "./tcp_out";
import { acceptPop, listenerClose, BACKLOG_MAX } from "./tcp_listen";

export { tcpInput } from "./tcp_in";
export { tcpTimers, tcpUnreachable } from "./tcp_timer";

/** Steps 1, 2 and 4 of a wait (the caller re-checks its condition after). */
function waitOn(t: Tcb): void {
  let sig = Signal.create(0);
  let w = heapAlloc(WAITER_SIZE);
  store<u32>(w + W_NEXT, <u32>t.waitq);
  store<u32>(w + W_SIG, changetype<u32>(sig));
  t.waitq = w;
  netUnlock();
  if (isDefined(AAM_TEST_TCP_WAIT_US)) {          // test hook (docs/DEFINES.md): reach the wait late
    let t0 = now();
    while (now() - t0 < <f64>AAM_TEST_TCP_WAIT_US * 1e3) {}
  }
  sig.wait();
  netLock();
  sig.dispose();                                  // tcbWake unlinked and freed the waiter record
}
function enter(t: Tcb): void { t.refs++; }
function leave(t: Tcb): void { t.refs--; tcbRelease(t); }

/** Listen on `port` (any local address) with room for `backlog` connections not yet accepted. A
 *  port used by connections (TIME_WAIT included) but not by a listener may be listened on, as
 *  with SO_REUSEADDR. Handle > 0, or -EADDRINUSE, -EINVAL, -ENOBUFS. */
export function tcpListen(port: u32, backlog: u32): i32 {
  if (port == 0 || port > 65535) return EINVAL;
  netLock();
  tcpInit();
  let r: i32 = 0;
  if (listenerFor(port)) r = EADDRINUSE;
  else {
    let t = tcbCreate();
    if (!t) r = ENOBUFS;
    else {
      t.state = LISTEN; t.lport = port;
      t.backlog = min<u32>(max<u32>(backlog, 1), BACKLOG_MAX);
      listenerAdd(t);
      r = handleAlloc(t);
      if (r < 0) tcbClosed(t, 0);
    }
  }
  netUnlock();
  return r;
}

/** Wait for a connection on listener `l`; its handle, the peer's ip and port at `peer` (u32, u32). */
export function tcpAccept(l: i32, peer: usize): i32 {
  netLock();
  let t = tcbOf(l);
  if (!t || t.state != LISTEN) { netUnlock(); return t ? EINVAL : EBADF; }
  enter(t);
  let r: i32 = 0;
  while (true) {
    if (t.handle != <u32>l || t.state != LISTEN) { r = EBADF; break; }        // closed while we waited
    let c = acceptPop(t);
    if (c) {
      r = handleAlloc(c);
      if (r < 0) { sendReset(c.lip, c.lport, c.rip, c.rport, c.sndNxt, 0, false); tcbClosed(c, 0); break; }
      if (peer) { store<u32>(peer, c.rip); store<u32>(peer + 4, c.rport); }
      break;
    }
    waitOn(t);
  }
  leave(t);
  netUnlock();
  return r;
}

/** Connect to ip:port from local port `lport` (0: an ephemeral one); blocks until established.
 *  Handle, or -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH, -EADDRINUSE, -EINVAL, -ENOBUFS. */
export function tcpConnect(ip: u32, port: u32, lport: u32): i32 {
  if (port == 0 || port > 65535 || lport > 65535 || ip == 0 || (ip >>> 28) >= 14) return EINVAL;
  netLock();
  tcpInit();
  let lip = ipSource(ip);
  if (lip == 0) { netUnlock(); return EHOSTUNREACH; }
  if (lport == 0) lport = ephemeralPort(lip, ip, port);
  else if (tcbLookup(lip, lport, ip, port)) lport = 0;
  if (lport == 0) { netUnlock(); return EADDRINUSE; }
  let t = tcbCreate();
  if (!t) { netUnlock(); return ENOBUFS; }
  t.lip = lip; t.rip = ip; t.lport = lport; t.rport = port;
  t.iss = isnFor(lip, lport, ip, port);
  t.sndUna = t.iss; t.sndNxt = t.iss; t.sndMax = t.iss; t.recover = t.iss;
  t.mss = MSS_OURS;
  t.state = SYN_SENT;
  tcbHash(t);
  let h = handleAlloc(t);
  if (h < 0) { tcbClosed(t, 0); netUnlock(); return h; }
  if (unreachable(sendSyn(t))) tcbClosed(t, EHOSTUNREACH);
  enter(t);
  while (t.state == SYN_SENT || t.state == SYN_RECEIVED) waitOn(t);
  let r: i32 = h;
  if (t.state == CLOSED) {
    stat(S_ATTEMPT_FAILS);
    r = t.err ? t.err : ECONNREFUSED;
    handleFree(t);
  }
  leave(t);
  netUnlock();
  return r;
}

/** The error a closed or reset connection reports once (later calls: EPIPE / 0). */
function takeErr(t: Tcb, otherwise: i32): i32 {
  let e = t.err;
  if (e) { t.err = 0; return e; }
  return otherwise;
}

/** Queue up to `len` bytes of `buf`; blocks until at least one byte fits. Bytes taken, or -EPIPE
 *  (shut down, closed), -ECONNRESET, -ETIMEDOUT, -EBADF. */
export function tcpSend(c: i32, buf: usize, len: u32): i32 {
  netLock();
  let t = tcbOf(c);
  if (!t) { netUnlock(); return EBADF; }
  enter(t);
  let r: i32 = 0;
  while (true) {
    if (t.handle != <u32>c) { r = EBADF; break; }
    let s = t.state;
    if (s == CLOSED) { r = takeErr(t, EPIPE); break; }
    if ((s != ESTABLISHED && s != CLOSE_WAIT) || (t.flags & F_FIN_QUEUED)) { r = s == LISTEN ? ENOTCONN : EPIPE; break; }
    if (len == 0) { r = 0; break; }
    let space = t.ssize - t.slen;
    if (space > 0) {
      let n = min<u32>(space, len);
      let at = (t.shead + t.slen) % t.ssize;
      let first = min<u32>(n, t.ssize - at);
      memory.copy(t.sbuf + at, buf, first);
      if (first < n) memory.copy(t.sbuf, buf + first, n - first);
      t.slen += n;
      tcpOutput(t);
      r = <i32>n;
      break;
    }
    waitOn(t);
  }
  leave(t);
  netUnlock();
  return r;
}

/** Take up to `len` received bytes into `buf`; blocks until data, EOF or an error. Bytes, 0 at the
 *  end of the stream (the peer's FIN, or a connection closed), -ECONNRESET, -ETIMEDOUT, -EBADF. */
export function tcpRecv(c: i32, buf: usize, len: u32): i32 {
  netLock();
  let t = tcbOf(c);
  if (!t) { netUnlock(); return EBADF; }
  enter(t);
  let r: i32 = 0;
  while (true) {
    if (t.handle != <u32>c) { r = EBADF; break; }
    if (t.state == LISTEN) { r = ENOTCONN; break; }
    if (t.rlen > 0 && len > 0) {
      let n = min<u32>(len, t.rlen);
      let first = min<u32>(n, t.rsize - t.rhead);
      memory.copy(buf, t.rbuf + t.rhead, first);
      if (first < n) memory.copy(buf + first, t.rbuf, n - first);
      t.rhead = (t.rhead + n) % t.rsize; t.rlen -= n;
      windowUpdate(t);
      r = <i32>n;
      break;
    }
    if (len == 0) { r = 0; break; }
    if (t.flags & F_FIN_RCVD) { r = 0; break; }
    if (t.state == CLOSED) { r = takeErr(t, 0); break; }
    waitOn(t);
  }
  leave(t);
  netUnlock();
  return r;
}

/** After the application read: tell the peer when the window opened by a worthwhile amount
 *  (two segments or half the buffer: receiver SWS avoidance, RFC 9293 §3.8.6.2.2). */
function windowUpdate(t: Tcb): void {
  if (t.state != ESTABLISHED && t.state != FIN_WAIT_1 && t.state != FIN_WAIT_2) return;
  let right = t.rcvNxt + (t.rsize - t.rlen);
  let grow = right - t.rcvAdv;
  if (<i32>grow >= <i32>(2 * MSS_OURS) || <i32>grow >= <i32>(t.rsize / 2)) { t.flags |= F_ACKNOW; tcpOutput(t); }
}

/** Send a FIN after the queued data (half close). 0, -ENOTCONN, -EBADF. */
export function tcpShutdown(c: i32): i32 {
  netLock();
  let t = tcbOf(c);
  let r: i32 = 0;
  if (!t) r = EBADF;
  else r = shutdownLocked(t);
  netUnlock();
  return r;
}
function shutdownLocked(t: Tcb): i32 {
  let s = t.state;
  if (s == ESTABLISHED) t.state = FIN_WAIT_1;
  else if (s == CLOSE_WAIT) t.state = LAST_ACK;
  else if (s == LISTEN || s == CLOSED || s == SYN_SENT) return ENOTCONN;
  else return 0;                                               // a FIN is already on its way
  t.flags |= F_FIN_QUEUED;
  tcpOutput(t);
  return 0;
}

/** Give up handle `c`. Unread data (or data arriving later) makes it a RST (RFC 9293 §3.10.4,
 *  RFC 2525 §2.17); otherwise a FIN after the queued data, and the connection finishes on its
 *  own (TIME_WAIT included) holding no buffers once it gets there. A listener resets the
 *  connections it has not handed out. 0 or -EBADF. */
export function tcpClose(c: i32): i32 {
  netLock();
  let t = tcbOf(c);
  if (!t) { netUnlock(); return EBADF; }
  handleFree(t);
  tcbWake(t);                                                  // a task blocked on c returns EBADF
  let s = t.state;
  if (s == LISTEN) listenerClose(t);
  else if (s == SYN_SENT || s == SYN_RECEIVED) tcbClosed(t, 0);
  else if (s == CLOSED) tcbRelease(t);
  else if (t.rlen > 0 && s != TIME_WAIT) abortLocked(t);
  else {
    t.flags |= F_ORPHAN;
    if (s == ESTABLISHED || s == CLOSE_WAIT) shutdownLocked(t);
    else if (s == FIN_WAIT_2 && !t.tWait) { t.tWait = now() + 2 * msl(); kickIfEarlier(t.tWait); }
    if (t.state == TIME_WAIT) tcbDropBuffers(t);
  }
  netUnlock();
  return 0;
}

function abortLocked(t: Tcb): void {
  let s = t.state;
  if (s != CLOSED && s != SYN_SENT && s != TIME_WAIT && s != LISTEN) sendReset(t.lip, t.lport, t.rip, t.rport, t.sndNxt, 0, false);
  if (s == LISTEN) listenerClose(t); else tcbClosed(t, ECONNRESET);
}

/** RST now and give up the handle. 0 or -EBADF. */
export function tcpAbort(c: i32): i32 {
  netLock();
  let t = tcbOf(c);
  if (!t) { netUnlock(); return EBADF; }
  handleFree(t);
  tcbWake(t);
  abortLocked(t);                                              // frees it unless a task is inside a call
  netUnlock();
  return 0;
}

/** The RFC 9293 state of `c` (tcp_tcb.ts numbers: 0 CLOSED … 10 TIME_WAIT), or -EBADF. */
export function tcpState(c: i32): i32 {
  netLock();
  let t = tcbOf(c);
  let r: i32 = t ? <i32>t.state : EBADF;
  netUnlock();
  return r;
}

/** Data to read, EOF or an error is there (recv would not block), or a connection to accept. */
export function tcpReadable(c: i32): bool {
  netLock();
  let t = tcbOf(c);
  let r = !t || t.rlen > 0 || (t.flags & F_FIN_RCVD) != 0 || t.state == CLOSED || (t.state == LISTEN && t.acceptHead != 0);
  netUnlock();
  return r;
}
/** Send would not block. */
export function tcpWritable(c: i32): bool {
  netLock();
  let t = tcbOf(c);
  let r = !t || t.state == CLOSED || (t.sbuf != 0 && t.slen < t.ssize);
  netUnlock();
  return r;
}

/** The counters (tcp_tcb.ts S_*, S_COUNT u32 words; TCP.md "Counters"). */
export function tcpStats(out: usize): void { netLock(); tcpInit(); statsCopy(out); netUnlock(); }

/** Connection details for tests (52 bytes): +0 state +4 mss +8 cwnd +12 ssthresh +16 snd window
 *  +20 srtt µs +24 rto µs +28 window scaling on (1/0) +32 peer's shift +36 RCV.NXT +40 SND.NXT
 *  +44 local port +48 remote port. False for a bad handle. */
export function tcpInfo(c: i32, out: usize): bool {
  netLock();
  let t = tcbOf(c);
  if (t) {
    store<u32>(out, t.state); store<u32>(out + 4, t.mss); store<u32>(out + 8, t.cwnd);
    store<u32>(out + 12, t.ssthresh); store<u32>(out + 16, t.sndWnd);
    store<u32>(out + 20, <u32>(t.srtt / 1000)); store<u32>(out + 24, <u32>(t.rto / 1000));
    store<u32>(out + 28, (t.flags & F_WSCALE) ? 1 : 0); store<u32>(out + 32, t.sndShift);
    store<u32>(out + 36, t.rcvNxt); store<u32>(out + 40, t.sndNxt);
    store<u32>(out + 44, t.lport); store<u32>(out + 48, t.rport);
  }
  netUnlock();
  return t != null;
}

/** Test knobs: MSL in ms (0: 15 s; TIME_WAIT is 2 MSL), and the loss hook (tcp_out.ts
 *  lossConfigure: drop and reorder per mille of the segments TCP sends, with a fixed seed). */
export function tcpConfigure(mslMs: u32, dropPm: u32, reorderPm: u32, seed: u32): void {
  netLock();
  tcpInit();
  setMsl(mslMs);
  lossConfigure(dropPm, reorderPm, seed);
  netUnlock();
}

export { CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT };
export { S_COUNT as TCP_STATS_WORDS } from "./tcp_tcb";
