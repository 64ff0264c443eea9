// icmp.ts: ICMP for IPv4 (RFC 792, RFC 1122 §3.2.2): echo replies, and the destination
// unreachable messages the stack sends for a closed UDP port or an unknown protocol.
//
// Owns: icmpInput, icmpUnreachable, the scratch buffer an error message is built in. Not: the
// IP header (ip.ts), what a UDP port is (udp.ts). No ping client, no redirects, no timestamps;
// errors received (unreachable, time exceeded …) are counted, not passed to TCP or UDP.
//
// Rules kept (RFC 1122 §3.2.2):
//  - an echo request to us gets a reply with the same identifier, sequence and data; one to a
//    broadcast address is ignored (allowed by §3.2.2.6; it keeps us out of smurf amplification);
//  - an error is never sent about an ICMP message, a broadcast, a fragment other than the first
//    (we drop fragments before this), or a packet from a non-unicast source (ip.ts dropped it);
//  - an error carries the offending IP header and the first 8 bytes of its payload.
// No rate limit: a sender can make us answer each packet once, at most as fast as it sends.
//
// ╒══ ICMP message ══════════════════════════════════════════════════════════════════════╕
//  +0 type  +1 code  +2 checksum (over the whole message)  +4 rest of header (4)  +8 data
//  echo (8) / reply (0): +4 identifier  +6 sequence;  unreachable (3): +4 unused, +8 IP header + 8
import { get16, get32, put16, csumPartial, csumFold } from "./checksum";
import { count, Stat } from "./stack";
import { ipSend, PROTO_ICMP } from "./ip";

// @ts-ignore: decorator
@inline const ECHO_REPLY: u8 = 0;
// @ts-ignore: decorator
@inline const UNREACHABLE: u8 = 3;
// @ts-ignore: decorator
@inline const ECHO: u8 = 8;

// An error message: 8 bytes of ICMP header, a 60-byte IP header at most, 8 bytes of payload.
const ERRBUF = memory.data(80);

/** A received ICMP message of `len` bytes at `m` (stack lock held). `bcast`: sent to a
 *  broadcast address. `ip`: its IP header (unused now; for errors about errors). */
export function icmpInput(src: u32, dst: u32, m: usize, len: u32, bcast: bool, ip: usize): void {
  count(Stat.ICMP_IN);
  if (len < 8 || csumFold(csumPartial(m, len, 0)) != 0) { count(Stat.ICMP_BAD); return; }
  let type = load<u8>(m);
  if (type != ECHO || bcast) { count(Stat.ICMP_OTHER); return; }
  // The reply is the request with type 0 and a new checksum; the buffer is ours for this call.
  store<u8>(m, ECHO_REPLY);
  store<u8>(m + 1, 0);
  store<u16>(m + 2, 0);
  put16(m + 2, csumFold(csumPartial(m, len, 0)));
  if (ipSend(src, PROTO_ICMP, m, len) == 0) count(Stat.ICMP_ECHO_REPLIES);
}

/** Sends destination unreachable `code` (2 protocol, 3 port) about the received packet whose
 *  IP header is at `ip` (checked by ip.ts: its IHL and total length are valid). Lock held. */
export function icmpUnreachable(ip: usize, code: u32): void {
  if (load<u8>(ip + 9) == <u8>PROTO_ICMP) return;
  let hlen = (<u32>load<u8>(ip) & 15) << 2, total = get16(ip + 2);
  let body = hlen + min<u32>(8, total - hlen);
  let m = ERRBUF;
  store<u8>(m, UNREACHABLE); store<u8>(m + 1, <u8>code); store<u16>(m + 2, 0); store<u32>(m + 4, 0);
  memory.copy(m + 8, ip, body);
  put16(m + 2, csumFold(csumPartial(m, 8 + body, 0)));
  if (ipSend(get32(ip + 12), PROTO_ICMP, m, 8 + body) == 0) count(Stat.ICMP_UNREACH_SENT);
}
