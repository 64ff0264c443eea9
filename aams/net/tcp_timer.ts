// tcp_timer.ts: TCP's timers, run by the stack's timer task through tcpTimers(now) with the stack
// lock held.
//
// Owns: what happens when a deadline passes: the retransmission timer (RFC 6298 §5: back off,
// resend from SND.UNA, give up after DATA_RETRIES), the SYN and SYN-ACK retransmissions (give up
// after SYN_RETRIES / SYNACK_RETRIES), the persist timer (zero-window probes, §3.8.6.1), the
// delayed ACK, TIME_WAIT and the orphaned FIN_WAIT_2 limit. Not: arming them (tcp_out.ts, tcp_in.ts, tcp.ts arm a
// deadline and call netTimerKick if it is earlier than the last one returned here), sleeping
// (the stack's timer task: stack.ts).
//
// Each TCB has three deadlines (absolute ns of now(), 0 = off): TREXMT (retransmission, or the
// persist timer when F_PERSIST), TDELACK, TWAIT (TIME_WAIT, orphaned FIN_WAIT_2). tcpTimers scans
// every TCB (O(connections) per run: hundreds of connections cost microseconds; a timer wheel was
// rejected as not worth its code at this scale, TCP.md) and returns the earliest deadline left.
//
// A zero window held open forever: probes back off to one per 60 s and never stop while the peer
// answers them (RFC 9293 §3.8.6.1 "must not close the connection while the window is zero"), so
// nothing spins; a probe unanswered DATA_RETRIES times ends the connection (the peer is gone), and
// an orphan (closed by the application) with a zero window is reset after ORPHAN_PROBES probes,
// so its buffers come back (TCP.md "Zero window").

import { tcpInit, Tcb, firstTcb, setNextDeadline, tcbClosed, stat, F_PERSIST, F_ORPHAN, F_ACKNOW,
  SYN_SENT, SYN_RECEIVED, CLOSED, ETIMEDOUT, EHOSTUNREACH, S_DELACKS, S_PROBES, S_RTO, S_RETRANS } from "./tcp_tcb";
import { tcpOutput, sendSyn, sendProbe, sendReset, lossFlush, lossHeld, kickIfEarlier } from "./tcp_out";
import { ccTimeout, RTO_MAX } from "./tcp_cc";
import { embryonicDrop } from "./tcp_listen";
import { ipNextHop } from "./ip";

export const SYN_RETRIES: u32 = 5;     // connect: the SYN sent 6 times, given up after 1+2+…+32 s ≈ 63 s
export const SYNACK_RETRIES: u32 = 3;  // a half-open passive connection: SYN-ACK sent 4 times, dropped after 15 s
export const DATA_RETRIES: u32 = 8;    // from a 200 ms RTO: ≈ 100 s of silence
export const ORPHAN_PROBES: u32 = 8;

/** Run every due timer at `t0`; the earliest deadline left (absolute ns) or Infinity. */
export function tcpTimers(t0: f64): f64 {
  tcpInit();
  lossFlush();                                                 // a held (reordered) segment goes now
  let next = Infinity;
  let t = firstTcb();
  while (changetype<usize>(t)) {
    let after = changetype<Tcb>(t.allNext);                    // t may be freed below; only t
    if (t.state != CLOSED) {
      if (t.tDelack != 0 && t.tDelack <= t0) { stat(S_DELACKS); t.flags |= F_ACKNOW; t.tDelack = 0; tcpOutput(t); }
      if (t.tRexmt != 0 && t.tRexmt <= t0) rexmtFired(t, t0);
      if (t.state != CLOSED && t.tWait != 0 && t.tWait <= t0) { t.tWait = 0; tcbClosed(t, 0); }
      else if (t.state != CLOSED) {
        if (t.tDelack != 0 && t.tDelack < next) next = t.tDelack;
        if (t.tRexmt != 0 && t.tRexmt < next) next = t.tRexmt;
        if (t.tWait != 0 && t.tWait < next) next = t.tWait;
      }
    }
    t = after;
  }
  if (lossHeld() && t0 + 1e6 < next) next = t0 + 1e6;
  setNextDeadline(next);
  return next;
}

function rexmtFired(t: Tcb, t0: f64): void {
  t.tRexmt = 0;
  if (t.flags & F_PERSIST) {                                   // a zero-window probe
    stat(S_PROBES);
    t.retries++;
    if (t.retries > DATA_RETRIES || ((t.flags & F_ORPHAN) && t.persistShift >= ORPHAN_PROBES)) { giveUp(t); return; }
    sendProbe(t);
    if (t.persistShift < 16) t.persistShift++;
    t.tRexmt = t0 + min<f64>(t.rto * <f64>(1 << min<u32>(t.persistShift, 10)), RTO_MAX);
    return;
  }
  if (t.state == SYN_SENT || t.state == SYN_RECEIVED) {
    if (t.retries >= (t.listener ? SYNACK_RETRIES : SYN_RETRIES)) {
      if (t.listener) embryonicDrop(t); else tcbClosed(t, ETIMEDOUT);
      return;
    }
    stat(S_RTO); stat(S_RETRANS);
    t.retries++;
    t.rto = min<f64>(t.rto * 2, RTO_MAX);
    sendSyn(t);                                                // arms the timer again (TREXMT is 0)
    return;
  }
  if (t.sndUna == t.sndMax) { tcpOutput(t); return; }         // nothing in flight: send what waits
  if (t.retries >= DATA_RETRIES) { giveUp(t); return; }
  ccTimeout(t);
  t.sndNxt = t.sndUna;                                         // go back: resend from the first unacked byte
  tcpOutput(t);
  if (!t.tRexmt) { t.tRexmt = t0 + t.rto; kickIfEarlier(t.tRexmt); }
}

/** ARP gave up on next hop `hop` (arp.ts, through the timer task): the connections still
 *  opening through it end now, -EHOSTUNREACH for a connect (as on Linux, where the failed
 *  neighbour's dropped SYN reports host unreachable to the socket), an embryo of a listener is
 *  dropped. Established ones go on (their retransmissions ask again, and time out). */
export function tcpUnreachable(hop: u32): void {
  tcpInit();
  let t = firstTcb();
  while (changetype<usize>(t)) {
    let after = changetype<Tcb>(t.allNext);                    // t may be freed below
    if ((t.state == SYN_SENT || t.state == SYN_RECEIVED) && ipNextHop(t.rip) == hop) {
      if (t.listener) embryonicDrop(t); else tcbClosed(t, EHOSTUNREACH);
    }
    t = after;
  }
}

/** The peer stopped answering: RST (so it learns, if it is there) and ETIMEDOUT. */
function giveUp(t: Tcb): void {
  sendReset(t.lip, t.lport, t.rip, t.rport, t.sndNxt, 0, false);
  if (t.listener) embryonicDrop(t); else tcbClosed(t, ETIMEDOUT);
}
