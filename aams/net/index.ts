// index.ts: aams/net, machine "net": TCP/IP over virtio-net as a kernel-level machine
// (aams/net/README.md, docs/API.md "The network machine"). A program defines it from machines()
// with defineNet() and uses it from any task through the generated client connectNet().
// Re-exports only.
export { defineNet, NetOptions } from "./machine";
export { connectNet, NetClient, NetAddr, NetInfo } from "./net_igen_client";
export { ipParse, ipText } from "./checksum";
export { SOCK_STREAM, SOCK_DGRAM } from "./socket";
export { MSG_DONTWAIT } from "./udp";
export { STAT_NAMES } from "./stack";
