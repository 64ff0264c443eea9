// ip.ts: IPv4 (RFC 791, RFC 1122 §3) for a host: the checks every received packet passes, and
// the header, route and next hop of every packet sent.
//
// Owns: ipAccept (input steps 1–8), ipSend, ipSource, ipLocal, ipMtu (what TCP calls).
// Not: step 9, the dispatch to ICMP, UDP and TCP (engine.ts, above them all, so that no
// protocol file imports one above it), the link and ARP (eth.ts, arp.ts), the loopback queue
// itself (stack.ts: delivered when the lock is released, never inside ipSend).
//
// Input checks, in this order; a packet failing one is dropped and counted (stack.ts Stat):
//  1. at least 20 bytes, version 4, 20 ≤ IHL×4 ≤ the bytes received        → IP_BAD_HEADER
//  2. IHL×4 ≤ total length ≤ the bytes received (Ethernet padding after it is cut) → IP_BAD_LEN
//  3. the header checksum                                                  → IP_BAD_CSUM
//  4. the reserved flag clear                                              → IP_BAD_HEADER
//  5. not a fragment (MF set or an offset): fragments are refused          → IP_FRAGMENTS
//  6. TTL > 0                                                              → IP_TTL0
//  7. the destination is ours: our address, 255.255.255.255, our subnet's broadcast, or 127/8
//     when it came through loopback                                        → IP_NOT_OURS
//  8. the source is a unicast address that is not ours and not 127/8 (a loopback packet may
//     have either)                                                         → IP_BAD_SRC
//  9. (engine.ts) the protocol: 1 ICMP, 6 TCP (unicast only), 17 UDP; any other gets an ICMP
//     protocol unreachable (unicast only)                                  → IP_UNKNOWN_PROTO
// Options are accepted and ignored (the payload starts after IHL×4 bytes).
//
// Fragments (decision, README "Decisions"): no reassembly. Every sent packet carries DF and fits
// the 1500-byte MTU (ipSend refuses larger with -EMSGSIZE; TCP's MSS is 1460, UDP's largest
// payload 1472), and Linux peers use path MTU discovery, so fragments arrive only from a sender
// that chose to fragment; those are dropped and counted. Rejected: reassembly buffers, which a
// hostile peer can fill with never-completed fragments (the classic overlapping/teardrop
// attacks live there) for a case our peers do not produce.
//
// Output (ipSend):
//  1. payload ≤ MTU − 20 (else -EMSGSIZE); a source for dst (ipSource; none: -ENETUNREACH);
//  2. the header (DF, TTL 64, a fresh id, checksum) and the payload, copied into TXBUF;
//  3. dst ours or 127/8: queued for loopback delivery (stack.ts loopQueue) and 0;
//  4. no link: -ENETDOWN; broadcast (255.255.255.255 or our subnet's): to ff:ff:ff:ff:ff:ff;
//  5. on our subnet: to dst; else to the gateway (none: -ENETUNREACH); multicast: -ENETUNREACH;
//  6. arp.ts arpOutput: sent now, or held until the next hop answers; -ENOBUFS when too many
//     wait or the link had no transmit buffer (the packet is lost: TCP keeps its segment).
//
// ╒══ IPv4 header (20 bytes, no options sent) ═══════════════════════════════════════════╕
//  +0 version 4 | IHL  +1 TOS  +2 total length  +4 id  +6 flags (DF 0x4000, MF 0x2000) | offset
//  +8 TTL  +9 protocol  +10 checksum  +12 source  +16 destination      (all big-endian)
import { get16, get32, put16, put32, csumPartial, csumFold } from "./checksum";
import { count, Stat, netIp, netMask, netGw, netLinkUp, nextIpId, loopQueue, linkSend } from "./stack";
import { TXBUF, ETH_HLEN, ETH_IPV4, ethHeader } from "./eth";
import { arpOutput } from "./arp";

// @ts-ignore: decorator
@inline export const IP_MTU: u32 = 1500;
// @ts-ignore: decorator
@inline export const IP_HLEN: u32 = 20;
// @ts-ignore: decorator
@inline export const PROTO_ICMP: u32 = 1;
// @ts-ignore: decorator
@inline export const PROTO_TCP: u32 = 6;
// @ts-ignore: decorator
@inline export const PROTO_UDP: u32 = 17;
// @ts-ignore: decorator
@inline const EMSGSIZE: i32 = -90;
// @ts-ignore: decorator
@inline const ENETDOWN: i32 = -100;
// @ts-ignore: decorator
@inline const ENETUNREACH: i32 = -101;
// @ts-ignore: decorator
@inline const ENOBUFS: i32 = -105;

/** Our address (host order), 0 before configuration (contract). */
export function ipLocal(): u32 { return netIp(); }
/** The link MTU: the largest IPv4 packet sent (contract). */
export function ipMtu(): u32 { return IP_MTU; }

/** Whether `a` is in 127/8. */
// @ts-ignore: decorator
@inline export function isLoopback(a: u32): bool { return (a >> 24) == 127; }

/** Whether `a` is a broadcast address for us: 255.255.255.255 or our subnet's. */
export function isBroadcast(a: u32): bool {
  if (a == 0xFFFFFFFF) return true;
  let ip = netIp(), mask = netMask();
  return ip != 0 && mask != 0xFFFFFFFF && mask != 0 && a == (ip | ~mask);
}

/** The source address ipSend puts on a packet to `dst`: dst itself for 127/8 (so a connection
 *  to 127.0.0.1 is 127.0.0.1 at both ends), else our address; 0 when there is none (no address
 *  configured). TCP and UDP use it for the pseudo-header. */
export function ipSource(dst: u32): u32 { return isLoopback(dst) ? dst : netIp(); }

/** A received IPv4 packet (`len` bytes after the Ethernet header; `loop`: it came through the
 *  loopback queue): steps 1–8 above, stack lock held. Its header length when it is ours (the
 *  payload is total length − that, after it); else 0 and it is counted and dropped. */
export function ipAccept(p: usize, len: u32, loop: bool): u32 {
  count(Stat.IP_IN);
  if (len < IP_HLEN) { count(Stat.IP_BAD_HEADER); return 0; }
  let vihl = <u32>load<u8>(p), hlen = (vihl & 15) << 2;
  if ((vihl >> 4) != 4 || hlen < IP_HLEN || hlen > len) { count(Stat.IP_BAD_HEADER); return 0; }    // 1
  let total = get16(p + 2);
  if (total < hlen || total > len) { count(Stat.IP_BAD_LEN); return 0; }                           // 2
  if (csumFold(csumPartial(p, hlen, 0)) != 0) { count(Stat.IP_BAD_CSUM); return 0; }               // 3
  let frag = get16(p + 6);
  if (frag & 0x8000) { count(Stat.IP_BAD_HEADER); return 0; }                                      // 4
  if (frag & 0x3FFF) { count(Stat.IP_FRAGMENTS); return 0; }                                       // 5
  if (load<u8>(p + 8) == 0) { count(Stat.IP_TTL0); return 0; }                                     // 6
  let src = get32(p + 12), dst = get32(p + 16), me = netIp();
  let bcast = isBroadcast(dst);
  if (!(bcast || (me != 0 && dst == me) || (loop && isLoopback(dst)))) { count(Stat.IP_NOT_OURS); return 0; }   // 7
  if (src == 0 || (src >> 28) >= 14 || isBroadcast(src) || (!loop && (isLoopback(src) || src == me))) { count(Stat.IP_BAD_SRC); return 0; }  // 8
  return hlen;
}

/** Sends `len` bytes at `payload` as protocol `proto` to `dst` (host order): steps 1–6 above.
 *  Copies the payload; 0, or -EMSGSIZE, -ENETDOWN, -ENETUNREACH, -ENOBUFS. Stack lock held
 *  (contract). */
export function ipSend(dst: u32, proto: u32, payload: usize, len: u32): i32 {
  if (len > IP_MTU - IP_HLEN) return EMSGSIZE;                                                     // 1
  let src = ipSource(dst);
  if (src == 0) { count(Stat.IP_NO_ROUTE); return ENETUNREACH; }
  let h = TXBUF + ETH_HLEN, total = IP_HLEN + len;                                                 // 2
  store<u8>(h, 0x45); store<u8>(h + 1, 0);
  put16(h + 2, total); put16(h + 4, nextIpId()); put16(h + 6, 0x4000);
  store<u8>(h + 8, 64); store<u8>(h + 9, <u8>proto); store<u16>(h + 10, 0);
  put32(h + 12, src); put32(h + 16, dst);
  put16(h + 10, csumFold(csumPartial(h, IP_HLEN, 0)));
  memory.copy(h + IP_HLEN, payload, len);
  count(Stat.IP_OUT);
  let me = netIp();
  if (isLoopback(dst) || (me != 0 && dst == me)) { count(Stat.IP_LOOPBACK); loopQueue(h, total); return 0; }   // 3
  if (!netLinkUp()) { count(Stat.IP_NO_ROUTE); return ENETDOWN; }                                  // 4
  ethHeader(TXBUF, 0, ETH_IPV4);
  if (isBroadcast(dst)) return linkSend(TXBUF, ETH_HLEN + total) ? 0 : ENOBUFS;
  let hop = ipNextHop(dst);                                                                        // 5
  if (hop == 0) { count(Stat.IP_NO_ROUTE); return ENETUNREACH; }
  return arpOutput(hop, TXBUF, ETH_HLEN + total);                                                  // 6
}

/** Output step 5: the next hop of a packet to `dst`, not ours, not broadcast (dst on our subnet,
 *  else the gateway); 0 for multicast or when there is no gateway. */
export function ipNextHop(dst: u32): u32 {
  if ((dst >> 28) == 14 || (dst >> 28) == 15) return 0;
  let mask = netMask();
  return (dst & mask) == (netIp() & mask) ? dst : netGw();
}
