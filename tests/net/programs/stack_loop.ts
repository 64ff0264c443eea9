// stack_loop.ts: the stack's loopback path without a device or a net machine (tests/net/
// stack_loop.test.mjs): UDP datagrams to 127.0.0.1 and to our own address come back through
// the loopback queue, in order, checksummed; ICMP echo to ourselves is answered (seen as an
// echo reply counted); a closed port gets a port unreachable; queue limits drop and count; the
// heap is back to its baseline after the sockets close. Prints one line per check.
import { println, coreCount, heapBytesInUse, heapBlocksInUse, heapAlloc, heapFree } from "aam";
import { netConfigure, netLock, netUnlock, stat, Stat } from "../../../aams/net/stack";
import "../../../aams/net/engine";                        // the input path: loopback packets are delivered through it
import { udpOpen, udpBind, udpSendto, udpRecvfrom, udpClose, udpDrops, MSG_DONTWAIT, UDP_QUEUE_MAX } from "../../../aams/net/udp";
import { ipSend, ipLocal } from "../../../aams/net/ip";
import { csumPartial, csumFold, put16 } from "../../../aams/net/checksum";

function blocks(): u64 { let b: u64 = 0; for (let c = 0; c < coreCount(); c++) b += heapBlocksInUse(c); return b; }

const LOCAL: u32 = 0x0A000002;          // 10.0.0.2
const LO: u32 = 0x7F000001;             // 127.0.0.1

function round(buf: usize, out: usize, from: usize, dst: u32, port: u32): bool {
  let a = udpOpen(), b = udpOpen();
  netLock();
  let okBind = udpBind(a, 0, port) == 0 && udpBind(b, 0, 0) == 0;
  let okSend = true;
  for (let i: u32 = 0; i < 10; i++) {
    for (let k: u32 = 0; k < 100 + i; k++) store<u8>(buf + k, <u8>(i * 7 + k));
    okSend = okSend && udpSendto(b, buf, 100 + i, dst, port) == <i32>(100 + i);
  }
  netUnlock();                                          // the queue is delivered here
  let okRecv = true;
  for (let i: u32 = 0; i < 10; i++) {
    let n = udpRecvfrom(a, out, 2048, from, MSG_DONTWAIT);
    if (n != <i32>(100 + i)) okRecv = false;
    for (let k: u32 = 0; k < 100 + i && okRecv; k++) if (load<u8>(out + k) != <u8>(i * 7 + k)) okRecv = false;
  }
  let okEmpty = udpRecvfrom(a, out, 2048, from, MSG_DONTWAIT) == -11;
  netLock();
  udpClose(a); udpClose(b);
  netUnlock();
  return okBind && okSend && okRecv && okEmpty && load<u32>(from) == dst;
}

export function main(): i32 {
  netConfigure(LOCAL, 24, 0);
  let buf = heapAlloc(2048), out = heapAlloc(2048), from = heapAlloc(8);
  round(buf, out, from, LO, 7000);                       // warm-up: first allocations of each size
  let b0 = blocks();
  let lo = round(buf, out, from, LO, 7001), own = round(buf, out, from, LOCAL, 7002);

  // A full queue drops and counts.
  let a = udpOpen(), b = udpOpen();
  netLock();
  udpBind(a, 0, 7003);
  for (let i: u32 = 0; i < UDP_QUEUE_MAX + 5; i++) udpSendto(b, buf, 10, LO, 7003);
  netUnlock();
  netLock();
  let drops = udpDrops(a);
  udpClose(a); udpClose(b);
  netUnlock();

  // A closed port: ICMP port unreachable sent (to ourselves: counted as received ICMP).
  let c = udpOpen();
  let unreach0 = stat(Stat.ICMP_UNREACH_SENT), noport0 = stat(Stat.UDP_NO_PORT);
  netLock();
  udpSendto(c, buf, 4, LO, 9);
  udpClose(c);
  netUnlock();
  let noport = stat(Stat.UDP_NO_PORT) - noport0, unreach = stat(Stat.ICMP_UNREACH_SENT) - unreach0;

  // ICMP echo to our own address: answered once (the reply is counted as ICMP_OTHER on arrival).
  let echo0 = stat(Stat.ICMP_ECHO_REPLIES), other0 = stat(Stat.ICMP_OTHER);
  store<u8>(buf, 8); store<u8>(buf + 1, 0); store<u16>(buf + 2, 0); put16(buf + 4, 0x1234); put16(buf + 6, 1);
  for (let k: u32 = 8; k < 64; k++) store<u8>(buf + k, <u8>k);
  put16(buf + 2, csumFold(csumPartial(buf, 64, 0)));
  netLock();
  let r = ipSend(ipLocal(), 1, buf, 64);
  netUnlock();
  let echoed = stat(Stat.ICMP_ECHO_REPLIES) - echo0, repliesIn = stat(Stat.ICMP_OTHER) - other0;

  netLock();
  let big = ipSend(LO, 17, buf, 1481);
  netUnlock();
  let leaked = blocks() - b0;                           // measured before any string is made
  println("udp 127.0.0.1: " + (lo ? "ok" : "FAIL"));
  println("udp own address: " + (own ? "ok" : "FAIL"));
  println("queue full: drops " + drops.toString());
  println("closed port: no_port +" + noport.toString() + " unreach +" + unreach.toString());
  println("echo to self: send " + r.toString() + " replies +" + echoed.toString() + " replies in +" + repliesIn.toString());
  println("too big: " + big.toString());
  println("heap blocks back to baseline: " + (leaked == 0 ? "yes" : "no " + leaked.toString()));
  heapFree(buf); heapFree(out); heapFree(from);
  return 0;
}
