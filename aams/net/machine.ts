// machine.ts: machine "net" (net.idl): the TCP/IP stack as a kernel-level machine. Owns:
// defineNet (configuration from options or the environment, the device, the igen server), the
// handlers igen's server dispatches to, and the driver's rx callback. Not: the stack (stack.ts
// and the protocol files), descriptors (socket.ts), the driver (nic.ts).
//
// This is the one file of the stack that imports the driver: it plugs nicSend in as the link
// (stack.ts netAttachLink) and netInput (engine.ts) in as nicOpen's rx callback, so every other file runs
// in tests over a link of the test's own.
//
// Start-up, in order:
//  1. machines() calls defineNet: the machine, its handlers, the configuration (stack.ts
//     netConfigure: options.ip/gw, else AAM_NET_IP / AAM_NET_GW, else none), the device
//     (nicOpen; none → only loopback works, info.link_up 0);
//  2. the first call of any task, or the first frame received, runs netStart on a core of net:
//     the timer task is spawned there and sends the gratuitous ARP (engine.ts);
//  3. from then on frames arrive through rx (between tasks, on a core of net), calls as tasks.
// A program that only answers ping and ARP makes no call: its first received frame starts the
// stack (a peer asks ARP first).
import { Machine, defineMachine, environ, fail } from "aam";
import { nicOpen, nicSend, nicMac, nicStats } from "./nic";
import { NetAddr, NetInfo } from "./net_igen_client";
import { offerNet } from "./net_igen_server";
import { netConfigure, netAttachLink, netStarted, netIp, netMask, netGw, netMac, netLinkUp, netStats } from "./stack";
import { netInput, netStart } from "./engine";
import { ipParse } from "./checksum";
import { sockOpen, sockBind, sockListen, sockAccept, sockConnect, sockSend, sockSendto, sockRecvfrom, sockShutdown, sockClose, sockCount } from "./socket";
import { tcpStats } from "./tcp";

/** defineNet's options. `ip` "A.B.C.D/N" and `gw` "A.B.C.D" override AAM_NET_IP / AAM_NET_GW
 *  (set by `aam run|boot --ip/--gw`; `--net user` gives 10.0.2.15/24 via 10.0.2.2). `device`
 *  false leaves any network device alone (loopback only). */
export class NetOptions {
  ip: string = "";
  gw: string = "";
  device: bool = true;
  minCores: u32 = 0;
  maxCores: u32 = 1;
  name: string = "net";
}

/** Step 1: defines machine "net" (kernel-level) serving net.idl, configures the stack and
 *  brings up the first virtio-net device. Call from machines(). A bad address fails here (the
 *  system ends with status 70): `defineNet: AAM_NET_IP=10.0.0/24 is not A.B.C.D/N`. */
export function defineNet(options: NetOptions = new NetOptions()): Machine {
  let m = offerNet(defineMachine(options.name, { minCores: options.minCores, maxCores: options.maxCores, kernel: true, steal: true }),
    socket$, bind$, listen$, accept$, connect$, send$, recv$, sendto$, recvfrom$, shutdown$, close$, info$);
  let ip = options.ip, gw = options.gw, ipFrom = "ip", gwFrom = "gw";
  if (ip.length == 0) { ip = env("AAM_NET_IP"); ipFrom = "AAM_NET_IP"; }
  if (gw.length == 0) { gw = env("AAM_NET_GW"); gwFrom = "AAM_NET_GW"; }
  let addr: u32 = 0, prefix: u32 = 0, gwAddr: u32 = 0;
  if (ip.length != 0) {
    let slash = ip.indexOf("/");
    let a = ipParse(slash < 0 ? ip : ip.substring(0, slash));
    let p = slash < 0 ? 24 : I32.parseInt(ip.substring(slash + 1));
    if (a < 0 || a == 0 || p < 1 || p > 32 || (slash >= 0 && !digits(ip.substring(slash + 1)))) fail("defineNet: " + ipFrom + "=" + ip + " is not A.B.C.D/N");
    addr = <u32>a; prefix = <u32>p;
  }
  if (gw.length != 0) {
    let g = ipParse(gw);
    if (g <= 0) fail("defineNet: " + gwFrom + "=" + gw + " is not A.B.C.D");
    gwAddr = <u32>g;
  }
  netConfigure(addr, prefix, gwAddr);
  if (options.device && nicOpen(m, rx)) {
    let mac = memory.data(8);
    nicMac(mac);
    netAttachLink(nicSend, mac);
  }
  return m;
}

// The value of environment variable `name`, or "".
function env(name: string): string {
  let e = environ(), k = name + "=";
  for (let i = 0; i < e.length; i++) if (e[i].startsWith(k)) return e[i].substring(k.length);
  return "";
}

function digits(s: string): bool {
  if (s.length == 0 || s.length > 2) return false;
  for (let i = 0; i < s.length; i++) { let c = s.charCodeAt(i); if (c < 0x30 || c > 0x39) return false; }
  return true;
}

// The driver's rx callback (step 3; step 2 on the first frame).
function rx(frame: usize, len: u32): void {
  netStart();
  netInput(frame, len);
}

// ──── the handlers (step 2 on the first call) ────

function socket$(type: u32): i32 { netStart(); return sockOpen(type); }
function bind$(fd: i32, ip: u32, port: u32): i32 { netStart(); return sockBind(fd, ip, port); }
function listen$(fd: i32, backlog: u32): i32 { netStart(); return sockListen(fd, backlog); }
function accept$(fd: i32, peer: NetAddr): i32 { netStart(); return sockAccept(fd, changetype<usize>(peer)); }
function connect$(fd: i32, ip: u32, port: u32): i32 { netStart(); return sockConnect(fd, ip, port); }
function send$(fd: i32, buf: usize, n: u32): i32 { netStart(); return sockSend(fd, buf, n); }
function recv$(fd: i32, buf: usize, n: u32): i32 { netStart(); return sockRecvfrom(fd, buf, n, 0, 0); }
function sendto$(fd: i32, buf: usize, n: u32, ip: u32, port: u32): i32 { netStart(); return sockSendto(fd, buf, n, ip, port); }
function recvfrom$(fd: i32, buf: usize, n: u32, from: NetAddr, flags: u32): i32 { netStart(); return sockRecvfrom(fd, buf, n, changetype<usize>(from), flags); }
function shutdown$(fd: i32): i32 { netStart(); return sockShutdown(fd); }
function close$(fd: i32): i32 { netStart(); return sockClose(fd); }

function info$(info: NetInfo): i32 {
  netStart();
  info.ip = netIp();
  info.mask = netMask();
  info.gw = netGw();
  memory.copy(info.mac, netMac(), 6);
  info.link_up = netLinkUp() ? 1 : 0;
  info.started = netStarted() ? 1 : 0;
  netStats(info.counters);
  tcpStats(info.tcp);
  info.sockets = sockCount();
  nicStats(info.nic);
  return 0;
}
