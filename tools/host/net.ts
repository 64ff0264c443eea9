// net.ts: the Node host's virtio-net device model and the links it sends frames over.
//
// Owns: NetDevice (in node.ts's main thread): queue 1's chains become frames on the link, frames
// from the link go into the next buffer the driver posted on queue 0; the links: `stream:PATH`
// (a unix stream socket the host connects to) and `tap:NAME` (a TAP through the relay child
// build/net/taprelay, tools/net/taprelay.c), both framed as 4-byte big-endian length + frame
// (QEMU's -netdev stream framing); creating a missing TAP and deleting it at the end (tapPrepare,
// also used by the QEMU host, tools/boot/boot.ts). Not: the register file and the interrupt
// (virtio.ts, shared with BlockDevice), the driver (aams/net/nic.ts), checking --net (tools/cli/net.ts).
//
// The device offers VERSION_1 and F_MAC only, so every buffer holds one whole frame behind the
// 12-byte virtio_net_hdr (all zeros but num_buffers = 1 on receive; ignored on transmit).
// Device protocol, in the main thread:
//  1. a frame comes from the link → the pending list; more than PENDING_MAX pending: it is
//     dropped (counted). While any is pending the link is paused (the peer's writes wait in
//     its socket or pipe instead of being dropped here).
//  2. on every bell (the driver added chains to queue 0 or 1) and every frame: queue 1's new
//     chains are walked (at most queue-size descriptors, every buffer inside the image's memory,
//     device-readable, 12 + 14 .. 12 + 1514 bytes in all); a good one goes to the link without
//     its header, a bad one is dropped with a line on stderr naming it; each is returned in the
//     used ring with length 0;
//  3. then pending frames go into queue 0's new chains (device-writable, large enough; a bad
//     chain is returned with length 0 and a line on stderr, and the frame is dropped); the used
//     length is 12 + the frame's;
//  4. used.idx is stored after each used element; one interrupt after the batch if anything was
//     returned (virtio.ts raiseInterrupt). No pending frames left: the link resumes.

import * as fs from "node:fs";
import * as net from "node:net";
import { spawn, spawnSync, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { VIRTIO_MAX_DEVICES } from "./abi";
import { type DeviceData, R_KIND, R_NUMMAX, R_NQ, R_FEAT0, R_FEAT1, R_CONFIG, R_BELL, R_EPOCH, R_STATUS, REGS_WORDS,
  raiseInterrupt, queueRings, serveBells } from "./virtio";

/** A network the command line attached (`--net`); `user` exists on QEMU only. */
export type NetSpec = { kind: "tap"; name: string } | { kind: "stream"; path: string } | { kind: "user"; forwards: { host: number; guest: number }[] };

export class NetError extends Error { name = "NetError"; }

const NET_ID = 1;
const QUEUE_MAX = 256;
const F_MAC = 1 << 5;
const HDR = 12;
const MIN_FRAME = 14, MAX_FRAME = 1514;
const PENDING_MAX = 4096;                  // frames: a whole chunk of small frames read at once fits
/** The MAC the Node device reports (F_MAC): QEMU's default for its first NIC, 52:54:00:12:34:56. */
export const NODE_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

/** A link: frames in both directions. */
interface Link {
  send(frame: Buffer): void;
  /** Frames sent between cork and uncork go out in one write. */
  cork(): void;
  uncork(): void;
  pause(): void;
  resume(): void;
  /** Ends the link after the frames already given to it were written (at most FLUSH_MS). */
  close(): Promise<void>;
}
const FLUSH_MS = 2000;
// How long the TAP relay may take to write the frames left in its pipe and exit, once its stdin ended.
const RELAY_EXIT_MS = 10000;
// Resolves when `w` has written everything given to it and ended, or after FLUSH_MS.
function ended(w: Writable): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, FLUSH_MS);
    w.end(() => { clearTimeout(t); resolve(); });
  });
}

// The framing of both links: 4-byte big-endian length, then the frame. A length above
// LINK_FRAME_MAX means the peer is out of step (or not speaking this framing): `bad` is told once
// and nothing more is read.
const LINK_FRAME_MAX = 65535;
function deframer(onFrame: (f: Buffer) => void, bad: (n: number) => void): (chunk: Buffer) => void {
  let acc = Buffer.alloc(0);
  let broken = false;
  return (chunk) => {
    if (broken) return;
    acc = acc.length ? Buffer.concat([acc, chunk]) : chunk;
    let at = 0;
    while (acc.length - at >= 4) {
      const n = acc.readUInt32BE(at);
      if (n > LINK_FRAME_MAX) { broken = true; acc = Buffer.alloc(0); bad(n); return; }
      if (acc.length - at - 4 < n) break;
      onFrame(Buffer.from(acc.subarray(at + 4, at + 4 + n)));
      at += 4 + n;
    }
    acc = acc.subarray(at);
  };
}
function framed(frame: Buffer): Buffer {
  const b = Buffer.allocUnsafe(4 + frame.length);
  b.writeUInt32BE(frame.length, 0);
  frame.copy(b, 4);
  return b;
}

// A link that cannot start (nobody listens at PATH, the relay cannot open the TAP) or whose relay
// dies ends the run (`fatal`: status 71); a stream peer that goes away later is only reported.
function streamLink(path: string, onFrame: (f: Buffer) => void, report: (s: string) => void, fatal: (s: string) => void): Link {
  const s = net.createConnection({ path });
  let closed = false, connected = false;
  s.on("connect", () => { connected = true; });
  s.on("data", deframer(onFrame, (n) => fatal(`--net stream:${path}: the peer sent a frame length of ${n} bytes (at most ${LINK_FRAME_MAX}): it does not speak the 4-byte length + frame framing`)));
  s.on("error", (e) => {
    const why = (e as NodeJS.ErrnoException).code ?? e.message;
    if (closed) return;
    if (!connected) fatal(`--net stream:${path}: cannot connect (${why}): a peer must listen there`);
    else report(`${why}; frames sent from now on are dropped`);
  });
  s.unref();                                        // the cores keep the process alive, not the link
  return {
    send: (f) => { if (!s.destroyed) s.write(framed(f)); },
    cork: () => s.cork(),
    uncork: () => s.uncork(),
    pause: () => s.pause(),
    resume: () => s.resume(),
    close: async () => { closed = true; if (!s.destroyed) await ended(s); s.destroy(); },
  };
}

function tapLink(relay: string, name: string, onFrame: (f: Buffer) => void, fatal: (s: string) => void): Link {
  const child: ChildProcessByStdio<Writable, Readable, null> = spawn(relay, [name], { stdio: ["pipe", "pipe", "inherit"] });
  let closed = false;
  child.stdout.on("data", deframer(onFrame, (n) => fatal(`--net tap:${name}: the relay sent a frame length of ${n} bytes (at most ${LINK_FRAME_MAX})`)));
  child.on("error", (e) => fatal(`--net tap:${name}: the relay ${relay} failed: ${e.message}`));
  child.on("exit", (code, sig) => { if (!closed) fatal(`--net tap:${name}: the relay exited (${sig ?? code}; its message is above)`); });
  child.stdin.on("error", () => { /* the relay is gone: reported on exit */ });
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  return {
    send: (f) => { if (!closed && child.exitCode === null) child.stdin.write(framed(f)); },
    cork: () => child.stdin.cork(),
    uncork: () => child.stdin.uncork(),
    pause: () => child.stdout.pause(),
    resume: () => child.stdout.resume(),
    close: async () => {
      closed = true;
      const running = (): boolean => child.exitCode === null && child.signalCode === null;
      if (!running()) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      await ended(child.stdin);                   // every frame given to the link is in the pipe
      // The relay writes what is still in the pipe to the TAP and exits at the end of its stdin;
      // killing it as soon as the pipe has the frames lost them on a busy machine (the relay had
      // not run yet: tests/net/dev_tap.test.mjs saw 1 echo of 30 under load).
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((resolve) => { timer = setTimeout(resolve, RELAY_EXIT_MS); })]);
      clearTimeout(timer);
      if (running()) child.kill("SIGTERM");
    },
  };
}

/** Make TAP `name` usable: an existing one is used as it is; a missing one is created
 *  (`ip tuntap add dev NAME mode tap`) and set up. Returns the cleanup (deletes what it created;
 *  nothing otherwise), which the caller runs at the end. */
export function tapPrepare(name: string): () => void {
  if (spawnSync("ip", ["link", "show", "dev", name], { stdio: "ignore" }).status === 0) return () => {};
  const add = spawnSync("ip", ["tuntap", "add", "dev", name, "mode", "tap"], { encoding: "utf8" });
  if (add.error) throw new NetError(`--net tap:${name}: cannot run ip (iproute2): ${add.error.message}`);
  if (add.status !== 0) throw new NetError(`--net tap:${name}: the TAP does not exist and cannot be created: ${(add.stderr || "").trim()}`);
  spawnSync("ip", ["link", "set", "dev", name, "up"], { stdio: "ignore" });
  let done = false;
  // Also when the CLI exits by another path, or is killed by SIGTERM/SIGHUP (deleted, then the
  // signal is raised again with its default action).
  const onSignal = (sig: NodeJS.Signals): void => { del(); process.kill(process.pid, sig); };
  const del = (): void => {
    if (done) return;
    done = true;
    process.removeListener("exit", del);
    process.removeListener("SIGTERM", onSignal);
    process.removeListener("SIGHUP", onSignal);
    spawnSync("ip", ["link", "del", "dev", name], { stdio: "ignore" });
  };
  process.once("exit", del);
  process.once("SIGTERM", onSignal);
  process.once("SIGHUP", onSignal);
  return del;
}

export class NetDevice {
  readonly data: DeviceData;
  private readonly r: Int32Array;
  private readonly link: Link;
  private readonly cleanup: () => void;
  private pending: Buffer[] = [];
  private paused = false;
  private batch = false;
  private epoch = -1;
  private lastAvail = [0, 0];
  private usedIdx = [0, 0];
  private stopped = false;
  private fatalMsg: string | null = null;
  private fatalHook: ((message: string) => void) | null = null;
  /** Frames delivered to the image, dropped (none posted, PENDING_MAX exceeded, a bad rx chain),
   *  sent to the link, and bad tx chains. */
  readonly counts = { rx: 0, rxDropped: 0, tx: 0, txBad: 0 };

  /** `relay`: build/net/taprelay (tap links only; tools/build/taprelay.ts builds it). */
  constructor(private readonly spec: NetSpec, readonly dev: number, private readonly memory: WebAssembly.Memory,
              private readonly ctl: Int32Array, private readonly err: number, relay?: string) {
    if (dev >= VIRTIO_MAX_DEVICES) throw new NetError(`at most ${VIRTIO_MAX_DEVICES} devices`);
    this.data = { regs: new SharedArrayBuffer(4 * REGS_WORDS) };
    const r = this.r = new Int32Array(this.data.regs);
    r[R_KIND] = NET_ID;
    r[R_NUMMAX] = QUEUE_MAX;
    r[R_NQ] = 2;
    r[R_FEAT0] = F_MAC;
    r[R_FEAT1] = 1;                                                    // VERSION_1
    const cfg = new Uint8Array(this.data.regs, 4 * R_CONFIG, 8);       // mac[6] at config offset 0
    cfg.set(NODE_MAC);
    const onFrame = (f: Buffer): void => this.fromLink(f);
    const report = (s: string): void => this.report(s);
    const fatal = (s: string): void => { if (this.fatalHook) this.fatalHook(s); else this.fatalMsg ??= s; };
    switch (spec.kind) {
      case "stream": this.cleanup = () => {}; this.link = streamLink(spec.path, onFrame, report, fatal); break;
      case "tap": {
        if (!relay) throw new NetError(`--net tap:${spec.name}: no relay built`);
        this.cleanup = tapPrepare(spec.name);
        this.link = tapLink(relay, spec.name, onFrame, fatal);
        break;
      }
      default: throw new NetError("--net user is QEMU's network (aam boot); on Node use --net tap:NAME or stream:PATH");
    }
    serveBells(this.r, () => this.stopped, () => this.serve());
  }

  /** `hook(message)` ends the run when the link fails (at once if it failed already). */
  onFatal(hook: (message: string) => void): void {
    this.fatalHook = hook;
    if (this.fatalMsg !== null) hook(this.fatalMsg);
  }

  /** The system ended: stop serving, close the link once the frames sent so far were written,
   *  then delete a TAP we created. Resolves when that is done. */
  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    Atomics.add(this.r, R_BELL, 1);
    Atomics.notify(this.r, R_BELL);
    return this.link.close().then(() => this.cleanup());
  }

  private report(what: string): void {
    const name = this.spec.kind === "tap" ? `tap:${this.spec.name}` : this.spec.kind === "stream" ? `stream:${this.spec.path}` : "user";
    try { fs.writeSync(this.err, `aam: virtio-net ${name}: ${what}\n`); } catch { /* stderr gone */ }
  }

  // Step 1.
  private fromLink(f: Buffer): void {
    if (this.stopped) return;
    if (f.length < MIN_FRAME || f.length > MAX_FRAME || this.pending.length >= PENDING_MAX) { this.counts.rxDropped++; return; }
    this.pending.push(f);
    if (!this.batch) {                             // one serve for all the frames of a chunk
      this.batch = true;
      queueMicrotask(() => {
        this.batch = false;
        if (this.stopped) return;
        this.serve();
        if (this.pending.length && !this.paused) { this.paused = true; this.link.pause(); }
      });
    }
  }

  // Steps 2–4.
  private serve(): void {
    const r = this.r;
    if (Atomics.load(r, R_EPOCH) !== this.epoch) {                   // the driver reset the device
      this.epoch = Atomics.load(r, R_EPOCH);
      this.lastAvail = [0, 0];
      this.usedIdx = [0, 0];
    }
    if (!(Atomics.load(r, R_STATUS) & 4)) return;                      // DRIVER_OK not yet
    const done = this.transmit() + this.receive();
    if (done) raiseInterrupt(r, this.memory, this.ctl, this.dev);
    if (!this.pending.length && this.paused) { this.paused = false; this.link.resume(); }
  }

  // The chain at `head` as buffers, or a sentence saying why it is bad.
  private chain(q: number, head: number, num: number, desc: number, dv: DataView, size: number, write: boolean): { at: number; len: number }[] | string {
    const segs: { at: number; len: number }[] = [];
    let d = head;
    for (let n = 0; ; n++) {
      if (d >= num) return `queue ${q}: descriptor ${d} is outside the table of ${num}`;
      if (n >= num) return `queue ${q}: the chain at descriptor ${head} loops`;
      const e = desc + 16 * d;
      const at = dv.getUint32(e, true), hi = dv.getUint32(e + 4, true), len = dv.getUint32(e + 8, true), flags = dv.getUint16(e + 12, true);
      if (hi !== 0 || at + len > size) return `queue ${q}: descriptor ${d} points at 0x${(hi * 2 ** 32 + at).toString(16)} + ${len} bytes, outside the image's memory (${size} bytes)`;
      if (((flags & 2) !== 0) !== write) return `queue ${q}: descriptor ${d} is device-${write ? "readable" : "writable"}; ${write ? "receive" : "transmit"} buffers are device-${write ? "writable" : "readable"}`;
      segs.push({ at, len });
      if (!(flags & 1)) return segs;
      d = dv.getUint16(e + 14, true);
    }
  }

  // Returns the next new chain's head on queue q (or -1), advancing lastAvail.
  private nextHead(q: number, avail: number, num: number, u16: Uint16Array): number {
    const availIdx = Atomics.load(u16, (avail + 2) >> 1);
    if (this.lastAvail[q] === availIdx) return -1;
    const head = u16[(avail + 4 + 2 * (this.lastAvail[q] % num)) >> 1];
    this.lastAvail[q] = (this.lastAvail[q] + 1) & 0xffff;
    return head;
  }

  private giveBack(q: number, used: number, num: number, head: number, len: number, u16: Uint16Array, u32: Uint32Array): void {
    const el = used + 4 + 8 * (this.usedIdx[q] % num);
    u32[el >> 2] = head;
    u32[(el + 4) >> 2] = len;
    this.usedIdx[q] = (this.usedIdx[q] + 1) & 0xffff;
    Atomics.store(u16, (used + 2) >> 1, this.usedIdx[q]);
  }

  // Step 2: every new chain of queue 1 to the link. Returns the chains returned.
  private transmit(): number {
    const buf = this.memory.buffer, size = buf.byteLength;
    const rings = queueRings(this.r, 1, size);
    if (typeof rings === "string") { if (rings !== "not ready") this.report(rings); return 0; }
    const { num, desc, avail, used } = rings;
    const u16 = new Uint16Array(buf), u32 = new Uint32Array(buf), u8 = new Uint8Array(buf), dv = new DataView(buf);
    let done = 0;
    this.link.cork();
    for (let head; (head = this.nextHead(1, avail, num, u16)) >= 0;) {
      const segs = this.chain(1, head, num, desc, dv, size, false);
      if (typeof segs === "string") { this.report(`${segs}; the frame is dropped`); this.counts.txBad++; }
      else {
        const total = segs.reduce((n, s) => n + s.len, 0);
        if (total < HDR + MIN_FRAME || total > HDR + MAX_FRAME) {
          this.report(`queue 1: the chain at descriptor ${head} holds ${total} bytes, not a 12-byte header and a frame of ${MIN_FRAME}..${MAX_FRAME}; the frame is dropped`);
          this.counts.txBad++;
        } else {
          const f = Buffer.allocUnsafe(total);
          let k = 0;
          for (const s of segs) { f.set(u8.subarray(s.at, s.at + s.len), k); k += s.len; }
          this.link.send(f.subarray(HDR));
          this.counts.tx++;
        }
      }
      this.giveBack(1, used, num, head, 0, u16, u32);
      done++;
    }
    this.link.uncork();
    return done;
  }

  // Step 3: pending frames into queue 0's new chains. Returns the chains returned.
  private receive(): number {
    if (!this.pending.length) return 0;
    const buf = this.memory.buffer, size = buf.byteLength;
    const rings = queueRings(this.r, 0, size);
    if (typeof rings === "string") { if (rings !== "not ready") this.report(rings); return 0; }
    const { num, desc, avail, used } = rings;
    const u16 = new Uint16Array(buf), u32 = new Uint32Array(buf), u8 = new Uint8Array(buf), dv = new DataView(buf);
    let done = 0;
    while (this.pending.length) {
      const head = this.nextHead(0, avail, num, u16);
      if (head < 0) break;                                             // nothing posted: the frames wait
      const f = this.pending.shift()!;
      const segs = this.chain(0, head, num, desc, dv, size, true);
      let len = 0;
      if (typeof segs === "string") { this.report(`${segs}; a received frame is dropped`); this.counts.rxDropped++; }
      else if (segs.reduce((n, s) => n + s.len, 0) < HDR + f.length) {
        this.report(`queue 0: the chain at descriptor ${head} holds fewer than ${HDR + f.length} bytes (the header and a ${f.length}-byte frame); the frame is dropped`);
        this.counts.rxDropped++;
      } else {
        const whole = Buffer.alloc(HDR + f.length);
        whole.writeUInt16LE(1, 10);                                    // num_buffers = 1
        f.copy(whole, HDR);
        let k = 0;
        for (const s of segs) {
          if (k >= whole.length) break;
          const n = Math.min(s.len, whole.length - k);
          u8.set(whole.subarray(k, k + n), s.at);
          k += n;
        }
        len = whole.length;
        this.counts.rx++;
      }
      this.giveBack(0, used, num, head, len, u16, u32);
      done++;
    }
    return done;
  }
}
