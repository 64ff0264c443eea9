// arp.ts: ARP for IPv4 over Ethernet (RFC 826): the cache of neighbours' MAC addresses, the
// requests that fill it, the frames that wait for an answer, and our answers to others.
//
// Owns: the ARP table (static), arpInput, arpOutput (send a frame to a next hop, resolving it
// first), arpTimers (expiry and retries), arpAnnounce (the gratuitous ARP at start). Not: which
// next hop a packet takes (ip.ts routes), the link (stack.ts linkSend).
//
// Rules (RFC 826 "Packet Reception", RFC 1122 §2.3.2):
//  - a well-formed packet whose sender is in the table updates that entry's MAC (the merge
//    flag); if it is addressed to us and the sender was not there, the sender is added;
//  - a request for our address is answered with a reply to the sender's MAC;
//  - an entry lives ARP_TTL after it was last confirmed, then is removed (the next packet to
//    that address asks again); a request is repeated ARP_RETRY apart, ARP_TRIES times, then the
//    entry and the frames waiting on it are dropped (counted: ARP_UNRESOLVED) and the address
//    goes on the list of failed next hops that the timer task hands to TCP (arpFailedTake:
//    engine.ts), which ends the connections still trying to open through it with -EHOSTUNREACH,
//    as Linux does when a neighbour fails (rather than after the SYN's last retry, 63 s on);
//  - up to ARP_PENDING frames wait per unresolved address (heap copies); one more is dropped
//    (ARP_QUEUE_DROPS) and arpOutput answers -ENOBUFS. TCP retransmits what is lost.
//  - when the table is full, a new entry replaces the oldest one still waiting for an answer
//    (its frames are dropped, counted ARP_UNRESOLVED), and only when none waits the resolved one
//    that expires first. So a flood of packets to addresses that never answer (SYNs from spoofed
//    sources: every SYN-ACK needs ARP) churns the unresolved entries and never evicts the
//    neighbours that do answer (rejected: evicting resolved entries first, which under such a
//    flood left no entry for a real peer and dropped the replies to it).
//
// ╒══ ARP packet (28 bytes after the Ethernet header) ════════════════════════════════════╕
//  +0 htype 1  +2 ptype 0x0800  +4 hlen 6  +5 plen 4  +6 op (1 request, 2 reply)
//  +8 sender MAC  +14 sender IP  +18 target MAC  +24 target IP
// ╒══ table entry (48 bytes × ARP_ENTRIES, static, under the stack lock) ═════════════════╕
//  +0 IP (host order)  +4 STATE (0 free, 1 waiting, 2 resolved)
//  +8 TIME f64: resolved → when it expires; waiting → when to ask again
//  +16 MAC (6)  +22 TRIES (requests sent)  +23 NPEND (frames waiting)
//  +24 PEND[4]: heap blocks {+0 length, +4 the frame, destination MAC still to fill}
// ╒══ failed next hops (FAILED_MAX u32, static, under the stack lock) ═══════════════════╕
//  addresses whose resolution failed since the timer task last took them; when full, a new one
//  replaces the oldest (its connections then end by their own timeout, -ETIMEDOUT)
import { heapAlloc, heapFree, now } from "aam";
import { get16, get32, put16, put32 } from "./checksum";
import { count, Stat, netIp, netMac, linkSend, netTimerKick } from "./stack";
import { TXBUF, ETH_HLEN, ETH_ARP, ethHeader, macIsGroup, macEqual } from "./eth";

// @ts-ignore: decorator
@inline export const ARP_ENTRIES: u32 = 64;
// @ts-ignore: decorator
@inline export const ARP_PENDING: u32 = 4;
// @ts-ignore: decorator
@inline export const ARP_TTL: f64 = 60e9;             // ns a resolved entry is trusted
// @ts-ignore: decorator
@inline export const ARP_RETRY: f64 = 1e9;            // ns between requests
// @ts-ignore: decorator
@inline export const ARP_TRIES: u32 = 3;
// @ts-ignore: decorator
@inline const ENOBUFS: i32 = -105;
// @ts-ignore: decorator
@inline const FAILED_MAX: u32 = 8;

const FAILED = memory.data(<i32>(FAILED_MAX << 2));
let nFailed: u32 = 0;

/** One next hop whose resolution failed since the last call (0: none left). Stack lock held. */
export function arpFailedTake(): u32 {
  if (nFailed == 0) return 0;
  nFailed--;
  return load<u32>(FAILED + (<usize>nFailed << 2));
}

function failed(ip: u32): void {
  if (nFailed == FAILED_MAX) { memory.copy(FAILED, FAILED + 4, <usize>(FAILED_MAX - 1) << 2); nFailed--; }
  store<u32>(FAILED + (<usize>nFailed << 2), ip);
  nFailed++;
}

// @ts-ignore: decorator
@inline const E_IP: usize = 0;
// @ts-ignore: decorator
@inline const E_STATE: usize = 4;
// @ts-ignore: decorator
@inline const E_TIME: usize = 8;
// @ts-ignore: decorator
@inline const E_MAC: usize = 16;
// @ts-ignore: decorator
@inline const E_TRIES: usize = 22;
// @ts-ignore: decorator
@inline const E_NPEND: usize = 23;
// @ts-ignore: decorator
@inline const E_PEND: usize = 24;
// @ts-ignore: decorator
@inline const ENTRY: usize = 48;
// @ts-ignore: decorator
@inline const FREE: u32 = 0;
// @ts-ignore: decorator
@inline const WAITING: u32 = 1;
// @ts-ignore: decorator
@inline const RESOLVED: u32 = 2;

const TABLE = memory.data(<i32>(ARP_ENTRIES * <u32>ENTRY));

// @ts-ignore: decorator
@inline function entry(i: u32): usize { return TABLE + <usize>i * ENTRY; }

/** The entry for `ip`, or 0. */
function find(ip: u32): usize {
  for (let i: u32 = 0; i < ARP_ENTRIES; i++) {
    let e = entry(i);
    if (load<u32>(e + E_STATE) != FREE && load<u32>(e + E_IP) == ip) return e;
  }
  return 0;
}

/** A fresh entry for `ip`: a free one, else the oldest waiting one (its frames dropped), else
 *  the resolved one expiring first (the rule above). */
function claim(ip: u32): usize {
  let waiting: usize = 0, resolved: usize = 0, oldest = Infinity, soonest = Infinity;
  for (let i: u32 = 0; i < ARP_ENTRIES; i++) {
    let e = entry(i), st = load<u32>(e + E_STATE), t = load<f64>(e + E_TIME);
    if (st == FREE) { waiting = e; resolved = 0; break; }
    if (st == WAITING) { if (t < oldest) { oldest = t; waiting = e; } }
    else if (t < soonest) { soonest = t; resolved = e; }
  }
  let victim = waiting ? waiting : resolved;
  if (load<u32>(victim + E_STATE) == WAITING) flush(victim, false);
  memory.fill(victim, 0, ENTRY);
  store<u32>(victim + E_IP, ip);
  return victim;
}

/** Frees the frames waiting on `e`, sending them first if `send`. */
function flush(e: usize, send: bool): void {
  let n = <u32>load<u8>(e + E_NPEND);
  for (let i: u32 = 0; i < n; i++) {
    let b = <usize>load<u32>(e + E_PEND + (<usize>i << 2));
    if (send) { memory.copy(b + 4, e + E_MAC, 6); linkSend(b + 4, load<u32>(b)); }
    else count(Stat.ARP_UNRESOLVED);
    heapFree(b);
  }
  store<u8>(e + E_NPEND, 0);
}

/** Sends an ARP packet: `op`, to MAC `dstMac` (0: broadcast), target MAC `tha` (0: zeros),
 *  target IP `tpa`, sender IP `spa`. */
function arpSend(op: u32, dstMac: usize, tha: usize, tpa: u32, spa: u32): void {
  let f = TXBUF;
  ethHeader(f, dstMac, ETH_ARP);
  let a = f + ETH_HLEN;
  put16(a, 1); put16(a + 2, 0x0800); store<u8>(a + 4, 6); store<u8>(a + 5, 4); put16(a + 6, op);
  memory.copy(a + 8, netMac(), 6);
  put32(a + 14, spa);
  if (tha) memory.copy(a + 18, tha, 6); else memory.fill(a + 18, 0, 6);
  put32(a + 24, tpa);
  memory.fill(a + 28, 0, 18);                          // pad to the 60-byte minimum frame
  linkSend(f, ETH_HLEN + 46);
}

/** A received ARP packet (stack lock held). */
export function arpInput(a: usize, len: u32): void {
  count(Stat.ARP_IN);
  if (len < 28 || get16(a) != 1 || get16(a + 2) != 0x0800 || load<u8>(a + 4) != 6 || load<u8>(a + 5) != 4) { count(Stat.ARP_BAD); return; }
  let op = get16(a + 6), spa = get32(a + 14), tpa = get32(a + 24), me = netIp();
  if ((op != 1 && op != 2) || macIsGroup(a + 8) || spa == 0xFFFFFFFF || (spa >> 28) >= 14) { count(Stat.ARP_BAD); return; }
  if (spa == 0 || spa == me) {                          // a probe (RFC 5227) or someone with our address
    if (op == 1 && me != 0 && tpa == me && spa == 0) arpSend(2, a + 8, a + 8, 0, me);
    return;
  }
  let merged = false;
  let e = find(spa);
  if (e) {                                              // the merge flag
    memory.copy(e + E_MAC, a + 8, 6);
    let was = load<u32>(e + E_STATE);
    store<u32>(e + E_STATE, RESOLVED);
    store<f64>(e + E_TIME, now() + ARP_TTL);
    if (was == WAITING) flush(e, true);
    merged = true;
  }
  if (me == 0 || tpa != me) return;
  if (!merged) {
    e = claim(spa);
    memory.copy(e + E_MAC, a + 8, 6); store<u32>(e + E_STATE, RESOLVED); store<f64>(e + E_TIME, now() + ARP_TTL);
  }
  if (op == 1) { arpSend(2, a + 8, a + 8, spa, me); count(Stat.ARP_REPLIES_SENT); }
}

/** Sends `frame` (`len` bytes, source MAC and EtherType filled) to next hop `ip`, filling the
 *  destination MAC from the cache, or keeps a copy until ARP answers. 0, or -ENOBUFS when the
 *  frame was dropped (too many waiting, or the link had no transmit buffer: TCP keeps the
 *  segment and sends it again sooner than a timeout would). Stack lock held. */
export function arpOutput(ip: u32, frame: usize, len: u32): i32 {
  let e = find(ip);
  if (e && load<u32>(e + E_STATE) == RESOLVED) {
    if (load<f64>(e + E_TIME) > now()) {
      memory.copy(frame, e + E_MAC, 6);
      return linkSend(frame, len) ? 0 : ENOBUFS;
    }
    store<u32>(e + E_STATE, FREE);                      // expired: ask again
    e = 0;
  }
  if (!e) {
    e = claim(ip);
    store<u32>(e + E_STATE, WAITING);
  }
  let n = <u32>load<u8>(e + E_NPEND);
  if (n >= ARP_PENDING) { count(Stat.ARP_QUEUE_DROPS); return ENOBUFS; }
  let b = heapAlloc(4 + <usize>len);
  store<u32>(b, len);
  memory.copy(b + 4, frame, len);
  store<u32>(e + E_PEND + (<usize>n << 2), <u32>b);
  store<u8>(e + E_NPEND, <u8>(n + 1));
  if (n == 0 && load<u8>(e + E_TRIES) == 0) {
    store<u8>(e + E_TRIES, 1);
    store<f64>(e + E_TIME, now() + ARP_RETRY);
    arpSend(1, 0, 0, ip, netIp());
    count(Stat.ARP_REQUESTS_SENT);
    netTimerKick();                                     // the retry is a new, earlier deadline
  }
  return 0;
}

/** Expiry and retries (the timer task, stack lock held): the next deadline, or ∞. */
export function arpTimers(at: f64): f64 {
  let next = Infinity;
  for (let i: u32 = 0; i < ARP_ENTRIES; i++) {
    let e = entry(i), st = load<u32>(e + E_STATE);
    if (st == FREE) continue;
    let t = load<f64>(e + E_TIME);
    if (t <= at) {
      if (st == RESOLVED) { store<u32>(e + E_STATE, FREE); continue; }
      let tries = <u32>load<u8>(e + E_TRIES);
      if (tries >= ARP_TRIES) { flush(e, false); store<u32>(e + E_STATE, FREE); failed(load<u32>(e + E_IP)); continue; }
      store<u8>(e + E_TRIES, <u8>(tries + 1));
      t = at + ARP_RETRY;
      store<f64>(e + E_TIME, t);
      arpSend(1, 0, 0, load<u32>(e + E_IP), netIp());
      count(Stat.ARP_REQUESTS_SENT);
    }
    if (t < next) next = t;
  }
  return next;
}

/** The gratuitous ARP (RFC 5227 §3 announcement): a broadcast request for our own address. */
export function arpAnnounce(): void {
  let me = netIp();
  if (me != 0) arpSend(1, 0, 0, me, me);
}

/** Whether the cache holds a resolved entry for `ip` with MAC `mac` (tests). Lock held. */
export function arpKnows(ip: u32, mac: usize): bool {
  let e = find(ip);
  return e != 0 && load<u32>(e + E_STATE) == RESOLVED && macEqual(e + E_MAC, mac);
}
