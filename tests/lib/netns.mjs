// netns.mjs: network namespaces for the network tests and `aam bench net` (root only).
// Owns: creating a namespace with a TAP in it (the guest's wire) and deleting everything it
// created, also when a test fails or an earlier run was killed; running Linux commands and the
// `aam` CLI inside it with timeouts; waiting until the guest answers by counting bounded attempts;
// tc netem on the Linux side of the TAP. Not: the tests themselves (tests/net), the device
// (tools/host, boot), frame parsing (tests/net/peer.py).
//
// Layout of one namespace (N: a small number unique in this process; names unique per process):
//
//     namespace aamt-<pid>-<k>                       (traffic never leaves it)
//     ┌──────────────────────────────────────────────────────────────┐
//     │ lo up                                                          │
//     │ tap aamt<k>  10.77.N.1/24, IPv6 off ── guest 10.77.N.2/24      │  the guest: `aam run|boot
//     │                                       (aam runs IN this ns:    │  --net tap:aamt<k>`
//     │                                        it opens the tap)       │
//     │ [veth aamv<k>a 10.78.N.1/24] ──── peer namespace aamt-<pid>-<k>p │  only with { peer: true }:
//     └──────────────────────────────────────────────────────────────┘  the Linux baseline's server
//                                              veth aamv<k>b 10.78.N.2/24  (bench net)
//
// The tap is created persistent (`ip tuntap add`) before aam starts, so the hosts use it as it is
// (contract: a tap that exists is not deleted by aam) and it has its address before the guest's
// first frame. It has no carrier until the relay (Node) or QEMU opens it.
//
// Cleanup protocol (every path ends here: `ns.close()` in the test's `after`, and an exit hook):
//   1. kill every process started through this module (their process groups: `aam boot` has a
//      QEMU child), then every pid still inside the namespace (`ip netns pids`: only processes
//      this module started can be there);
//   2. `ip netns del` the namespaces (the tap and veth go with them).
// Stale state: at the first `createNs` of a process, every `aamt-<pid>-*` namespace whose <pid>
// is no longer alive (a killed earlier run) is cleaned the same way.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { AAM, ROOT } from "./aam.mjs";

const PREFIX = "aamt-";
let counter = 0;
let staleSwept = false;
const live = new Set();                               // namespaces of this process not yet closed

/** True when this process may create namespaces (root, `ip` present): tests skip otherwise. */
export function netnsAvailable() {
  if (process.getuid?.() !== 0) return false;
  return spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).status === 0;
}

function ipSync(args, { check = true } = {}) {
  const r = spawnSync("ip", args, { encoding: "utf8", timeout: 30000 });
  if (check && r.status !== 0) throw new Error(`ip ${args.join(" ")}: status ${r.status}: ${(r.stderr || "").trim()}`);
  return r;
}

function killNsPids(name) {
  const r = spawnSync("ip", ["netns", "pids", name], { encoding: "utf8" });
  for (const s of (r.stdout || "").split(/\s+/).filter(Boolean)) {
    try { process.kill(Number(s), "SIGKILL"); } catch { /* gone already */ }
  }
}

function deleteNs(name) {
  killNsPids(name);
  ipSync(["netns", "del", name], { check: false });
}

/** Step "stale": namespaces of processes that died without cleaning up. */
function sweepStale() {
  if (staleSwept) return;
  staleSwept = true;
  const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
  for (const line of (r.stdout || "").split("\n")) {
    const m = new RegExp(`^(${PREFIX}(\\d+)-\\d+p?)\\b`).exec(line.trim());
    if (!m || Number(m[2]) === process.pid || fs.existsSync(`/proc/${m[2]}`)) continue;
    deleteNs(m[1]);
  }
}

process.on("exit", () => { for (const ns of [...live]) ns.closeSync(); });
for (const sig of ["SIGINT", "SIGTERM"]) process.once(sig, () => { for (const ns of [...live]) ns.closeSync(); process.exit(130); });

/** A process started inside the namespace: `done` resolves {code, signal, stdout, stderr}. */
class NsProcess {
  constructor(child, label) {
    this.child = child;
    this.label = label;
    this.stdout = "";
    this.stderr = "";
    this.exited = null;
    child.stdout?.on("data", (d) => { this.stdout += d; });
    child.stderr?.on("data", (d) => { this.stderr += d; });
    this.done = new Promise((resolve) => child.on("close", (code, signal) => {
      this.exited = { code: code ?? 128, signal, stdout: this.stdout, stderr: this.stderr };
      resolve(this.exited);
    }));
  }
  /** Kill its process group (QEMU under `aam boot` with it) and wait for it. */
  async kill(sig = "SIGKILL") {
    if (!this.exited) {
      try { process.kill(-this.child.pid, sig); } catch { try { this.child.kill(sig); } catch { /* gone */ } }
    }
    return this.done;
  }
  killSync() {
    if (this.exited) return;
    try { process.kill(-this.child.pid, "SIGKILL"); } catch { /* gone */ }
  }
  /** Resolves when `re` matches stdout (the text so far), rejects when the process ends first or
   *  after timeoutMs (a hang guard). */
  waitFor(re, timeoutMs = 120000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = re.exec(this.stdout);
        if (m) { cleanup(); resolve(m); return true; }
        return false;
      };
      const onData = () => check();
      const onClose = () => { if (!check()) { cleanup(); reject(new Error(`${this.label} ended (${JSON.stringify(this.exited && [this.exited.code, this.exited.signal])}) before printing ${re}:\n${this.stdout}\n${this.stderr}`)); } };
      const timer = setTimeout(() => { cleanup(); reject(new Error(`${this.label}: no ${re} after ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`)); }, timeoutMs);
      const cleanup = () => { clearTimeout(timer); this.child.stdout?.off("data", onData); this.child.off("close", onClose); };
      this.child.stdout?.on("data", onData);
      this.child.on("close", onClose);
      if (!check() && this.exited) onClose();
    });
  }
}

/** Create a namespace with a tap (and, with `peer`, a second namespace over a veth pair).
 *  Returns the namespace object; always `await ns.close()` (a test's `after`). */
export function createNs({ peer = false } = {}) {
  sweepStale();
  const k = counter++;
  const n = ((process.pid + k) % 250) + 1;            // namespaces are isolated: N only aids reading logs
  const ns = new Ns(`${PREFIX}${process.pid}-${k}`, `aamt${k}`, n, peer);
  live.add(ns);
  try { ns.setup(); } catch (e) { ns.closeSync(); throw e; }
  return ns;
}

class Ns {
  constructor(name, tap, n, peer) {
    this.name = name;
    this.tap = tap;
    this.n = n;
    this.hostIp = `10.77.${n}.1`;
    this.guestIp = `10.77.${n}.2`;
    this.prefix = 24;
    this.peer = peer ? { name: name + "p", ip: `10.78.${n}.2`, localIp: `10.78.${n}.1`, dev: `aamv${k(tap)}b` } : null;
    this.procs = new Set();
  }

  setup() {
    const x = (...a) => ipSync(["-n", this.name, ...a]);
    ipSync(["netns", "add", this.name]);
    this.sysctl("net.ipv6.conf.all.disable_ipv6", 1);
    this.sysctl("net.ipv6.conf.default.disable_ipv6", 1);
    x("link", "set", "lo", "up");
    x("tuntap", "add", "dev", this.tap, "mode", "tap");
    x("addr", "add", `${this.hostIp}/${this.prefix}`, "dev", this.tap);
    x("link", "set", this.tap, "up");
    if (this.peer) {
      const a = `aamv${k(this.tap)}a`;
      ipSync(["netns", "add", this.peer.name]);
      ipSync(["-n", this.peer.name, "link", "set", "lo", "up"]);
      x("link", "add", a, "type", "veth", "peer", "name", this.peer.dev, "netns", this.peer.name);
      x("addr", "add", `${this.peer.localIp}/24`, "dev", a);
      x("link", "set", a, "up");
      ipSync(["-n", this.peer.name, "addr", "add", `${this.peer.ip}/24`, "dev", this.peer.dev]);
      ipSync(["-n", this.peer.name, "link", "set", this.peer.dev, "up"]);
    }
  }

  sysctl(key, value, nsName = this.name) {
    const r = spawnSync("ip", ["netns", "exec", nsName, "sysctl", "-q", "-w", `${key}=${value}`], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`sysctl ${key} in ${nsName}: ${r.stderr}`);
  }

  /** Run `cmd args` inside the namespace (or the peer: { where: "peer" }) to its end; resolves
   *  {code, signal, stdout, stderr, ms}; kills it and rejects after timeoutMs (a hang guard).
   *  `input`: a string/Buffer for stdin; `binary`: stdout as a Buffer. */
  exec(cmd, args = [], { timeoutMs = 120000, input, binary = false, where = "ns", env } = {}) {
    const p = this.spawn(cmd, args, { where, env, stdin: input === undefined ? "ignore" : "pipe", binary });
    if (input !== undefined) { p.child.stdin.on("error", () => {}); p.child.stdin.end(input); }
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { p.kill(); reject(new Error(`${cmd} ${args.join(" ")} (in ${this.name}) hung for ${timeoutMs} ms\n${p.stdout}\n${p.stderr}`)); }, timeoutMs);
      p.done.then((r) => { clearTimeout(timer); this.procs.delete(p); resolve({ ...r, stdout: binary ? Buffer.concat(p.chunks) : r.stdout, ms: Date.now() - t0 }); });
    });
  }

  /** Shell one-liner inside the namespace (bash: pipes, redirections, process substitution). */
  sh(script, opts = {}) { return this.exec("bash", ["-c", script], opts); }

  /** Start `cmd args` inside the namespace in its own process group; returns an NsProcess that
   *  close() kills if the test did not. */
  spawn(cmd, args = [], { where = "ns", env, stdin = "ignore", binary = false, cwd = ROOT } = {}) {
    const nsName = where === "peer" ? this.peer.name : this.name;
    const child = spawn("ip", ["netns", "exec", nsName, cmd, ...args], { cwd, env: { ...process.env, ...(env ?? {}) }, stdio: [stdin, "pipe", "pipe"], detached: true });
    const p = new NsProcess(child, `${cmd} ${args.slice(0, 3).join(" ")}`);
    if (binary) { p.chunks = []; child.stdout.removeAllListeners("data"); child.stdout.on("data", (d) => p.chunks.push(d)); }
    this.procs.add(p);
    return p;
  }

  /** Start the guest: `aam run|boot image --net tap:TAP --ip GUEST/24 [extra] -- args` inside the
   *  namespace (aam must run there to see the tap). host: "node" | "qemu"; `net`: another
   *  --net value (stream:PATH for tests/net/impair.py). */
  startGuest(image, { host = "node", args = [], extra = [], env, net = `tap:${this.tap}` } = {}) {
    const cmd = host === "qemu" ? "boot" : "run";
    return this.spawn(process.execPath, [AAM, cmd, image, "--net", net, "--ip", `${this.guestIp}/${this.prefix}`, ...extra, "--", ...args], { env });
  }

  /** Wait until the guest answers ping: at most `attempts` pings of one echo each (each waits up
   *  to 1 s for its reply). Counts attempts; fails early when the guest process ended. Resolves the
   *  number of attempts used. */
  async waitPing(guest, { attempts = 240 } = {}) {
    for (let i = 1; i <= attempts; i++) {
      if (guest?.exited) throw new Error(`guest ended before answering ping: ${JSON.stringify(guest.exited)}`);
      const r = await this.exec("ping", ["-n", "-q", "-c", "1", "-W", "1", this.guestIp], { timeoutMs: 10000 });
      if (r.code === 0) return i;
    }
    throw new Error(`guest ${this.guestIp} did not answer ${attempts} pings\n${guest?.stdout ?? ""}\n${guest?.stderr ?? ""}`);
  }

  /** Wait until a TCP connect to the guest's port succeeds (the listener is up): at most
   *  `attempts` connects, each bounded; a refused connect is retried after the next ping. */
  async waitPort(guest, port, { attempts = 120 } = {}) {
    for (let i = 1; i <= attempts; i++) {
      if (guest?.exited) throw new Error(`guest ended before listening on ${port}: ${JSON.stringify(guest.exited)}`);
      const r = await this.exec("nc", ["-z", "-w", "2", this.guestIp, String(port)], { timeoutMs: 10000 });
      if (r.code === 0) return i;
      await this.exec("ping", ["-n", "-q", "-c", "1", "-W", "1", this.guestIp], { timeoutMs: 10000 });
    }
    throw new Error(`guest ${this.guestIp}:${port} did not accept in ${attempts} attempts\n${guest?.stdout ?? ""}\n${guest?.stderr ?? ""}`);
  }

  /** Wait until a Linux TCP listener on `port` exists in the namespace (`ss`): at most
   *  `attempts` looks, a 0.1 s sleep between them (pacing only; the count bounds it). */
  async waitListening(port, { attempts = 300, where = "ns" } = {}) {
    for (let i = 1; i <= attempts; i++) {
      const r = await this.exec("ss", ["-H", "-l", "-t", "-n", `sport = :${port}`], { timeoutMs: 10000, where });
      if (r.stdout.trim()) return i;
      await this.exec("sleep", ["0.1"], { timeoutMs: 10000 });
    }
    throw new Error(`no listener on port ${port} after ${attempts} looks`);
  }

  /** tc netem on the tap's egress (Linux → guest): e.g. netem("loss 5%"), netem("delay 20ms
   *  reorder 25% 50%"); netem(null) removes it. */
  async netem(spec) {
    await this.exec("tc", ["qdisc", "del", "dev", this.tap, "root"], { timeoutMs: 10000 });   // none yet: status 2, fine
    if (spec === null) return;
    const r = await this.exec("tc", ["qdisc", "add", "dev", this.tap, "root", "netem", ...spec.split(/\s+/)], { timeoutMs: 10000 });
    if (r.code !== 0) throw new Error(`tc netem ${spec}: ${r.stderr}`);
  }

  /** Cleanup protocol steps 1–2; idempotent. */
  async close() {
    await Promise.all([...this.procs].map((p) => p.kill()));
    this.closeSync();
  }
  closeSync() {
    for (const p of this.procs) p.killSync();
    this.procs.clear();
    deleteNs(this.name);
    if (this.peer) deleteNs(this.peer.name);
    live.delete(this);
  }
}

function k(tap) { return tap.slice(4); }

/** For tests of this module: the namespaces this process has and that exist. */
export function liveNamespaces() {
  const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
  return (r.stdout || "").split("\n").map((l) => l.trim().split(/\s/)[0]).filter((s) => s.startsWith(`${PREFIX}${process.pid}-`));
}
