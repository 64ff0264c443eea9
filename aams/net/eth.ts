// eth.ts: Ethernet II framing for the stack: which received frames are ours, and the header of
// every frame sent.
//
// Owns: ethAccept (the checks; engine.ts hands an accepted frame to ARP or IPv4), ethHeader (the 14 bytes in front of a frame sent), the
// stack's transmit buffer TXBUF. Not: the link (stack.ts linkSend, the driver behind it), ARP's
// cache (arp.ts), IPv4 (ip.ts). No VLAN tags (802.1Q frames are counted as an unknown
// EtherType), no IEEE 802.3 length frames, no multicast groups: a multicast destination other
// than broadcast is not ours.
//
// ╒══ frame (as the driver hands it over: no preamble, no FCS, 14..1514 bytes) ══╕
//  +0 destination MAC (6)  +6 source MAC (6)  +12 EtherType (2, big-endian)  +14 payload
//
// TXBUF (static, 1536 bytes) is where ip.ts and arp.ts build a frame before the link copies it
// out; it is guarded by the stack lock, and every user is done with it before it returns (the
// link copies the frame; a frame that waits for ARP is copied to the heap).
import { count, Stat, netMac } from "./stack";
import { get16, put16 } from "./checksum";

// @ts-ignore: decorator
@inline export const ETH_HLEN: u32 = 14;
// @ts-ignore: decorator
@inline export const ETH_MAX: u32 = 1514;             // header + the 1500-byte MTU
// @ts-ignore: decorator
@inline export const ETH_IPV4: u32 = 0x0800;
// @ts-ignore: decorator
@inline export const ETH_ARP: u32 = 0x0806;

export const TXBUF = memory.data(1536);

/** Whether the 6 bytes at m are ff:ff:ff:ff:ff:ff. */
export function macIsBroadcast(m: usize): bool { return load<u32>(m) == 0xFFFFFFFF && load<u16>(m + 4) == 0xFFFF; }
/** Whether the 6 bytes at m are a group address (multicast or broadcast: the I/G bit). */
// @ts-ignore: decorator
@inline export function macIsGroup(m: usize): bool { return (load<u8>(m) & 1) != 0; }
/** Whether the 6 bytes at a and b are equal. */
export function macEqual(a: usize, b: usize): bool { return load<u32>(a) == load<u32>(b) && load<u16>(a + 4) == load<u16>(b + 4); }
/** Whether the 6 bytes at m are all zero. */
export function macIsZero(m: usize): bool { return load<u32>(m) == 0 && load<u16>(m + 4) == 0; }

/** Fills the 14-byte header at `frame`: destination `dst` (6 bytes; 0 → broadcast), our MAC,
 *  `type`. */
export function ethHeader(frame: usize, dst: usize, type: u32): void {
  if (dst) memory.copy(frame, dst, 6);
  else { store<u32>(frame, 0xFFFFFFFF); store<u16>(frame + 4, 0xFFFF); }
  memory.copy(frame + 6, netMac(), 6);
  put16(frame + 12, type);
}

/** A received frame (stack lock held): its EtherType, ETH_IPV4 or ETH_ARP, when it is ours;
 *  else 0 and the frame is counted and dropped. */
export function ethAccept(frame: usize, len: u32): u32 {
  if (len < ETH_HLEN || len > ETH_MAX) { count(Stat.ETH_SHORT); return 0; }
  if (macIsGroup(frame) ? !macIsBroadcast(frame) : !macEqual(frame, netMac())) { count(Stat.ETH_NOT_OURS); return 0; }
  if (macIsGroup(frame + 6)) { count(Stat.ETH_NOT_OURS); return 0; }   // a group source address is never valid
  let type = get16(frame + 12);
  if (type == ETH_IPV4 || type == ETH_ARP) return type;
  count(Stat.ETH_UNKNOWN);
  return 0;
}
