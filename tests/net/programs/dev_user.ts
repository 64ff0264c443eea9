// dev_user.ts: QEMU's user-mode network (`aam boot --net user --forward H:G`) seen from the
// driver alone (tests/net/dev_user.test.mjs), without the IP stack. main reads AAM_NET_IP and
// AAM_NET_GW from its environment (the kernel command line), asks the gateway's MAC with an ARP
// request and prints it when slirp answers; then it waits for the TCP SYN that slirp sends when a
// host program connects to 127.0.0.1:H, prints its destination port, and exits. The frame
// handler also answers slirp's own ARP requests for our address.
import { println, environ, sleep, defineMachine } from "aam";
import { load32, store32 } from "aam/atomic";
import { nicOpen, nicSend, nicMac, nicTxPending } from "../../../aams/net/nic";

const STATE = memory.data(16);          // +0 our IP, +4 gateway IP, +8 SYN's port + 1, +12 ARP reply seen
const GWMAC = memory.data(8);
const OUT = memory.data(64);

function be16(p: usize): u32 { return (<u32>load<u8>(p) << 8) | load<u8>(p + 1); }
function be32(p: usize): u32 { return (be16(p) << 16) | be16(p + 2); }
function put16(p: usize, v: u32): void { store<u8>(p, <u8>(v >> 8)); store<u8>(p + 1, <u8>v); }
function put32(p: usize, v: u32): void { put16(p, v >> 16); put16(p + 2, v & 0xffff); }

function ipOf(s: string): u32 {
  let parts = s.split("/")[0].split(".");
  let a: u32 = 0;
  for (let i = 0; i < 4 && i < parts.length; i++) a = (a << 8) | (<u32>parseInt(parts[i]) & 255);
  return a;
}

// An ARP packet (op 1 request, 2 reply) from us to `tha`/`tpa`, into OUT, sent.
function arp(op: u32, dst: usize, tha: usize, tpa: u32): void {
  memory.copy(OUT, dst, 6);
  nicMac(OUT + 6);
  put16(OUT + 12, 0x0806);
  put16(OUT + 14, 1); put16(OUT + 16, 0x0800); store<u8>(OUT + 18, 6); store<u8>(OUT + 19, 4); put16(OUT + 20, op);
  nicMac(OUT + 22); put32(OUT + 28, load32(STATE));
  memory.copy(OUT + 32, tha, 6); put32(OUT + 38, tpa);
  memory.fill(OUT + 42, 0, 18);
  nicSend(OUT, 60);
}

function onFrame(f: usize, len: u32): void {
  let me = load32(STATE);
  let type = be16(f + 12);
  if (type == 0x0806 && len >= 42) {
    let op = be16(f + 20), spa = be32(f + 28), tpa = be32(f + 38);
    if (op == 2 && spa == load32(STATE + 4) && tpa == me) { memory.copy(GWMAC, f + 22, 6); store32(STATE + 12, 1); }
    if (op == 1 && tpa == me) arp(2, f + 22, f + 22, spa);
    return;
  }
  if (type == 0x0800 && len >= 34 + 20 && load<u8>(f + 23) == 6 && be32(f + 30) == me) {
    let tcp = f + 14 + ((<usize>load<u8>(f + 14) & 15) << 2);
    if (tcp + 14 <= f + len && (load<u8>(tcp + 13) & 0x12) == 0x02) store32(STATE + 8, be16(tcp + 2) + 1);   // SYN, not SYN-ACK
  }
}

export function machines(): void {
  nicOpen(defineMachine("nic", { minCores: 1, maxCores: 1, kernel: true, steal: true }), onFrame);
}

function hex(b: u32): string { return (b < 16 ? "0" : "") + b.toString(16); }

export function main(): i32 {
  let ip = "", gw = "";
  let env = environ();
  for (let i = 0; i < env.length; i++) {
    if (env[i].startsWith("AAM_NET_IP=")) ip = env[i].substr(11);
    if (env[i].startsWith("AAM_NET_GW=")) gw = env[i].substr(11);
  }
  if (!ip.length || !gw.length) { println("dev_user: AAM_NET_IP or AAM_NET_GW missing"); return 3; }
  store32(STATE, ipOf(ip));
  store32(STATE + 4, ipOf(gw));
  let bcast = memory.data<u8>([255, 255, 255, 255, 255, 255]);
  let zero = memory.data<u8>([0, 0, 0, 0, 0, 0]);
  arp(1, bcast, zero, ipOf(gw));
  while (load32(STATE + 12) == 0) sleep(1e6);   // 1 ms: the core parks (under QEMU a spinning core starves the others)
  let mac = hex(load<u8>(GWMAC));
  for (let i: usize = 1; i < 6; i++) mac += ":" + hex(load<u8>(GWMAC + i));
  println("dev_user: ip " + ip + ", gateway " + gw + " is at " + mac);
  while (load32(STATE + 8) == 0) sleep(1e6);   // 1 ms: the core parks (under QEMU a spinning core starves the others)
  println("dev_user: a SYN to port " + (load32(STATE + 8) - 1).toString());
  while (nicTxPending() != 0) sleep(1e6);   // 1 ms: the core parks (under QEMU a spinning core starves the others)
  return 0;
}
