// tcp_out.ts: what TCP sends: segment building (header, options, checksum), the output engine
// (how much of the send buffer may go now), single-segment retransmission, ACKs and RSTs, and
// the test hook that drops or reorders segments on their way to ipSend.
//
// Owns: the segment scratch buffer, the advertised window (with receiver-side silly-window
// avoidance and never shrinking the right edge, RFC 9293 §3.8.6.2.2), the sender-side
// silly-window rule, arming the retransmit and persist timers when data leaves. Not: deciding
// when to retransmit (tcp_timer.ts, tcp_in.ts), the congestion window (tcp_cc.ts), IP (ip.ts).
//
// Nagle is off (TCP_NODELAY behaviour): a partial segment goes at once when it is all the data
// queued; only a window-limited sliver waits while data is in flight (TCP.md "Nagle").
//
// ╒═══════════ TCP header as built here (RFC 9293 §3.1, network byte order) ═══════════╕
//  +0 sport  +2 dport  +4 seq  +8 ack  +12 offset<<4  +13 flags  +14 window  +16 checksum  +18 urg
//  +20 options: SYN carries MSS (4) + NOP + window scale (3) = 8 bytes; SYN-ACK the same when the
//      SYN had window scale, else MSS only; other segments none (no timestamps, no SACK)

import { now } from "aam";
import { ipSend } from "./ip";
import { csumPartial, csumFold, pseudoSum, put16, put32 } from "./checksum";
import { netTimerKick } from "./stack";
import {
  Tcb, DEBUG, F_ACKNOW, F_DELACK, F_FIN_QUEUED, F_FIN_SENT, F_WSCALE, F_RTT, F_PERSIST,
  SYN_SENT, SYN_RECEIVED, MSS_OURS, RCV_BUF, RCV_SHIFT, seqGt, seqLt, seqLe,
  stat, EHOSTUNREACH, ENOBUFS, S_SEGS_OUT, S_RESETS_OUT, S_LOSS_DROPS, S_LOSS_REORDERS, S_RETRANS, nextDeadline,
} from "./tcp_tcb";

export const TH_FIN: u32 = 0x01;
export const TH_SYN: u32 = 0x02;
export const TH_RST: u32 = 0x04;
export const TH_PSH: u32 = 0x08;
export const TH_ACK: u32 = 0x10;
export const TH_URG: u32 = 0x20;
const PROTO_TCP: u32 = 6;
const HDR: u32 = 20;

// Scratch for one segment: written and handed to ipSend (which copies) under the stack lock.
const SCRATCH = memory.data(2048);

// ╒══ LOSS (test hook, 32 bytes) ══╕
//  +0 DROP per mille  +4 REORDER per mille  +8 RNG state  +12 HELD length (0: none)  +16 HELD dst
const LOSS = memory.data(32);
const HELD = memory.data(2048);

/** Test hook (tests/net/programs/tcp_*.ts): from now on drop `dropPm`/1000 and hold back
 *  `reorderPm`/1000 of the segments TCP sends (a held segment goes after the next one), drawn
 *  from a generator seeded with `seed`. 0, 0 turns it off. The one place loss is injected. */
export function lossConfigure(dropPm: u32, reorderPm: u32, seed: u32): void {
  store<u32>(LOSS, dropPm); store<u32>(LOSS + 4, reorderPm); store<u32>(LOSS + 8, seed | 1);
}
function lossDraw(): u32 {
  let x = load<u32>(LOSS + 8);
  x ^= x << 13; x ^= x >>> 17; x ^= x << 5;                // xorshift32: fixed sequence per seed
  store<u32>(LOSS + 8, x);
  return x % 1000;
}
export function lossHeld(): bool { return load<u32>(LOSS + 12) != 0; }
/** Send the held segment, if any (after the next segment, or from the timers). */
export function lossFlush(): void {
  let n = load<u32>(LOSS + 12);
  if (!n) return;
  store<u32>(LOSS + 12, 0);
  ipSend(load<u32>(LOSS + 16), PROTO_TCP, HELD, n);
}
/** Hand a segment to IP (through the loss hook): ipSend's result (0 or -errno). */
function wire(dst: u32, seg: usize, len: u32): i32 {
  stat(S_SEGS_OUT);
  let drop = load<u32>(LOSS), reorder = load<u32>(LOSS + 4);
  if (drop | reorder) {
    if (drop && lossDraw() < drop) { stat(S_LOSS_DROPS); return 0; }
    if (reorder && !load<u32>(LOSS + 12) && lossDraw() < reorder) {
      memory.copy(HELD, seg, len);
      store<u32>(LOSS + 12, len); store<u32>(LOSS + 16, dst);
      stat(S_LOSS_REORDERS);
      netTimerKick();                                         // tcpTimers sends it if nothing follows
      return 0;
    }
  }
  let r = ipSend(dst, PROTO_TCP, seg, len);
  lossFlush();
  return r;
}

/** Fill in the checksum of the segment at `seg` (`len` bytes, checksum field zero). */
function checksum(src: u32, dst: u32, seg: usize, len: u32): void {
  put16(seg + 16, csumFold(csumPartial(seg, len, pseudoSum(src, dst, PROTO_TCP, len))));
}

/** The window field for a segment of `t` now (§3.8.6.2.2; RFC 7323 §2.3: SYNs unscaled). */
function windowField(t: Tcb, syn: bool): u32 {
  let avail: u32 = t.rbuf ? t.rsize - t.rlen : RCV_BUF;
  let right = t.rcvNxt + avail;
  let adv = t.rcvAdv;
  if (seqGt(adv, t.rcvNxt) || adv == t.rcvNxt) {
    // Never shrink the right edge; open it only by a worthwhile amount (receiver SWS avoidance).
    let thresh = min<u32>(RCV_BUF / 2, MSS_OURS);
    if (seqLt(right, adv) || (seqGt(right, adv) && right - adv < thresh)) right = adv;
  }
  let w = right - t.rcvNxt;
  if (syn) return min<u32>(w, 65535);
  let shift = (t.flags & F_WSCALE) ? t.rcvShift : 0;
  let f = min<u32>(w >> shift, 65535);
  let edge = t.rcvNxt + (f << shift);
  if (seqGt(edge, t.rcvAdv)) t.rcvAdv = edge;
  return f;
}

/** Build and send one segment of `t`: `flags`, sequence `seq`, `len` bytes of the send ring
 *  starting at sequence `seq` (0 for none). Every segment but the first SYN carries ACK. */
export function sendSegment(t: Tcb, seq: u32, flags: u32, len: u32): i32 {
  let syn = (flags & TH_SYN) != 0;
  // RFC 7323 §2.2: a SYN-ACK carries window scale only if the SYN did (F_WSCALE then set).
  let ws = syn && (!(flags & TH_ACK) || (t.flags & F_WSCALE) != 0);
  let opt: u32 = syn ? (ws ? 8 : 4) : 0;
  let seg = SCRATCH;
  put16(seg, t.lport); put16(seg + 2, t.rport);
  put32(seg + 4, seq);
  put32(seg + 8, (flags & TH_ACK) ? t.rcvNxt : 0);
  store<u8>(seg + 12, <u8>(((HDR + opt) / 4) << 4));
  store<u8>(seg + 13, <u8>flags);
  put16(seg + 14, windowField(t, syn));
  store<u32>(seg + 16, 0);                                   // checksum, urgent pointer
  if (syn) {
    store<u8>(seg + 20, 2); store<u8>(seg + 21, 4); put16(seg + 22, MSS_OURS);
    if (ws) { store<u8>(seg + 24, 1); store<u8>(seg + 25, 3); store<u8>(seg + 26, 3); store<u8>(seg + 27, <u8>RCV_SHIFT); }
  }
  let off = HDR + opt;
  if (len) {
    if (DEBUG) assert(len <= t.mss && seqGe32(seq, t.sseq) && seq - t.sseq + len <= t.slen, "tcp: sendSegment outside the send ring");
    let at = (t.shead + (seq - t.sseq)) % t.ssize;
    let first = min<u32>(len, t.ssize - at);
    memory.copy(seg + off, t.sbuf + at, first);
    if (first < len) memory.copy(seg + off + first, t.sbuf, len - first);
  }
  checksum(t.lip, t.rip, seg, off + len);
  if (flags & TH_ACK) { t.flags &= ~(F_ACKNOW | F_DELACK); t.tDelack = 0; t.ackPending = 0; }
  return wire(t.rip, seg, off + len);
}
// @ts-ignore: decorator
@inline function seqGe32(a: u32, b: u32): bool { return <i32>(a - b) >= 0; }

/** A RST (or RST+ACK) for a segment that has no connection (RFC 9293 §3.10.7.1) or that a
 *  connection refuses: seq `seq`, ack `ack` when `withAck`. */
export function sendReset(lip: u32, lport: u32, rip: u32, rport: u32, seq: u32, ack: u32, withAck: bool): void {
  let seg = SCRATCH;
  put16(seg, lport); put16(seg + 2, rport);
  put32(seg + 4, seq); put32(seg + 8, withAck ? ack : 0);
  store<u8>(seg + 12, <u8>(5 << 4));
  store<u8>(seg + 13, <u8>(TH_RST | (withAck ? TH_ACK : 0)));
  store<u32>(seg + 14, 0); store<u16>(seg + 18, 0);
  checksum(lip, rip, seg, HDR);
  stat(S_RESETS_OUT);
  wire(rip, seg, HDR);
}

/** An ACK now (out-of-window segments, challenge ACKs, window updates, the delayed-ACK timer).
 *  Its sequence number is SND.MAX, not SND.NXT: after a timeout SND.NXT goes back to SND.UNA, and
 *  a pure ACK numbered there would be below the peer's RCV.NXT, fail its acceptability test and
 *  never be read: both ends would then retransmit into each other's discard. */
export function sendAck(t: Tcb): void { sendSegment(t, t.sndMax, TH_ACK, 0); }
/** ipSend's refusals that mean "no way to that address" (ip.ts). */
export function unreachable(r: i32): bool { return r == -100 || r == -101 || r == EHOSTUNREACH; }

/** Arm the retransmission timer at now + RTO (restart), kicking the timer task if earlier. */
export function armRexmt(t: Tcb): void {
  t.tRexmt = now() + t.rto;
  t.flags &= ~F_PERSIST;
  kickIfEarlier(t.tRexmt);
}
export function kickIfEarlier(d: f64): void { if (d < nextDeadline()) netTimerKick(); }

/** Send SYN (active open) or SYN-ACK (passive) for `t`, from ISS (also a retransmission).
 *  ipSend's result: a connect fails at once when IP has no route (-ENETUNREACH, -ENETDOWN). */
export function sendSyn(t: Tcb): i32 {
  let r = sendSegment(t, t.iss, t.state == SYN_SENT ? TH_SYN : TH_SYN | TH_ACK, 0);
  if (seqLt(t.sndNxt, t.iss + 1)) t.sndNxt = t.iss + 1;
  if (seqLt(t.sndMax, t.sndNxt)) t.sndMax = t.sndNxt;
  if (!t.tRexmt) armRexmt(t);
  return r;
}

/** Bytes of the send ring not yet sent at sndNxt (0 once the FIN went). */
// @ts-ignore: decorator
@inline function unsent(t: Tcb): u32 {
  let off = t.sndNxt - t.sseq;
  return off >= t.slen ? 0 : t.slen - off;
}
/** Whether the FIN may go at sequence `seq` (queued, and it would follow the last byte). */
// @ts-ignore: decorator
@inline function finDue(t: Tcb, seq: u32): bool {
  return (t.flags & F_FIN_QUEUED) != 0 && seq == t.sseq + t.slen;
}

/** Send whatever the windows allow now (RFC 9293 §3.8.6; RFC 5681: the usable window is
 *  min(cwnd, rwnd) − flight), then an owed ACK if no segment carried it, then the persist timer. */
export function tcpOutput(t: Tcb): void {
  if (t.state == SYN_SENT || t.state == SYN_RECEIVED) { if (t.flags & F_ACKNOW) sendSyn(t); return; }
  if (!t.sbuf) { if (t.flags & F_ACKNOW) sendAck(t); return; }
  let sent = false;
  while (true) {
    let flight = t.sndNxt - t.sndUna;
    let wnd = min<u32>(t.sndWnd, t.cwnd);
    let usable = wnd > flight ? wnd - flight : 0;
    let avail = unsent(t);
    let len = min<u32>(min<u32>(avail, t.mss), usable);
    let seq = t.sndNxt;
    let fin = finDue(t, seq + len) && len == avail && !(t.flags & F_FIN_SENT && seqGt(seq, t.finSeq));
    if (len == 0 && !fin) break;
    // Sender SWS avoidance (§3.8.6.2.1), Nagle off: a window-limited sliver waits while data flies.
    if (len < avail && len < t.mss && len < (t.maxSndWnd >> 1) && flight > 0 && !fin) break;
    let flags = TH_ACK | (len && len == avail ? TH_PSH : 0) | (fin ? TH_FIN : 0);
    let fresh = !seqLt(seq, t.sndMax);
    if (!fresh) stat(S_RETRANS);
    if (sendSegment(t, seq, flags, len) == ENOBUFS && fresh) {
      // The device had no room: nothing left, so SND.NXT stays. With data in flight its ACKs
      // send it; with none, the timer tries again in 1 ms (tcp_timer.ts: nothing in flight, so
      // no backoff, just tcpOutput).
      if (t.sndNxt == t.sndUna) { t.tRexmt = now() + 1e6; t.flags &= ~F_PERSIST; kickIfEarlier(t.tRexmt); }
      else if (!t.tRexmt) armRexmt(t);
      break;
    }
    sent = true;
    if (!(t.flags & F_RTT) && len && fresh) {                    // Karn: time only new data
      t.flags |= F_RTT; t.rttSeq = seq; t.rttStart = now();
    }
    t.sndNxt = seq + len + (fin ? 1 : 0);
    if (fin) { t.flags |= F_FIN_SENT; t.finSeq = seq + len; }
    if (seqGt(t.sndNxt, t.sndMax)) t.sndMax = t.sndNxt;
    if (!t.tRexmt || (t.flags & F_PERSIST)) armRexmt(t);
    if (fin) break;
  }
  if (!sent && (t.flags & F_ACKNOW)) sendAck(t);
  // Zero window with data waiting and nothing in flight: the persist timer (tcp_timer.ts) probes.
  if (t.sndWnd == 0 && unsent(t) > 0 && t.sndNxt == t.sndUna && !t.tRexmt) {
    t.flags |= F_PERSIST;
    let backoff = min<f64>(t.rto * <f64>(1 << min<u32>(t.persistShift, 8)), 60e9);
    t.tRexmt = now() + max<f64>(backoff, 200e6);
    kickIfEarlier(t.tRexmt);
  }
}

/** Send the first unacknowledged segment again (fast retransmit, NewReno partial ACK, RTO). */
export function retransmitFirst(t: Tcb): void {
  stat(S_RETRANS);
  if (t.state == SYN_SENT || t.state == SYN_RECEIVED) { sendSyn(t); return; }
  let off = t.sndUna - t.sseq;
  let avail = off >= t.slen ? 0 : t.slen - off;
  let len = min<u32>(avail, t.mss);
  let fin = finDue(t, t.sndUna + len) && (t.flags & F_FIN_SENT) != 0;
  if (len == 0 && !fin) return;
  t.flags &= ~F_RTT;                                          // Karn: no sample from a retransmission
  sendSegment(t, t.sndUna, TH_ACK | (fin ? TH_FIN : 0), len);
}

/** A zero-window probe (§3.8.6.1): a segment numbered SND.UNA − 1 with no data, which the peer
 *  finds unacceptable and answers with an ACK carrying its window (as Linux probes). Sending a
 *  byte beyond the window instead was rejected: it would have to count in SND.MAX, and an ACK
 *  numbered SND.MAX would then fail the peer's test while its window is zero (TCP.md). */
export function sendProbe(t: Tcb): void { sendSegment(t, t.sndUna - 1, TH_ACK, 0); }
