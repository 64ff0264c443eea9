// stack.ts: the base of the network stack (machine "net", aams/net/README.md): its shared state,
// its lock, the way frames go out, the loopback queue and the timer task's wake-up word.
//
// Owns: the NET record (configuration, link, loopback queue, the timer task's Signal), the STATS
// counters, netLock/netUnlock/netTimerKick (what every protocol file calls), linkSend (a frame to
// the link), netConfigure. Not: the protocols (eth.ts, arp.ts, ip.ts, icmp.ts, udp.ts, tcp*.ts),
// what drives them from below and from time (engine.ts: received frames, loopback delivery, the
// timer task), the driver (nic.ts, plugged in by machine.ts through netAttachLink: nothing below
// machine.ts imports the driver, so the stack runs in a test over a link of the test's own), the
// sockets (socket.ts). It imports no other file of the stack: every protocol file may import it,
// and what it must call upwards (loopback delivery) it calls through a function index that
// engine.ts registers (netOnLoopback), as the link is a function index too.
//
// Every core may run stack code (a task of machine net, the driver's rx callback between tasks,
// a test's task): all state lives in static data and the heap, never in module-level lets.
//
// The lock. One spinlock, "net", guards every word of the stack (NET, STATS, the ARP cache, the
// UDP sockets, TCP's connections). It is held for the work on one frame or one socket call and
// never across a block (the contract: socket calls take it, drop it, then Signal.wait). Under it
// code may allocate, signal a Signal and start or cancel a timer; so in the runtime's lock order
// (runtime/rt/atomic.ts) "net" comes first: nothing that holds a runtime lock takes it.
//
// Loopback (packets to our own address or 127/8). ipSend never calls the input path: it queues
// the packet (ip.ts loopQueue) and the holder of the lock delivers it in netUnlock:
//  1. netUnlock: while the loopback queue is not empty and fewer than LOOP_BATCH were delivered
//     by this unlock, unlink the first packet and hand it to the DELIVER function (engine.ts: the
//     IPv4 input path; the lock still held; what it sends back is queued behind it);
//  2. release the lock;
//  3. if packets are left (a burst above LOOP_BATCH), kick the timer task, which takes the lock
//     and drains them in its own unlock, so no caller spends unbounded time in netUnlock.
// Delivery is in queue order, never inside the sender's call: TCP's handlers never see a segment
// of their own connection arrive while they are still building one.
//
// The timer task (engine.ts) sleeps on the Signal in KICK; netTimerKick sets KICKED and gives
// KICK one unit if KICKED was clear, so a burst of kicks wakes it once.
//
// ╒══ NET (static, 64 bytes) ═════════════════════════════════════════════════════════════╕
//  +0  LOCK      the spinlock "net"
//  +4  IP        our address, host order (0: none configured)      written by netConfigure
//  +8  MASK      netmask, host order                                (machines(), before any
//  +12 GW        gateway (0: none)                                   core serves net, or a test
//  +16 MAC       6 bytes, then 2 zero bytes                          before it sends)
//  +24 LINK      table index of the link's send: (frame, len) => bool (0: no link)
//  +28 LOOP_HEAD first queued loopback packet (heap: +0 next, +4 len, +8 the IP packet)  ┐ lock
//  +32 LOOP_TAIL last one                                                               ┘
//  +36 STARTED   the timer task was spawned (cas: netBegin)
//  +40 KICK      the timer task's Signal (0 until spawned)
//  +44 KICKED    a kick is pending (xchg)
//  +48 IP_ID     the next IPv4 identification                                           lock
//  +52 PORT      the next ephemeral port (udp.ts, tcp: netEphemeral)                     lock
//  +56 DELIVER   table index of the loopback delivery: (pkt, len) => void (engine.ts; 0: none)
// ╘═══════════════════════════════════════════════════════════════════════════════════════╛
import { Signal, heapAlloc, heapFree, fail } from "aam";
import { lock, unlock, cas32, xchg32, load32, store32 } from "aam/atomic";

const NET = memory.data(64);
// @ts-ignore: decorator
@inline const N_LOCK: usize = 0;
// @ts-ignore: decorator
@inline const N_IP: usize = 4;
// @ts-ignore: decorator
@inline const N_MASK: usize = 8;
// @ts-ignore: decorator
@inline const N_GW: usize = 12;
// @ts-ignore: decorator
@inline const N_MAC: usize = 16;
// @ts-ignore: decorator
@inline const N_LINK: usize = 24;
// @ts-ignore: decorator
@inline const N_LOOP_HEAD: usize = 28;
// @ts-ignore: decorator
@inline const N_LOOP_TAIL: usize = 32;
// @ts-ignore: decorator
@inline const N_STARTED: usize = 36;
// @ts-ignore: decorator
@inline const N_KICK: usize = 40;
// @ts-ignore: decorator
@inline const N_KICKED: usize = 44;
// @ts-ignore: decorator
@inline const N_IP_ID: usize = 48;
// @ts-ignore: decorator
@inline const N_PORT: usize = 52;
// @ts-ignore: decorator
@inline const N_DELIVER: usize = 56;

// @ts-ignore: decorator
@inline const LOOP_BATCH: u32 = 256;

// ──── counters ────
// One u32 each, under the lock (tests read them with netStats; the info task copies them).
// The numbering is the order of struct net_info's `counters` in net.idl: keep both in step.
export const enum Stat {
  RX_FRAMES = 0, TX_FRAMES, TX_FAILED,            // frames in; frames out; refused by the link (no buffer / no link)
  ETH_SHORT, ETH_NOT_OURS, ETH_UNKNOWN,           // < 14 bytes or > 1514; another unicast MAC or a multicast; an EtherType we do not speak
  ARP_IN, ARP_BAD, ARP_REPLIES_SENT, ARP_REQUESTS_SENT, ARP_QUEUE_DROPS, ARP_UNRESOLVED,
  IP_IN, IP_BAD_HEADER, IP_BAD_CSUM, IP_BAD_LEN, IP_FRAGMENTS, IP_NOT_OURS, IP_TTL0, IP_BAD_SRC, IP_UNKNOWN_PROTO,
  IP_OUT, IP_NO_ROUTE, IP_LOOPBACK,
  ICMP_IN, ICMP_BAD, ICMP_ECHO_REPLIES, ICMP_UNREACH_SENT, ICMP_OTHER,
  UDP_IN, UDP_BAD, UDP_NO_PORT, UDP_QUEUE_DROPS, UDP_OUT,
  TCP_IN,
  COUNT
}
const STATS = memory.data(4 * 40);

/** The counters' names, in Stat order (tests and examples print them). */
export const STAT_NAMES: string[] = ["rx_frames", "tx_frames", "tx_failed",
  "eth_short", "eth_not_ours", "eth_unknown",
  "arp_in", "arp_bad", "arp_replies_sent", "arp_requests_sent", "arp_queue_drops", "arp_unresolved",
  "ip_in", "ip_bad_header", "ip_bad_csum", "ip_bad_len", "ip_fragments", "ip_not_ours", "ip_ttl0", "ip_bad_src", "ip_unknown_proto",
  "ip_out", "ip_no_route", "ip_loopback",
  "icmp_in", "icmp_bad", "icmp_echo_replies", "icmp_unreach_sent", "icmp_other",
  "udp_in", "udp_bad", "udp_no_port", "udp_queue_drops", "udp_out",
  "tcp_in"];

/** Adds one to counter `s` (the lock held). */
// @ts-ignore: decorator
@inline export function count(s: Stat): void { let p = STATS + (<usize>s << 2); store<u32>(p, load<u32>(p) + 1); }
/** Counter `s` now. */
export function stat(s: Stat): u32 { return load32(STATS + (<usize>s << 2)); }
/** Copies the Stat.COUNT counters to `out` (u32 each). */
export function netStats(out: usize): void { for (let i: usize = 0; i < <usize>Stat.COUNT; i++) store<u32>(out + (i << 2), load32(STATS + (i << 2))); }

// ──── the lock (contract) ────

/** Takes the stack lock (a spinlock: never held across a block). */
export function netLock(): void { lock(NET + N_LOCK, "net"); }

/** Delivers queued loopback packets (steps 1–3 above), then releases the stack lock. */
export function netUnlock(): void {
  let n: u32 = 0;
  while (n < LOOP_BATCH) {
    let p = <usize>load<u32>(NET + N_LOOP_HEAD);
    if (!p) break;
    let next = load<u32>(p);
    store<u32>(NET + N_LOOP_HEAD, next);
    if (!next) store<u32>(NET + N_LOOP_TAIL, 0);
    let deliver = load<u32>(NET + N_DELIVER);
    if (!deliver) fail("net: a loopback packet and no input path to deliver it (aams/net/engine.ts is not linked)");
    call_indirect<void>(deliver, p + 8, load<u32>(p + 4));
    heapFree(p);
    n++;
  }
  let left = load<u32>(NET + N_LOOP_HEAD) != 0;
  unlock(NET + N_LOCK);
  if (left) netTimerKick();
}

/** Sets the loopback delivery (engine.ts, at its start; the same index on every core). */
export function netOnLoopback(deliver: (pkt: usize, len: u32) => void): void { store32(NET + N_DELIVER, deliver.index); }

/** Queues a copy of the IPv4 packet [pkt, +len) for loopback delivery (ip.ts; the lock held). */
export function loopQueue(pkt: usize, len: u32): void {
  let p = heapAlloc(8 + <usize>len);
  store<u32>(p, 0);
  store<u32>(p + 4, len);
  memory.copy(p + 8, pkt, len);
  let tail = <usize>load<u32>(NET + N_LOOP_TAIL);
  if (tail) store<u32>(tail, <u32>p); else store<u32>(NET + N_LOOP_HEAD, <u32>p);
  store<u32>(NET + N_LOOP_TAIL, <u32>p);
}

// ──── configuration and the link ────

/** Sets our address, prefix length and gateway (host order; ip 0: unconfigured). Call before
 *  the stack sends (machines(), or a test before its first frame). */
export function netConfigure(ip: u32, prefix: u32, gw: u32): void {
  store<u32>(NET + N_IP, ip);
  store<u32>(NET + N_MASK, prefix == 0 ? 0 : prefix >= 32 ? 0xFFFFFFFF : ~((<u32>1 << (32 - prefix)) - 1));
  store<u32>(NET + N_GW, gw);
}

/** Plugs in the link: `send` copies a frame out (false: dropped), `mac` the 6-byte address. */
export function netAttachLink(send: (frame: usize, len: u32) => bool, mac: usize): void {
  memory.copy(NET + N_MAC, mac, 6);
  store<u32>(NET + N_LINK, send.index);
}

/** Our address (host order), 0 before configuration. */
export function netIp(): u32 { return load32(NET + N_IP); }
/** Our netmask (host order). */
export function netMask(): u32 { return load32(NET + N_MASK); }
/** The gateway (0: none). */
export function netGw(): u32 { return load32(NET + N_GW); }
/** Our 6-byte MAC address (static data, valid always). */
export function netMac(): usize { return NET + N_MAC; }
/** Whether a link is attached. */
export function netLinkUp(): bool { return load32(NET + N_LINK) != 0; }

// A frame below Ethernet's 60-byte minimum is padded with zeros here (ARP, small ICMP/UDP).
const SHORT = memory.data(64);

/** Sends a whole Ethernet frame through the link; false when there is no link or it refused. */
export function linkSend(frame: usize, len: u32): bool {
  let fn = load<u32>(NET + N_LINK);
  if (len < 60) { memory.fill(SHORT, 0, 60); memory.copy(SHORT, frame, len); frame = SHORT; len = 60; }
  if (fn == 0 || !call_indirect<bool>(fn, frame, len)) { count(Stat.TX_FAILED); return false; }
  count(Stat.TX_FRAMES);
  return true;
}

/** The next IPv4 identification (lock held). */
export function nextIpId(): u32 { let v = load<u32>(NET + N_IP_ID); store<u32>(NET + N_IP_ID, v + 1); return v & 0xFFFF; }

/** The next ephemeral port in 49152..65535 (lock held); the caller checks it is free. */
export function netEphemeral(): u32 {
  let v = load<u32>(NET + N_PORT);
  store<u32>(NET + N_PORT, v + 1);
  return 49152 + (v % 16384);
}

// ──── the timer task's words (engine.ts runs the task) ────

/** The first caller (cas STARTED 0 → 1) gets the timer task's new Signal, stored in KICK; every
 *  later caller gets null. */
export function netBegin(): Signal | null {
  if (load32(NET + N_STARTED) != 0 || cas32(NET + N_STARTED, 0, 1) != 0) return null;
  let kick = Signal.create(0);
  store32(NET + N_KICK, changetype<u32>(kick));
  return kick;
}

/** Contract: the timer task recomputes its deadline soon (C calls it after arming a timer that
 *  may be earlier than the current one; netUnlock after a loopback burst). Any context. */
export function netTimerKick(): void {
  let k = load32(NET + N_KICK);
  if (k == 0) return;                                   // not started: nothing sleeps yet
  if (xchg32(NET + N_KICKED, 1) == 0) changetype<Signal>(k).signal();
}

/** The timer task takes the pending kick before it looks at the deadlines (engine.ts step 2). */
export function netKickTaken(): void { xchg32(NET + N_KICKED, 0); }

/** The timer task was started (tests, info). */
export function netStarted(): bool { return load32(NET + N_STARTED) != 0; }
