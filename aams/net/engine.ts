// engine.ts: what drives the network stack from below and from time: a received frame's way up
// through the layers, the delivery of loopback packets, and the timer task.
//
// Owns: netInput (a received Ethernet frame: the driver's rx callback through machine.ts, or a
// test's), the dispatch of every accepted frame and packet to the protocol that takes it (ARP or
// IPv4; then ICMP, UDP or TCP: ip.ts's input step 9), the loopback delivery that stack.ts calls in
// netUnlock, netStart and the timer task. Not: the checks of each layer (eth.ts ethAccept, ip.ts
// ipAccept, and each protocol's own input), the lock and the loopback queue (stack.ts), the driver
// (nic.ts, machine.ts).
//
// Why a file of its own: every protocol file sends downwards (tcp → ip → arp → eth → stack's
// link) and every received frame goes upwards (eth → ip → tcp). With the upward dispatch inside
// the layers, each pair imported the other and the stack was one import cycle of a dozen files.
// Here the dispatch sits above every protocol file; they import only the layers below them, and
// stack.ts, at the bottom, reaches the input path through the function index this file
// registers (netOnLoopback) when a core starts.
//
// The timer task (a task of the machine that ran netStart: machine net). Protocol:
//  1. netStart (the first call or the first frame: stack.ts netBegin's cas) spawns it; it sends
//     the gratuitous ARP announcing our address (arp.ts);
//  2. loop: take the pending kick (netKickTaken); under the lock next = min(arpTimers(now),
//     tcpTimers(now)), and between the two the next hops ARP gave up on go to TCP
//     (arpFailedTake → tcpUnreachable: a connect through one fails with -EHOSTUNREACH);
//  3. arm timerStart(KICK, next − now) (none when next is ∞), wait on KICK, cancel the timer. A
//     timer that fired while a kick woke the task leaves one spare unit: the next round wakes
//     early, finds nothing due and sleeps again (harmless).
import { Task, Signal, spawnDetached, now, timerStart, timerCancel } from "aam";
import { netLock, netUnlock, netOnLoopback, netBegin, netKickTaken, count, Stat } from "./stack";
import { get16, get32 } from "./checksum";
import { ethAccept, ETH_HLEN, ETH_IPV4 } from "./eth";
import { arpInput, arpTimers, arpAnnounce, arpFailedTake } from "./arp";
import { ipAccept, isBroadcast, PROTO_ICMP, PROTO_UDP, PROTO_TCP } from "./ip";
import { icmpInput, icmpUnreachable } from "./icmp";
import { udpInput } from "./udp";
import { tcpInput, tcpTimers, tcpUnreachable } from "./tcp";

// Every core registers the same index when its instance starts (static data is shared; the
// store is idempotent), before any of its code can queue a loopback packet.
netOnLoopback(deliverLoopback);

/** A received Ethernet frame (14..1514 bytes, no FCS): the driver's rx callback, or a test.
 *  Takes the lock; the memory need be valid only during the call. */
export function netInput(frame: usize, len: u32): void {
  netLock();
  count(Stat.RX_FRAMES);
  let type = ethAccept(frame, len);
  if (type == ETH_IPV4) ipInput(frame + ETH_HLEN, len - ETH_HLEN, false);
  else if (type != 0) arpInput(frame + ETH_HLEN, len - ETH_HLEN);
  netUnlock();
}

// stack.ts netUnlock step 1: a packet from the loopback queue (the lock held).
function deliverLoopback(pkt: usize, len: u32): void { ipInput(pkt, len, true); }

// ip.ts steps 1–8, then step 9: the protocol (the lock held).
function ipInput(p: usize, len: u32, loop: bool): void {
  let hlen = ipAccept(p, len, loop);
  if (!hlen) return;
  let src = get32(p + 12), dst = get32(p + 16);
  let bcast = isBroadcast(dst);
  let proto = <u32>load<u8>(p + 9), data = p + hlen, dlen = get16(p + 2) - hlen;
  if (proto == PROTO_ICMP) icmpInput(src, dst, data, dlen, bcast, p);
  else if (proto == PROTO_UDP) udpInput(src, dst, data, dlen, bcast, p);
  else if (proto == PROTO_TCP) {
    if (bcast) { count(Stat.IP_NOT_OURS); return; }
    count(Stat.TCP_IN);
    tcpInput(src, dst, data, dlen);
  } else {
    count(Stat.IP_UNKNOWN_PROTO);
    if (!bcast) icmpUnreachable(p, 2);
  }
}

/** Starts the timer task on the calling machine (once; later calls do nothing). Call from a
 *  task or between tasks of machine net (machine.ts does, on its first call and first frame). */
export function netStart(): void {
  let kick = netBegin();
  if (kick) spawnDetached(timerTask, <u64>changetype<usize>(kick));
}

function timerTask(t: Task): u64 {
  let kick = changetype<Signal>(<usize>t.arg0);
  netLock();
  arpAnnounce();                                       // step 1
  netUnlock();
  while (true) {
    netKickTaken();                                    // step 2
    netLock();
    let at = now();
    let next = arpTimers(at);
    for (let hop = arpFailedTake(); hop; hop = arpFailedTake()) tcpUnreachable(hop);
    next = min(next, tcpTimers(at));
    netUnlock();
    let id: u32 = 0;                                   // step 3
    if (next != Infinity) {
      let d = next - now();
      id = timerStart(kick, d > 0 ? d : 0);
    }
    kick.wait();
    if (id) timerCancel(id);
  }
  return 0;
}
