// stack_fuzz.ts: the stack's input path against hostile frames, without a device: frames go in
// through netInput (what the driver's rx callback calls), frames out land in a capture link of
// this program (stack.ts netAttachLink). tests/net/stack_fuzz.test.mjs runs it.
// Questions: are frames shorter than a header or longer than 1514 bytes dropped and counted?
// does every one of N seeded mutations of valid frames (ARP request, ICMP echo, UDP to a bound
// and to a closed port, TCP) leave the stack alive, with every frame it sends well-formed
// (IPv4 header checksum, ICMP/UDP/TCP checksums, lengths inside the frame)? does the heap return to
// its baseline once ARP gave up on the addresses the mutations invented? Prints one line each.
import { println, args, coreCount, heapBlocksInUse, heapAlloc, heapFree, now } from "aam";
import { netConfigure, netAttachLink, netLock, netUnlock, stat, Stat } from "../../../aams/net/stack";
import { netInput } from "../../../aams/net/engine";
import { udpOpen, udpBind, udpRecvfrom, udpClose, MSG_DONTWAIT } from "../../../aams/net/udp";
import { arpTimers } from "../../../aams/net/arp";
import { csumPartial, csumFold, pseudoSum, get16, put16, put32 } from "../../../aams/net/checksum";

function blocks(): u64 { let b: u64 = 0; for (let c = 0; c < coreCount(); c++) b += heapBlocksInUse(c); return b; }

const OUR_MAC = memory.data<u8>([0x02, 0x11, 0x22, 0x33, 0x44, 0x55]);
const PEER_MAC = memory.data<u8>([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
const OUR_IP: u32 = 0x0A000002, PEER_IP: u32 = 0x0A000001;

// Counters of the capture link (static: any core may run it).
const OUT = memory.data(16);          // +0 frames, +4 malformed

// The capture link: checks what the stack sends.
function capture(f: usize, len: u32): bool {
  store<u32>(OUT, load<u32>(OUT) + 1);
  let ok = len >= 60 && len <= 1514;
  if (ok && get16(f + 12) == 0x0800) {
    let p = f + 14, hl = (<u32>load<u8>(p) & 15) << 2, total = get16(p + 2);
    ok = hl == 20 && total <= len - 14 && csumFold(csumPartial(p, 20, 0)) == 0;
    let proto = load<u8>(p + 9);
    if (ok && proto == 1) ok = csumFold(csumPartial(p + 20, total - 20, 0)) == 0;
    if (ok && (proto == 17 || proto == 6)) ok = csumFold(csumPartial(p + 20, total - 20, pseudoSum(bswap<u32>(load<u32>(p + 12)), bswap<u32>(load<u32>(p + 16)), proto, total - 20))) == 0;
  }
  if (!ok) store<u32>(OUT + 4, load<u32>(OUT + 4) + 1);
  return true;
}

// ──── templates ────

function ethHdr(f: usize, type: u32): void {
  memory.copy(f, OUR_MAC, 6); memory.copy(f + 6, PEER_MAC, 6); put16(f + 12, type);
}
function ipHdr(p: usize, proto: u32, len: u32): void {
  store<u8>(p, 0x45); store<u8>(p + 1, 0); put16(p + 2, 20 + len); put16(p + 4, 1); put16(p + 6, 0x4000);
  store<u8>(p + 8, 64); store<u8>(p + 9, <u8>proto); store<u16>(p + 10, 0); put32(p + 12, PEER_IP); put32(p + 16, OUR_IP);
  put16(p + 10, csumFold(csumPartial(p, 20, 0)));
}
// Template k (0..4) into f; its length.
function template(f: usize, k: u32): u32 {
  memory.fill(f, 0, 1514);
  if (k == 0) {                                       // ARP request for us
    ethHdr(f, 0x0806);
    let a = f + 14;
    put16(a, 1); put16(a + 2, 0x0800); store<u8>(a + 4, 6); store<u8>(a + 5, 4); put16(a + 6, 1);
    memory.copy(a + 8, PEER_MAC, 6); put32(a + 14, PEER_IP); put32(a + 24, OUR_IP);
    return 42;
  }
  ethHdr(f, 0x0800);
  let p = f + 14, d = p + 20;
  if (k == 1) {                                       // ICMP echo, 56 bytes of data
    store<u8>(d, 8); put16(d + 4, 1); put16(d + 6, 1);
    for (let i: u32 = 8; i < 64; i++) store<u8>(d + i, <u8>i);
    put16(d + 2, csumFold(csumPartial(d, 64, 0)));
    ipHdr(p, 1, 64);
    return 14 + 20 + 64;
  }
  if (k == 2 || k == 3) {                             // UDP to port 7 (bound) or 9 (closed)
    put16(d, 5000); put16(d + 2, k == 2 ? 7 : 9); put16(d + 4, 8 + 32);
    for (let i: u32 = 8; i < 40; i++) store<u8>(d + i, <u8>(i * 3));
    put16(d + 6, csumFold(csumPartial(d, 40, pseudoSum(PEER_IP, OUR_IP, 17, 40))));
    ipHdr(p, 17, 40);
    return 14 + 20 + 40;
  }
  put16(d, 5000); put16(d + 2, 80); put32(d + 4, 1000); store<u8>(d + 12, 0x50); store<u8>(d + 13, 0x02); put16(d + 14, 65535);
  put16(d + 16, csumFold(csumPartial(d, 20, pseudoSum(PEER_IP, OUR_IP, 6, 20))));
  ipHdr(p, 6, 20);                                    // TCP SYN to port 80
  return 14 + 20 + 20;
}

// Half the mutated frames get their checksums made right again, so that the mutations reach
// the checks behind the checksum (lengths, flags, addresses, ports, ICMP types).
function fixup(f: usize, len: u32): void {
  if (len < 34 || get16(f + 12) != 0x0800) return;
  let p = f + 14, hl = (<u32>load<u8>(p) & 15) << 2, total = get16(p + 2);
  if (hl < 20 || hl > len - 14) return;
  store<u16>(p + 10, 0);
  put16(p + 10, csumFold(csumPartial(p, hl, 0)));
  if (total < hl || total > len - 14) return;
  let d = p + hl, dl = total - hl, proto = load<u8>(p + 9);
  let src = bswap<u32>(load<u32>(p + 12)), dst = bswap<u32>(load<u32>(p + 16));
  if (proto == 1 && dl >= 4) { store<u16>(d + 2, 0); put16(d + 2, csumFold(csumPartial(d, dl, 0))); }
  if (proto == 17 && dl >= 8) { let ul = min(get16(d + 4), dl); store<u16>(d + 6, 0); put16(d + 6, csumFold(csumPartial(d, ul, pseudoSum(src, dst, 17, ul)))); }
  if (proto == 6 && dl >= 20) { store<u16>(d + 16, 0); put16(d + 16, csumFold(csumPartial(d, dl, pseudoSum(src, dst, 6, dl)))); }
}

export function main(): i32 {
  let a = args();
  let rounds = a.length > 1 ? I32.parseInt(a[1]) : 20000;
  let seed: u32 = a.length > 2 ? <u32>I32.parseInt(a[2]) : 12345;
  netConfigure(OUR_IP, 24, 0);
  netAttachLink(capture, OUR_MAC);
  let f = heapAlloc(2048), out = heapAlloc(2048);
  let sock = udpOpen();
  netLock(); udpBind(sock, 0, 7); netUnlock();

  // Sizes outside the link's range.
  let short0 = stat(Stat.ETH_SHORT);
  template(f, 1);
  for (let n: u32 = 0; n < 14; n++) netInput(f, n);
  netInput(f, 1515);
  netInput(f, 2000);
  let shorts = stat(Stat.ETH_SHORT) - short0;

  // One round of each template unmutated (first allocations), then the baseline.
  for (let k: u32 = 0; k < 5; k++) netInput(f, template(f, k));
  while (udpRecvfrom(sock, out, 2048, 0, MSG_DONTWAIT) >= 0) {}
  let b0 = blocks(), sent0 = load<u32>(OUT), t0 = now();

  for (let r = 0; r < rounds; r++) {
    seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
    let len = template(f, seed % 5);
    let flips: u32 = 1 + ((seed >> 3) & 3);
    for (let i: u32 = 0; i < flips; i++) {
      seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
      let at = 12 + (seed >> 8) % (len - 12);            // never the destination MAC: those frames would all stop at eth
      store<u8>(f + at, <u8>(seed & 0xFF));
    }
    if ((seed & 0x70) == 0) len = 14 + (seed >> 20) % (len - 14);   // 1 in 8: cut short
    if (seed & 0x80) fixup(f, len);
    netInput(f, len);
    if ((r & 63) == 0) while (udpRecvfrom(sock, out, 2048, 0, MSG_DONTWAIT) >= 0) {}
  }
  while (udpRecvfrom(sock, out, 2048, 0, MSG_DONTWAIT) >= 0) {}
  // ARP gives up on the addresses the mutations invented (its retries, then the drop).
  netLock();
  for (let i = 1; i <= 5; i++) arpTimers(t0 + <f64>i * 1e12);
  netUnlock();
  let leaked = <i64>(blocks() - b0);
  let sent = load<u32>(OUT) - sent0, bad = load<u32>(OUT + 4);
  netLock(); udpClose(sock); netUnlock();
  heapFree(f); heapFree(out);
  println("sizes outside 14..1514: dropped " + shorts.toString());
  println("rounds " + rounds.toString() + ": frames in " + stat(Stat.RX_FRAMES).toString() + ", frames out " + sent.toString() + ", malformed out " + bad.toString());
  println("ip dropped: header " + stat(Stat.IP_BAD_HEADER).toString() + " csum " + stat(Stat.IP_BAD_CSUM).toString() + " len " + stat(Stat.IP_BAD_LEN).toString() +
    " frag " + stat(Stat.IP_FRAGMENTS).toString() + " not ours " + stat(Stat.IP_NOT_OURS).toString() + " src " + stat(Stat.IP_BAD_SRC).toString());
  println("udp in " + stat(Stat.UDP_IN).toString() + " bad " + stat(Stat.UDP_BAD).toString() + "; icmp echo replies " + stat(Stat.ICMP_ECHO_REPLIES).toString() + "; arp replies " + stat(Stat.ARP_REPLIES_SENT).toString());
  println("heap blocks after: " + (leaked == 0 ? "baseline" : "+" + leaked.toString()));
  return 0;
}
