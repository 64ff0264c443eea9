// net.ts: the command line's network options, checked before anything is built.
//
// Owns: `--net tap:NAME|stream:PATH|user`, `--ip A.B.C.D/N`, `--gw A.B.C.D`, `--forward H:G`
// (repeatable): their syntax, the combinations each command and host accept, and the
// environment they give the image (AAM_NET_IP, AAM_NET_GW: read by aams/net's defineNet on both
// hosts; docs/API.md "Network"). Every refusal is one line (UsageError: status 2).
// Not: the devices (tools/host/net.ts on Node, QEMU's under tools/boot/boot.ts), the TAP relay
// (tools/net/taprelay.c, built by tools/build/taprelay.ts).
//
// Accepted:
//   run, trace (Node):        --net tap:NAME | stream:PATH   [--ip A.B.C.D/N [--gw A.B.C.D]]
//   boot, trace --host qemu:  the same, or --net user [--ip …] [--gw …] [--forward H:G]...
// With `user` and no --ip the image gets QEMU's slirp defaults: 10.0.2.15/24, gateway 10.0.2.2;
// with --ip, slirp is given that network and the gateway (--gw, else the network's address + 2).

import * as fs from "node:fs";
import type { NetSpec } from "../host/net";

export class NetUsageError extends Error { name = "UsageError"; }

/** What the options gave, before the checks that need the whole command line (netCheck). */
export interface NetOptions { net?: string; ip?: string; gw?: string; forwards: string[] }

/** The checked network: the device, and the environment the image gets. */
export interface NetPlan { spec: NetSpec; env: Record<string, string>; ip?: { addr: number; prefix: number }; gw?: number }

const TAP_NAME = /^[A-Za-z0-9_.-]{1,15}$/;                // IFNAMSIZ − 1, no '/' or spaces

/** A dotted quad as a 32-bit number, or null. */
export function parseIPv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const b = m.slice(1).map(Number);
  if (b.some((x, i) => x > 255 || (m[i + 1].length > 1 && m[i + 1][0] === "0"))) return null;
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}
export function formatIPv4(a: number): string { return [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join("."); }

function parsePort(flag: string, v: string, s: string): number {
  const n = /^\d{1,5}$/.test(s) ? Number(s) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new NetUsageError(`${flag} takes HOSTPORT:GUESTPORT, ports 1..65535, got '${v}'`);
  return n;
}

/** Check the network options of command `cmd` on `host` ("node" or "qemu"); null without --net. */
export function netCheck(o: NetOptions, cmd: string, host: "node" | "qemu"): NetPlan | null {
  if (o.net === undefined) {
    const stray = o.ip !== undefined ? "--ip" : o.gw !== undefined ? "--gw" : o.forwards.length ? "--forward" : "";
    if (stray) throw new NetUsageError(`${stray} configures a network: add --net tap:NAME, stream:PATH or user`);
    return null;
  }
  let spec: NetSpec;
  const v = o.net;
  if (v.startsWith("tap:")) {
    const name = v.slice(4);
    if (!TAP_NAME.test(name)) throw new NetUsageError(`--net tap:NAME: '${name}' is not an interface name (1 to 15 of A-Z a-z 0-9 _ . -)`);
    if (!fs.existsSync("/dev/net/tun")) throw new NetUsageError(`--net tap:${name}: this system has no /dev/net/tun`);
    spec = { kind: "tap", name };
  } else if (v.startsWith("stream:")) {
    const path = v.slice(7);
    if (!path) throw new NetUsageError("--net stream:PATH needs the path of a unix socket");
    let st: fs.Stats;
    try { st = fs.statSync(path); } catch { throw new NetUsageError(`--net stream:${path}: no such socket (a peer must listen there first)`); }
    if (!st.isSocket()) throw new NetUsageError(`--net stream:${path}: not a unix socket`);
    spec = { kind: "stream", path };
  } else if (v === "user") {
    if (host !== "qemu") throw new NetUsageError(`--net user is QEMU's user-mode network: use it with aam boot${cmd === "trace" ? " or aam trace --host qemu" : ""}; on the Node host use --net tap:NAME or stream:PATH`);
    spec = { kind: "user", forwards: [] };
  } else {
    throw new NetUsageError(`--net takes tap:NAME, stream:PATH or user, got '${v}'`);
  }
  if (o.forwards.length && spec.kind !== "user") throw new NetUsageError("--forward is for --net user (QEMU's slirp forwards host ports); with a tap or a stream the peer reaches the image's address itself");
  if (spec.kind === "user") {
    const seen = new Set<number>();
    for (const f of o.forwards) {
      const m = /^([^:]*):([^:]*)$/.exec(f);
      if (!m) throw new NetUsageError(`--forward takes HOSTPORT:GUESTPORT, got '${f}'`);
      const host = parsePort("--forward", f, m[1]), guest = parsePort("--forward", f, m[2]);
      if (seen.has(host)) throw new NetUsageError(`--forward: host port ${host} is forwarded twice`);
      seen.add(host);
      spec.forwards.push({ host, guest });
    }
  }
  let ip: NetPlan["ip"];
  if (o.ip !== undefined) {
    const m = /^([^/]+)\/(\d{1,2})$/.exec(o.ip);
    const addr = m ? parseIPv4(m[1]) : null;
    const prefix = m ? Number(m[2]) : NaN;
    if (addr === null || !(prefix >= 1 && prefix <= 32)) throw new NetUsageError(`--ip takes A.B.C.D/N (N from 1 to 32), got '${o.ip}'`);
    const first = addr >>> 24;
    if (first === 0 || first === 127 || first >= 224) throw new NetUsageError(`--ip ${o.ip}: not a unicast address a host can have`);
    const hostMask = prefix >= 31 ? 0 : (2 ** (32 - prefix) - 1);
    if (hostMask && ((addr & hostMask) === 0 || ((addr & hostMask) >>> 0) === hostMask)) {
      throw new NetUsageError(`--ip ${o.ip}: that is the ${(addr & hostMask) === 0 ? "network" : "broadcast"} address of the /${prefix}`);
    }
    ip = { addr, prefix };
  } else if (spec.kind === "user") {
    ip = { addr: parseIPv4("10.0.2.15")!, prefix: 24 };
  }
  let gw: number | undefined;
  if (o.gw !== undefined) {
    gw = parseIPv4(o.gw) ?? undefined;
    if (gw === undefined) throw new NetUsageError(`--gw takes A.B.C.D, got '${o.gw}'`);
    if (!ip) throw new NetUsageError("--gw needs --ip (the gateway must be on the image's network)");
    const mask = ip.prefix === 0 ? 0 : (0xffffffff << (32 - ip.prefix)) >>> 0;
    if (((gw & mask) >>> 0) !== ((ip.addr & mask) >>> 0) || gw === ip.addr) throw new NetUsageError(`--gw ${o.gw} is not another address on ${formatIPv4(ip.addr)}/${ip.prefix}'s network`);
  } else if (spec.kind === "user") {
    // slirp's gateway (its `host`): 10.0.2.2 by default, else the network's second address
    const mask = (0xffffffff << (32 - ip!.prefix)) >>> 0;
    gw = o.ip === undefined ? parseIPv4("10.0.2.2")! : (((ip!.addr & mask) >>> 0) + 2) >>> 0;
    if (gw === ip!.addr || ip!.prefix > 29) throw new NetUsageError(`--net user with --ip ${o.ip}: give --gw (the slirp gateway) on that network`);
  }
  const env: Record<string, string> = {};
  if (ip) env.AAM_NET_IP = `${formatIPv4(ip.addr)}/${ip.prefix}`;
  if (gw !== undefined) env.AAM_NET_GW = formatIPv4(gw);
  return { spec, env, ip, gw };
}
