// stack_dev.ts: machine "net" on a real device, driven by a peer on the link (tests/net/
// stack_dev.test.mjs speaks raw Ethernet over `--net stream:PATH`; with a tap, Linux's ping).
// main binds UDP port 7, prints "ready", sends "hello" to 10.0.0.1:5555 (the peer: ARP first),
// to 10.0.0.50:5555 (nobody: ARP gives up) and to 192.168.99.1:5555 (off-link: through the
// gateway, when --gw 10.0.0.1), then echoes datagrams until one reads "quit"; it waits until ARP
// dropped the datagram to 10.0.0.50 (arp_unresolved 1: counted, not timed; before the heap
// baseline) and prints every counter of the stack ("stat NAME VALUE"), the heap blocks its echo
// loop left ("heap +N"), and "done". ARP, ICMP and the hostile frames the peer sends are the
// stack's own business: main only sees the datagrams that reach port 7.
import { println, coreCount, heapBlocksInUse, heapAlloc, heapFree, sleep } from "aam";
import { defineNet, connectNet, NetAddr, NetInfo, STAT_NAMES, SOCK_DGRAM } from "../../../aams/net/index";

export function machines(): void { defineNet(); }

function blocks(): u64 { let b: u64 = 0; for (let c = 0; c < coreCount(); c++) b += heapBlocksInUse(c); return b; }

export function main(): i32 {
  let net = connectNet();
  let fd = net.socketSync(SOCK_DGRAM);
  let r = net.bindSync(fd, 0, 7);
  if (fd < 0 || r != 0) { println("socket " + fd.toString() + " bind " + r.toString()); return 1; }
  let buf = heapAlloc(2048), from = NetAddr.alloc();
  let info = NetInfo.alloc();
  net.infoSync(info);
  println("ready link " + info.link_up.toString());
  store<u64>(buf, 0x6F6C6C6568);                                            // "hello"
  let s1 = net.sendtoSync(fd, buf, 5, 0x0A000001, 5555);
  let s2 = net.sendtoSync(fd, buf, 5, 0x0A000032, 5555);
  let s3 = net.sendtoSync(fd, buf, 5, 0xC0A86301, 5555);
  println("sent " + s1.toString() + " " + s2.toString() + " " + s3.toString());
  let b0: u64 = 0, echoed: u32 = 0;
  while (true) {
    let n = net.recvfromSync(fd, buf, 2048, from, 0);
    if (n < 0) { println("recvfrom " + n.toString()); break; }
    if (n == 4 && load<u32>(buf) == 0x74697571) break;                      // "quit"
    // The baseline: before the first echo goes out, so that no datagram of the peer is queued
    // (it sends the next one only once it has this echo: a baseline after the send could count
    // one, which the end does not), and after ARP gave 10.0.0.50 up (its queued datagram freed).
    // Both calls have been made once before, so nothing they allocate lazily is still to come.
    if (echoed == 0) {
      net.infoSync(info);
      while (load<u32>(info.counters + 11 * 4) == 0) { sleep(20e6); net.infoSync(info); }   // arp_unresolved
      b0 = blocks();
    }
    let s = net.sendtoSync(fd, buf, <u32>n, from.ip, from.port);
    if (s != n) println("sendto " + s.toString());
    echoed++;
  }
  let grew = <i64>(blocks() - b0);
  net.closeSync(fd);
  net.infoSync(info);
  while (load<u32>(info.counters + 11 * 4) == 0) { sleep(20e6); net.infoSync(info); }      // arp_unresolved (nothing echoed)
  for (let i = 0; i < STAT_NAMES.length; i++) println("stat " + STAT_NAMES[i] + " " + load<u32>(info.counters + (<usize>i << 2)).toString());
  println("sockets " + info.sockets.toString());
  println("nic rx " + load<u32>(info.nic).toString() + " bad " + load<u32>(info.nic + 4).toString() + " tx " + load<u32>(info.nic + 8).toString() + " drops " + load<u32>(info.nic + 12).toString());
  println("echoed " + echoed.toString() + " heap +" + (echoed > 1 ? grew : 0).toString());
  println("done");
  heapFree(buf); from.free(); info.free();
  return 0;
}
