// dev_echo.ts: the virtio-net driver (aams/net/nic.ts) alone, without the IP stack
// (tests/net/dev_echo.test.mjs). Machine "nic" (kernel-level, one core) answers every frame of
// EtherType 0x88b5 (IEEE local experimental) with the same frame, source and destination MACs
// swapped, and counts the frames of other types without answering them (a TAP's own IPv6
// chatter). main first sends one broadcast frame of that type holding "hello" (the peer starts
// sending when it sees it: frames that reach QEMU's device before the driver is up are lost),
// waits until argv[1] test frames were answered and every frame sent has left (nicTxPending),
// then prints the counts: stdout is the same on both hosts.
import { println, args, environ, sleep, defineMachine } from "aam";
import { add32, load32 } from "aam/atomic";
import { virtioFind } from "aam/dev";
import { nicOpen, nicSend, nicMac, nicStats, nicUp, nicTxPending, NIC_STATS } from "../../../aams/net/nic";

const COUNTS = memory.data(16);          // +0 answered, +4 others, +8 send refused
const MAC = memory.data(8);
const STATS = memory.data(4 * NIC_STATS);

function onFrame(frame: usize, len: u32): void {
  if (len < 14 || load<u8>(frame + 12) != 0x88 || load<u8>(frame + 13) != 0xb5) { add32(COUNTS + 4, 1); return; }
  for (let i: usize = 0; i < 6; i++) {   // swap destination and source (the frame is ours during the call)
    let a = load<u8>(frame + i);
    store<u8>(frame + i, load<u8>(frame + 6 + i));
    store<u8>(frame + 6 + i, a);
  }
  if (nicSend(frame, len)) add32(COUNTS, 1);
  else add32(COUNTS + 8, 1);
}

export function machines(): void {
  let m = defineMachine("nic", { minCores: 1, maxCores: 1, kernel: true, steal: true });
  nicOpen(m, onFrame);
}

function hex(b: u32): string { return (b < 16 ? "0" : "") + b.toString(16); }

export function main(): i32 {
  let a = args();
  let n = a.length > 1 ? <u32>parseInt(a[1]) : 10;
  if (!nicUp()) { println("dev_echo: no network device"); return 3; }
  nicMac(MAC);
  let mac = hex(load<u8>(MAC));
  for (let i: usize = 1; i < 6; i++) mac += ":" + hex(load<u8>(MAC + i));
  let ip = "unset", gw = "unset";
  let env = environ();
  for (let i = 0; i < env.length; i++) {
    if (env[i].startsWith("AAM_NET_IP=")) ip = env[i].substr(11);
    if (env[i].startsWith("AAM_NET_GW=")) gw = env[i].substr(11);
  }
  println("dev_echo: up, handle " + virtioFind(1, 0).toString() + ", mac " + mac + ", AAM_NET_IP " + ip + ", AAM_NET_GW " + gw);
  let hello = memory.data(64);
  memory.fill(hello, 0xff, 6);
  memory.copy(hello + 6, MAC, 6);
  store<u8>(hello + 12, 0x88); store<u8>(hello + 13, 0xb5);
  let word = "hello";
  for (let i = 0; i < word.length; i++) store<u8>(hello + 14 + <usize>i, <u8>word.charCodeAt(i));
  memory.fill(hello + 19, 0, 64 - 19);
  if (!nicSend(hello, 60)) { println("dev_echo: the hello frame was refused"); return 4; }
  while (load32(COUNTS) + load32(COUNTS + 8) < n) sleep(1e6);   // 1 ms: the core parks (under QEMU a spinning core starves the others)
  while (nicTxPending() != 0) sleep(1e6);   // 1 ms: the core parks (under QEMU a spinning core starves the others)
  nicStats(STATS);
  println("dev_echo: answered " + load32(COUNTS).toString() + " of " + n.toString() + ", refused " + load32(COUNTS + 8).toString() +
    ", rx bad " + load<u32>(STATS + 4).toString() + ", tx drops " + load<u32>(STATS + 12).toString());
  return 0;
}
