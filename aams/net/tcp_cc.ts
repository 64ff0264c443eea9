// tcp_cc.ts: round-trip time estimation (RFC 6298) and NewReno congestion control (RFC 5681,
// RFC 6582) for one connection.
//
// Owns: srtt, rttvar, rto; cwnd, ssthresh, dupAcks, recover and the F_RECOVERY flag. Not: parsing
// the ACK (tcp_in.ts calls in here with what it found), sending (tcp_out.ts), the timers that
// fire the RTO (tcp_timer.ts calls ccTimeout).
//
// Constants (TCP.md "Retransmission"): initial RTO 1 s (RFC 6298 §2.1), minimum RTO 200 ms (below
// RFC 6298's 1 s, as Linux: our peers are on a LAN or in-image; RFC 6298 §2.4 allows it), maximum
// 60 s, clock granularity G = 1 ms. Initial window: RFC 5681 §3.1, min(4 MSS, max(2 MSS, 4380)).
//
// NewReno, as steps (RFC 6582 §3.2):
//  1. A duplicate ACK (nothing new acknowledged, no data, same window, data outstanding) counts.
//  2. The third, when the acknowledgement covers more than RECOVER: ssthresh = max(flight/2, 2 MSS),
//     RECOVER = the highest sequence sent, retransmit the first unacknowledged segment,
//     cwnd = ssthresh + 3 MSS (fast recovery begins).
//  3. Each further duplicate inflates cwnd by one MSS (a segment left the network).
//  4. A partial ACK (new data acknowledged, below RECOVER): retransmit the first unacknowledged
//     segment, deflate cwnd by the amount acknowledged and add back one MSS, restart the
//     retransmit timer (the "Slow-but-Steady" variant).
//  5. A full ACK (covers RECOVER): cwnd = min(ssthresh, max(flight, MSS) + MSS); recovery ends.
//  6. A timeout: ssthresh as in 2, cwnd = 1 MSS, RECOVER = highest sent, recovery ends; go back
//     to sndUna and resend from there (slow start).

import { now } from "aam";
import { Tcb, F_RECOVERY, F_RTT, seqGt, seqGe, stat, S_FAST_RETRANS, S_PARTIAL_ACKS, S_DUP_ACKS, S_RTO } from "./tcp_tcb";
import { retransmitFirst, armRexmt } from "./tcp_out";

export const RTO_MIN: f64 = 200e6;
export const RTO_MAX: f64 = 60e9;
const GRANULARITY: f64 = 1e6;

/** The window at the start (and cwnd's unit): the peer's MSS is known by now. */
export function ccInit(t: Tcb): void {
  t.cwnd = min<u32>(4 * t.mss, max<u32>(2 * t.mss, 4380));
  t.ssthresh = 0x7fffffff;                                    // "arbitrarily high" (RFC 5681 §3.1)
  t.recover = t.iss;
  t.dupAcks = 0;
}

/** RFC 6298 §2.2–2.3 with one measurement `r` (ns). */
function rttSample(t: Tcb, r: f64): void {
  if (t.srtt == 0) { t.srtt = r; t.rttvar = r / 2; }
  else {
    t.rttvar = 0.75 * t.rttvar + 0.25 * Math.abs(t.srtt - r);
    t.srtt = 0.875 * t.srtt + 0.125 * r;
  }
  t.rto = min<f64>(max<f64>(t.srtt + max<f64>(GRANULARITY, 4 * t.rttvar), RTO_MIN), RTO_MAX);
}

function flightHalf(t: Tcb): u32 { return max<u32>((t.sndMax - t.sndUna) / 2, 2 * t.mss); }

/** New data acknowledged: `acked` bytes (sequence space) up to `ack`, before sndUna moved. Returns
 *  true when a partial ACK asks for the first unacknowledged segment again (step 4), which the
 *  caller sends once sndUna and the ring moved. */
export function ccNewAck(t: Tcb, ack: u32, acked: u32): bool {
  if ((t.flags & F_RTT) && seqGt(ack, t.rttSeq)) {            // Karn: only a segment never resent
    rttSample(t, max<f64>(now() - t.rttStart, 0));
    t.flags &= ~F_RTT;
  }
  t.retries = 0;
  let mss = t.mss;
  if (t.flags & F_RECOVERY) {
    if (seqGe(ack, t.recover)) {                               // step 5
      let flight = t.sndMax - ack;
      t.cwnd = min<u32>(t.ssthresh, max<u32>(flight, mss) + mss);
      t.flags &= ~F_RECOVERY;
      t.dupAcks = 0;
      return false;
    }
    stat(S_PARTIAL_ACKS);                                      // step 4
    t.cwnd = (t.cwnd > acked ? t.cwnd - acked : 0) + mss;
    return true;
  }
  t.dupAcks = 0;
  if (t.cwnd < t.ssthresh) t.cwnd += min<u32>(acked, mss);     // slow start
  else t.cwnd += max<u32>(1, <u32>(<u64>mss * mss / t.cwnd));  // congestion avoidance
  if (t.cwnd > 0x3fffffff) t.cwnd = 0x3fffffff;
  return false;
}

/** Steps 1–3: a duplicate ACK `ack`. */
export function ccDupAck(t: Tcb, ack: u32): void {
  stat(S_DUP_ACKS);
  t.dupAcks++;
  if (t.flags & F_RECOVERY) { t.cwnd += t.mss; return; }      // step 3
  if (t.dupAcks != 3 || !seqGt(ack, t.recover)) return;
  stat(S_FAST_RETRANS);                                        // step 2
  t.ssthresh = flightHalf(t);
  t.recover = t.sndMax;
  retransmitFirst(t);
  armRexmt(t);
  t.cwnd = t.ssthresh + 3 * t.mss;
  t.flags |= F_RECOVERY;
}

/** Step 6: the retransmission timer fired with data outstanding. */
export function ccTimeout(t: Tcb): void {
  stat(S_RTO);
  if (t.retries == 0) t.ssthresh = flightHalf(t);              // RFC 5681 (4): first timeout only
  t.cwnd = t.mss;
  t.recover = t.sndMax;
  t.flags &= ~(F_RECOVERY | F_RTT);
  t.dupAcks = 0;
  t.rto = min<f64>(t.rto * 2, RTO_MAX);                        // RFC 6298 (5.5): back off
  t.retries++;
}
