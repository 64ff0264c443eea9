// tcp_in.ts: a segment arrives (RFC 9293 §3.10.7, "SEGMENT ARRIVES"), from the stack's input path
// with the stack lock held.
//
// Owns: checking every field of a hostile segment, demultiplexing, the per-state processing, the
// receive ring and its out-of-order ranges, the ACK policy (delayed ACKs: every second segment,
// or after DELACK_NS = 40 ms; at once for out-of-order data, a filled hole, a FIN), RST and SYN
// validation (RFC 5961). Not: the listener queues (tcp_listen.ts), the congestion window
// (tcp_cc.ts), building segments (tcp_out.ts).
//
// The steps, as RFC 9293 numbers them for the synchronized states (inputSync below):
//  0. (tcpInput) length ≥ 20, 20 ≤ data offset ≤ length, checksum, ports non-zero, options well
//     formed, no broadcast or multicast address: else the segment is dropped (S_BAD_SEGS).
//  1. sequence acceptability (§3.10.7.4 table); an unacceptable segment is answered with an ACK
//     (unless it is a RST) and dropped; an acceptable one is trimmed to the window.
//  2. RST: exactly RCV.NXT resets the connection; elsewhere in the window a challenge ACK
//     (RFC 5961 §3.2).
//  4. SYN: a challenge ACK (RFC 5961 §4.2), whatever the sequence number.
//  5. ACK: none → dropped; beyond SND.MAX → ACK and drop; older than SND.UNA − MAX.SND.WND → ACK
//     and drop (RFC 5961 §5.2); SYN_RECEIVED → ESTABLISHED; new data acknowledged, the send
//     window updated (SND.WL1/WL2), duplicates counted (tcp_cc.ts), our FIN's ACK moves
//     FIN_WAIT_1 → FIN_WAIT_2, CLOSING → TIME_WAIT, LAST_ACK → CLOSED.
//  7. text: into the receive ring (in order, or an out-of-order range), in ESTABLISHED and
//     FIN_WAIT_1/2; data for an orphan (closed by the application) resets the connection.
//  8. FIN, only in order: RCV.NXT + 1, CLOSE_WAIT / CLOSING / TIME_WAIT.
// Then tcpOutput sends what the new state allows (data, the owed ACK).

import { now } from "aam";
import { csumPartial, csumFold, pseudoSum, get16, get32 } from "./checksum";
import {
  Tcb, DEBUG, CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT,
  CLOSING, LAST_ACK, TIME_WAIT, F_ACKNOW, F_DELACK, F_FIN_SENT, F_FIN_RCVD, F_WSCALE, F_ORPHAN, F_PERSIST,
  RCV_BUF, RCV_SHIFT, MSS_OURS, MSS_DEFAULT, OOO_MAX, ECONNREFUSED, ECONNRESET,
  seqLt, seqLe, seqGt, seqGe, oooAt, tcpInit, tcbLookup, listenerFor, tcbClosed, tcbWake, tcbBuffers,
  tcbDropBuffers, msl, stat, S_SEGS_IN, S_BAD_SEGS, S_RESETS_IN, S_OOO_SEGS, S_CHALLENGE_ACKS,
  S_OUT_OF_WINDOW, S_TIMEWAIT_REUSE, S_ACTIVE_OPENS,
} from "./tcp_tcb";
import { TH_FIN, TH_SYN, TH_RST, TH_ACK, sendReset, sendAck, sendSyn, tcpOutput, armRexmt, retransmitFirst, kickIfEarlier } from "./tcp_out";
import { ccInit, ccNewAck, ccDupAck } from "./tcp_cc";
import { listenSyn, listenEstablished, embryonicDrop } from "./tcp_listen";

export const DELACK_NS: f64 = 40e6;

// Options of the segment being processed (under the lock): +0 MSS (0: none), +4 window shift (−1: none).
const OPTS = memory.data(8);

/** Parse the options at [p, end): false when malformed (a length that runs past the header). */
function parseOptions(p: usize, end: usize): bool {
  store<u32>(OPTS, 0); store<i32>(OPTS + 4, -1);
  while (p < end) {
    let kind = load<u8>(p);
    if (kind == 0) break;
    if (kind == 1) { p++; continue; }
    if (p + 1 >= end) return false;
    let n = <usize>load<u8>(p + 1);
    if (n < 2 || p + n > end) return false;
    if (kind == 2 && n == 4) store<u32>(OPTS, get16(p + 2));
    else if (kind == 3 && n == 3) store<i32>(OPTS + 4, <i32>load<u8>(p + 2));
    p += n;                                                   // SACK-permitted, timestamps …: ignored
  }
  return true;
}
function optMss(): u32 { let m = load<u32>(OPTS); return m == 0 ? MSS_DEFAULT : max<u32>(min<u32>(m, MSS_OURS), 64); }

/** RFC 9293 §3.10.7: one TCP segment `seg` of `len` bytes (header + data) from src to dst. */
export function tcpInput(src: u32, dst: u32, seg: usize, len: u32): void {
  tcpInit();
  stat(S_SEGS_IN);
  if (len < 20) { stat(S_BAD_SEGS); return; }                               // step 0
  let off = <u32>(load<u8>(seg + 12) >> 4) * 4;
  if (off < 20 || off > len) { stat(S_BAD_SEGS); return; }
  if (csumFold(csumPartial(seg, len, pseudoSum(src, dst, 6, len))) != 0) { stat(S_BAD_SEGS); return; }
  let sport = get16(seg), dport = get16(seg + 2);
  if (sport == 0 || dport == 0 || src == 0 || (src >>> 28) == 14 || (dst >>> 28) == 14 || src == 0xffffffff || dst == 0xffffffff) {
    stat(S_BAD_SEGS); return;
  }
  if (!parseOptions(seg + 20, seg + off)) { stat(S_BAD_SEGS); return; }
  let seq = get32(seg + 4), ack = get32(seg + 8), flags = <u32>load<u8>(seg + 13), wnd = get16(seg + 14);
  let data = seg + off, dlen = len - off;

  let t = tcbLookup(dst, dport, src, sport);
  if (t && t.state == TIME_WAIT && (flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN && seqGt(seq, t.rcvNxt) && listenerFor(dport)) {
    stat(S_TIMEWAIT_REUSE);                                   // a new incarnation (TCP.md "TIME_WAIT")
    tcbClosed(t, 0);
    t = null;
  }
  if (!t) {
    let l = listenerFor(dport);
    if (l) inputListen(l, dst, dport, src, sport, seq, ack, flags, wnd, dlen);
    else inputClosed(dst, dport, src, sport, seq, ack, flags, dlen);
    return;
  }
  if (t.state == SYN_SENT) inputSynSent(t, seq, ack, flags, wnd);
  else inputSync(t, seq, ack, flags, wnd, data, dlen);
}

/** §3.10.7.1: no connection: RST for anything but a RST. */
function inputClosed(lip: u32, lport: u32, rip: u32, rport: u32, seq: u32, ack: u32, flags: u32, dlen: u32): void {
  if (flags & TH_RST) return;
  if (flags & TH_ACK) sendReset(lip, lport, rip, rport, ack, 0, false);
  else sendReset(lip, lport, rip, rport, 0, seq + dlen + ((flags & TH_SYN) ? 1 : 0) + ((flags & TH_FIN) ? 1 : 0), true);
}

/** §3.10.7.2: LISTEN. Data and FIN on a SYN are not taken (not acknowledged: the peer resends). */
function inputListen(l: Tcb, lip: u32, lport: u32, rip: u32, rport: u32, seq: u32, ack: u32, flags: u32, wnd: u32, dlen: u32): void {
  if (flags & TH_RST) return;
  if (flags & TH_ACK) { sendReset(lip, lport, rip, rport, ack, 0, false); return; }
  if (!(flags & TH_SYN)) return;
  listenSyn(l, lip, lport, rip, rport, seq, wnd, load<u32>(OPTS) ? optMss() : 0, load<i32>(OPTS + 4));
}

/** The connection reached ESTABLISHED: buffers, congestion state, the send window. */
function established(t: Tcb, wnd: u32, seq: u32, ack: u32, scaled: bool): void {
  t.state = ESTABLISHED;
  tcbBuffers(t);
  t.sseq = t.iss + 1;
  t.rcvAdv = t.rcvNxt;
  t.sndWnd = scaled ? wnd << t.sndShift : wnd;
  if (t.sndWnd > t.maxSndWnd) t.maxSndWnd = t.sndWnd;
  t.sndWl1 = seq; t.sndWl2 = ack;
  if (t.srtt == 0) t.rto = 1e9;                               // RFC 6298 §5.7: forget the SYN's backoff
  ccInit(t);
  t.tRexmt = 0;
  t.retries = 0;
  tcbWake(t);
}

/** §3.10.7.3: SYN_SENT. */
function inputSynSent(t: Tcb, seq: u32, ack: u32, flags: u32, wnd: u32): void {
  let ackOk = false;
  if (flags & TH_ACK) {
    if (seqLe(ack, t.iss) || seqGt(ack, t.sndMax)) {
      if (!(flags & TH_RST)) sendReset(t.lip, t.lport, t.rip, t.rport, ack, 0, false);
      return;
    }
    ackOk = true;
  }
  if (flags & TH_RST) {
    if (ackOk) { stat(S_RESETS_IN); tcbClosed(t, ECONNREFUSED); }
    return;
  }
  if (!(flags & TH_SYN)) return;
  t.irs = seq; t.rcvNxt = seq + 1; t.rcvAdv = t.rcvNxt;
  t.mss = optMss();
  let shift = load<i32>(OPTS + 4);
  if (shift >= 0) { t.flags |= F_WSCALE; t.sndShift = <u32>min<i32>(shift, 14); t.rcvShift = RCV_SHIFT; }
  else { t.flags &= ~F_WSCALE; t.sndShift = 0; t.rcvShift = 0; }
  if (ackOk) {
    t.sndUna = ack;
    stat(S_ACTIVE_OPENS);
    established(t, wnd, seq, ack, false);
    t.flags |= F_ACKNOW;
    tcpOutput(t);
    return;
  }
  t.state = SYN_RECEIVED;                                     // simultaneous open (§3.5 figure 7)
  t.sndWnd = wnd; t.maxSndWnd = wnd; t.sndWl1 = seq;
  t.flags |= F_ACKNOW;
  tcpOutput(t);
}

/** Step 1's window: what the receive ring can take now (the whole buffer before it exists). */
function rcvWindow(t: Tcb): u32 { return t.rbuf ? t.rsize - t.rlen : RCV_BUF; }

/** The synchronized states and SYN_RECEIVED: steps 1–8. */
function inputSync(t: Tcb, seq: u32, ack: u32, flags: u32, wnd: u32, data: usize, dlen: u32): void {
  // A duplicate of the SYN that made this half-open connection: our SYN-ACK again.
  if (t.state == SYN_RECEIVED && (flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN && seq == t.irs) { sendSyn(t); return; }
  let slen = dlen + ((flags & TH_SYN) ? 1 : 0) + ((flags & TH_FIN) ? 1 : 0);
  let win = rcvWindow(t);
  let ok: bool;                                                             // step 1
  if (slen == 0) ok = win == 0 ? seq == t.rcvNxt : seqGe(seq, t.rcvNxt) && seqLt(seq, t.rcvNxt + win);
  else ok = win != 0 && ((seqGe(seq, t.rcvNxt) && seqLt(seq, t.rcvNxt + win)) ||
    (seqGe(seq + slen - 1, t.rcvNxt) && seqLt(seq + slen - 1, t.rcvNxt + win)));
  if (!ok) {
    if (flags & TH_RST) return;
    stat(S_OUT_OF_WINDOW);
    // Zero window: "special allowance should be made to accept valid ACKs" (§3.10.7.4). A pure
    // ACK near RCV.NXT still moves SND.UNA and the send window (the ACK field is validated as
    // always), then gets its ACK: a peer's window probe is answered, and two ends that both
    // hold a zero window cannot deadlock on each other's unreadable ACKs.
    if (win == 0 && slen == 0 && (flags & (TH_ACK | TH_SYN)) == TH_ACK && t.state != SYN_RECEIVED &&
        <u32>abs<i32>(<i32>(seq - t.rcvNxt)) <= RCV_BUF && seqLe(ack, t.sndMax) && seqGe(ack, t.sndUna - t.maxSndWnd)) {
      if (!ackProcess(t, seq, ack, wnd, 0, flags)) return;
      t.flags |= F_ACKNOW;
      tcpOutput(t);
      return;
    }
    sendAck(t);
    return;
  }
  if (flags & TH_RST) {                                                     // step 2
    if (seq != t.rcvNxt) { stat(S_CHALLENGE_ACKS); sendAck(t); return; }
    stat(S_RESETS_IN);
    if (t.listener) { embryonicDrop(t); return; }
    let st = t.state;
    tcbClosed(t, st == SYN_RECEIVED ? ECONNREFUSED : st == CLOSING || st == LAST_ACK || st == TIME_WAIT ? 0 : ECONNRESET);
    return;
  }
  if (flags & TH_SYN) { stat(S_CHALLENGE_ACKS); sendAck(t); return; }     // step 4
  // Trim to the window: the part before RCV.NXT (a retransmission), the part beyond the window.
  if (seqLt(seq, t.rcvNxt)) {
    let cut = t.rcvNxt - seq;
    if (cut >= dlen) { cut = dlen; }
    data += cut; dlen -= cut; seq += cut;
    if (seqLt(seq, t.rcvNxt)) { flags &= ~TH_FIN; seq = t.rcvNxt; }         // a FIN already taken
    t.flags |= F_ACKNOW;                                                    // they resent: answer now
  }
  if (dlen > 0 && seqGt(seq + dlen, t.rcvNxt + win)) { dlen = t.rcvNxt + win - seq; flags &= ~TH_FIN; }
  if (!(flags & TH_ACK)) return;                                            // step 5
  if (t.state == SYN_RECEIVED) {
    if (seqLe(ack, t.sndUna) || seqGt(ack, t.sndMax)) { sendReset(t.lip, t.lport, t.rip, t.rport, ack, 0, false); return; }
    if (!listenEstablished(t)) return;
    t.sndUna = t.iss + 1;
    established(t, wnd, seq, ack, true);
  }
  if (seqGt(ack, t.sndMax)) { sendAck(t); return; }
  if (seqLt(ack, t.sndUna - t.maxSndWnd)) { stat(S_CHALLENGE_ACKS); sendAck(t); return; }
  if (!ackProcess(t, seq, ack, wnd, dlen, flags)) return;
  if (dlen > 0) {                                                           // step 7
    if (t.flags & F_ORPHAN) {                                               // nobody will read it
      sendReset(t.lip, t.lport, t.rip, t.rport, t.sndNxt, 0, false);
      tcbClosed(t, ECONNRESET);
      return;
    }
    if (t.state == ESTABLISHED || t.state == FIN_WAIT_1 || t.state == FIN_WAIT_2) receiveData(t, seq, data, dlen);
  }
  if ((flags & TH_FIN) && seq + dlen == t.rcvNxt && !(t.flags & F_FIN_RCVD)) finReceived(t);   // step 8
  else if ((flags & TH_FIN) && t.state == TIME_WAIT) { t.flags |= F_ACKNOW; t.tWait = now() + 2 * msl(); }
  if (t.state != CLOSED) tcpOutput(t);
}

/** Step 5 in the synchronized states. False when the segment is finished with (the connection
 *  closed). */
function ackProcess(t: Tcb, seq: u32, ack: u32, wnd: u32, dlen: u32, flags: u32): bool {
  let newWnd = (t.flags & F_WSCALE) ? wnd << t.sndShift : wnd;
  let dup = ack == t.sndUna && dlen == 0 && !(flags & TH_FIN) && newWnd == t.sndWnd && t.sndMax != t.sndUna && t.sndWnd != 0;
  if (t.flags & F_PERSIST) t.retries = 0;                     // the peer answers its probes: alive
  if (seqGt(ack, t.sndUna)) {
    let acked = ack - t.sndUna;
    let partial = ccNewAck(t, ack, acked);
    if (seqGt(ack, t.sseq)) {                                 // data leaves the send ring
      let n = min<u32>(ack - t.sseq, t.slen);
      t.shead = (t.shead + n) % t.ssize; t.slen -= n; t.sseq += n;
    }
    t.sndUna = ack;
    if (seqLt(t.sndNxt, ack)) t.sndNxt = ack;                 // a probe byte taken, or after an RTO
    t.persistShift = 0;
    if (t.sndUna == t.sndMax) { t.tRexmt = 0; t.flags &= ~F_PERSIST; } else armRexmt(t);
    if (partial) { retransmitFirst(t); armRexmt(t); }
    tcbWake(t);                                               // room in the send ring
  }
  // The send window (§3.10.7.4 step 5: SND.WL1/WL2 keep old segments from moving it back),
  // ordered by the acknowledgement first: a peer that went back after a timeout resends old
  // sequence numbers with a newer ACK and window, which the RFC's order (sequence first) would
  // ignore, leaving a stale window that overruns the peer's buffer (TCP.md "Send window").
  if (seqGt(ack, t.sndWl2) || (ack == t.sndWl2 && seqGe(seq, t.sndWl1))) {
    if (newWnd > 0 && t.sndWnd == 0 && (t.flags & F_PERSIST)) { t.tRexmt = 0; t.flags &= ~F_PERSIST; }
    t.sndWnd = newWnd; t.sndWl1 = seq; t.sndWl2 = ack;
    if (newWnd > t.maxSndWnd) t.maxSndWnd = newWnd;
  }
  if (dup) ccDupAck(t, ack);
  let finAcked = (t.flags & F_FIN_SENT) != 0 && seqGt(ack, t.finSeq);
  if (finAcked) {
    if (t.state == FIN_WAIT_1) {
      t.state = FIN_WAIT_2;
      if (t.flags & F_ORPHAN) { t.tWait = now() + 2 * msl(); kickIfEarlier(t.tWait); }  // don't wait forever for the peer's FIN
    } else if (t.state == CLOSING) enterTimeWait(t);
    else if (t.state == LAST_ACK) { tcbClosed(t, 0); return false; }
  }
  return true;
}

/** Step 7: `dlen` bytes at `data` with sequence `seq`, inside the window (trimmed). */
function receiveData(t: Tcb, seq: u32, data: usize, dlen: u32): void {
  let off = seq - t.rcvNxt;
  if (DEBUG) assert(off + dlen <= t.rsize - t.rlen, "tcp: receiveData beyond the window");
  let at = (t.rhead + t.rlen + off) % t.rsize;               // the ring holds the whole window
  let first = min<u32>(dlen, t.rsize - at);
  memory.copy(t.rbuf + at, data, first);
  if (first < dlen) memory.copy(t.rbuf, data + first, dlen - first);
  if (off == 0) {
    let hadHoles = t.oooN > 0;
    t.rcvNxt += dlen; t.rlen += dlen;
    absorbRanges(t);
    tcbWake(t);
    if (hadHoles) t.flags |= F_ACKNOW;                        // a filled hole: ACK at once (RFC 5681 §4.2)
    else if (++t.ackPending >= 2) t.flags |= F_ACKNOW;        // every second segment
    else if (!(t.flags & F_DELACK)) { t.flags |= F_DELACK; t.tDelack = now() + DELACK_NS; kickIfEarlier(t.tDelack); }
    return;
  }
  stat(S_OOO_SEGS);
  addRange(t, seq, seq + dlen);
  t.flags |= F_ACKNOW;                                        // a duplicate ACK tells the sender
}

/** Record [s, e) as received out of order, merging with overlapping or touching ranges; a range
 *  that does not fit OOO_MAX is forgotten (its bytes arrive again). */
function addRange(t: Tcb, s: u32, e: u32): void {
  let i: u32 = 0;
  while (i < t.oooN) {
    let r = oooAt(t, i), rs = load<u32>(r), re = load<u32>(r + 4);
    if (seqLe(s, re) && seqLe(rs, e)) {                       // overlap or touch: take it in, remove it
      if (seqLt(rs, s)) s = rs;
      if (seqGt(re, e)) e = re;
      memory.copy(r, r + 8, <usize>(t.oooN - i - 1) * 8);
      t.oooN--;
      continue;
    }
    i++;
  }
  if (t.oooN >= OOO_MAX) return;
  let r = oooAt(t, t.oooN++);
  store<u32>(r, s); store<u32>(r + 4, e);
}
/** In-order data reached ranges: they become in-order too. */
function absorbRanges(t: Tcb): void {
  let moved = true;
  while (moved) {
    moved = false;
    for (let i: u32 = 0; i < t.oooN; i++) {
      let r = oooAt(t, i), rs = load<u32>(r), re = load<u32>(r + 4);
      if (seqLe(rs, t.rcvNxt)) {
        if (seqGt(re, t.rcvNxt)) { let n = re - t.rcvNxt; t.rcvNxt = re; t.rlen += n; }
        memory.copy(r, r + 8, <usize>(t.oooN - i - 1) * 8);
        t.oooN--;
        moved = true;
        break;
      }
    }
  }
}

/** Step 8: the peer's FIN, in order. */
function finReceived(t: Tcb): void {
  t.rcvNxt++;
  t.flags |= F_FIN_RCVD | F_ACKNOW;
  tcbWake(t);
  let s = t.state;
  if (s == SYN_RECEIVED || s == ESTABLISHED) t.state = CLOSE_WAIT;
  else if (s == FIN_WAIT_1) {
    if ((t.flags & F_FIN_SENT) && seqGt(t.sndUna, t.finSeq)) enterTimeWait(t); else t.state = CLOSING;
  } else if (s == FIN_WAIT_2) enterTimeWait(t);
}

/** TIME_WAIT for 2 MSL (TCP.md): timers off but the wait, the buffers go once nobody holds a handle. */
export function enterTimeWait(t: Tcb): void {
  t.state = TIME_WAIT;
  t.tRexmt = 0; t.flags &= ~F_PERSIST;
  t.tWait = now() + 2 * msl();
  kickIfEarlier(t.tWait);
  tcbDropBuffers(t);
  tcbWake(t);
}
