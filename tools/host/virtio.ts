// virtio.ts: the Node host's virtio devices: a virtio-mmio (version 2) register file and a
// virtio-blk device model backed by a disk image file, over the image's shared memory.
//
// Owns: the platform imports dev_find, dev_read, dev_write, dev_addr and dev_route on Node
// (devImports, run in each worker), the register semantics they share (a register file in a
// SharedArrayBuffer per device, guarded by its lock word; R_NQ queues per device, selected with
// QUEUE_SEL: 1 for the block device, 2 for the network device), what every device model shares
// (raiseInterrupt, queueRings), and the block device itself (BlockDevice, in node.ts's main
// thread): it reads the driver's virtqueue from the shared memory, performs each request on the
// file with fs.readSync/writeSync/fsyncSync, returns it in the used ring and delivers the
// interrupt. Not: the network device (net.ts), the drivers (runtime/dev/virtio.ts, aams/block,
// aams/net/nic.ts), the QEMU host's devices (QEMU's own; boot/virtio.c), checking the command
// line's --disk (tools/cli/paths.ts).
//
// The same registers as QEMU's virtio-mmio (runtime/abi.json enum virtio), so the image's driver
// cannot tell the hosts apart. Device protocol, per QUEUE_NOTIFY (the driver's worker adds 1 to
// the BELL word and notifies it; the main thread waits on it with Atomics.waitAsync):
//  1. the device reads avail.idx (Atomics.load) and takes every new chain in order;
//  2. each chain is walked (at most queue-size descriptors: a loop is an error, not a hang),
//     every buffer checked to lie inside the image's memory; a bad chain completes with
//     VIRTIO_BLK_S_IOERR when its status byte can be written, and a line on stderr says what is
//     wrong and where;
//  3. the request runs on the file (out of range, or a write to a read-only disk: IOERR);
//  4. the used element is written, then used.idx (Atomics.store);
//  5. after the batch: INTERRUPT_STATUS |= 1, bit `dev` of the routed core's FC_IRQ_PENDING
//     (Atomics.or) and a wake of that core (its park word, as platform.wake does).

import * as fs from "node:fs";
import { CORE_BASE, CORE_REC_SIZE, FC_IRQ_PENDING, VIRTIO_MAGIC, VIRTIO_VERSION, VIRTIO_DEVICE_ID, VIRTIO_VENDOR_ID,
  VIRTIO_DEVICE_FEATURES, VIRTIO_DEVICE_FEATURES_SEL, VIRTIO_DRIVER_FEATURES, VIRTIO_DRIVER_FEATURES_SEL, VIRTIO_QUEUE_SEL,
  VIRTIO_QUEUE_NUM_MAX, VIRTIO_QUEUE_NUM, VIRTIO_QUEUE_READY, VIRTIO_QUEUE_NOTIFY, VIRTIO_INTERRUPT_STATUS,
  VIRTIO_INTERRUPT_ACK, VIRTIO_STATUS, VIRTIO_QUEUE_DESC_LOW, VIRTIO_QUEUE_AVAIL_LOW, VIRTIO_QUEUE_USED_LOW,
  VIRTIO_CONFIG_GENERATION, VIRTIO_CONFIG, VIRTIO_REGS_SIZE, VIRTIO_STATUS_FEATURES_OK, VIRTIO_MAX_DEVICES } from "./abi";

/** A disk the command line attached (`--disk img` or `--disk img:ro`). */
export interface DiskSpec { path: string; readOnly: boolean }

/** What a worker gets of each device (workerData). */
export interface DeviceData { regs: SharedArrayBuffer }

// The register file (Int32Array over DeviceData.regs), shared by the workers and the main thread.
// R_NQ: the queues the device has (1 block, 2 network); queue q's words are at R_QUEUE + Q_WORDS × q.
export const R_LOCK = 0, R_STATUS = 1, R_QSEL = 2, R_DFSEL = 3, R_DRFSEL = 4, R_DRF0 = 5, R_DRF1 = 6, R_ISR = 7, R_ROUTE = 8,
  R_BELL = 9, R_EPOCH = 10, R_KIND = 11, R_NUMMAX = 12, R_FEAT0 = 13, R_FEAT1 = 14, R_NQ = 15, R_CONFIG = 16, R_QUEUE = 48;
const CONFIG_WORDS = 32;                    // 128 bytes of device configuration
export const Q_NUM = 0, Q_READY = 1, Q_DESC = 2, Q_AVAIL = 4, Q_USED = 6, Q_WORDS = 8;   // words of a queue
export const MAX_QUEUES = 2;
export const REGS_WORDS = R_QUEUE + Q_WORDS * MAX_QUEUES;

/** The first word of the selected queue's registers, or -1 when QUEUE_SEL names no queue. */
function selected(r: Int32Array): number {
  const sel = Atomics.load(r, R_QSEL) >>> 0;
  return sel < Atomics.load(r, R_NQ) ? R_QUEUE + Q_WORDS * sel : -1;
}

const BLK_ID = 2;
const QUEUE_MAX = 256;
const F_RO = 1 << 5, F_BLK_SIZE = 1 << 6, F_FLUSH = 1 << 9;
const T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8;
const S_OK = 0, S_IOERR = 1, S_UNSUPP = 2;
const SECTOR = 512;

// ── the registers (any thread) ──

function locked<T>(r: Int32Array, f: () => T): T {
  while (Atomics.compareExchange(r, R_LOCK, 0, 1) !== 0) { /* a few instructions on the other side */ }
  try { return f(); } finally { Atomics.store(r, R_LOCK, 0); }
}

function readReg(r: Int32Array, off: number): number {
  if (off >= VIRTIO_CONFIG && off < VIRTIO_CONFIG + 4 * CONFIG_WORDS) return Atomics.load(r, R_CONFIG + (off - VIRTIO_CONFIG) / 4);
  const q = selected(r);
  switch (off) {
    case VIRTIO_MAGIC: return 0x74726976;
    case VIRTIO_VERSION: return 2;
    case VIRTIO_DEVICE_ID: return Atomics.load(r, R_KIND);
    case VIRTIO_VENDOR_ID: return 0x554d4551;                       // "QEMU", as QEMU's devices say
    case VIRTIO_DEVICE_FEATURES: return Atomics.load(r, R_DFSEL) === 0 ? Atomics.load(r, R_FEAT0) : Atomics.load(r, R_DFSEL) === 1 ? Atomics.load(r, R_FEAT1) : 0;
    case VIRTIO_QUEUE_NUM_MAX: return q < 0 ? 0 : Atomics.load(r, R_NUMMAX);
    case VIRTIO_QUEUE_READY: return q < 0 ? 0 : Atomics.load(r, q + Q_READY);
    case VIRTIO_INTERRUPT_STATUS: return Atomics.load(r, R_ISR);
    case VIRTIO_STATUS: return Atomics.load(r, R_STATUS);
    case VIRTIO_CONFIG_GENERATION: return 0;
    default: return 0;
  }
}

function writeReg(r: Int32Array, off: number, v: number): void {
  if (off === VIRTIO_QUEUE_NOTIFY) { Atomics.add(r, R_BELL, 1); Atomics.notify(r, R_BELL); return; }
  if (off === VIRTIO_INTERRUPT_ACK) { Atomics.and(r, R_ISR, ~v); return; }
  locked(r, () => {
    const q = selected(r);
    switch (off) {
      case VIRTIO_DEVICE_FEATURES_SEL: Atomics.store(r, R_DFSEL, v); break;
      case VIRTIO_DRIVER_FEATURES_SEL: Atomics.store(r, R_DRFSEL, v); break;
      case VIRTIO_DRIVER_FEATURES: {
        const sel = Atomics.load(r, R_DRFSEL);
        if (sel === 0 || sel === 1) Atomics.store(r, sel ? R_DRF1 : R_DRF0, v);
        break;
      }
      case VIRTIO_QUEUE_SEL: Atomics.store(r, R_QSEL, v); break;
      case VIRTIO_QUEUE_NUM: if (q >= 0 && v > 0 && v <= Atomics.load(r, R_NUMMAX) && (v & (v - 1)) === 0) Atomics.store(r, q + Q_NUM, v); break;
      case VIRTIO_QUEUE_READY: if (q >= 0) Atomics.store(r, q + Q_READY, v & 1); break;
      case VIRTIO_QUEUE_DESC_LOW: case VIRTIO_QUEUE_DESC_LOW + 4: case VIRTIO_QUEUE_AVAIL_LOW: case VIRTIO_QUEUE_AVAIL_LOW + 4:
      case VIRTIO_QUEUE_USED_LOW: case VIRTIO_QUEUE_USED_LOW + 4: {
        const base = off >= VIRTIO_QUEUE_USED_LOW ? Q_USED : off >= VIRTIO_QUEUE_AVAIL_LOW ? Q_AVAIL : Q_DESC;
        if (q >= 0) Atomics.store(r, q + base + ((off & 4) ? 1 : 0), v);
        break;
      }
      case VIRTIO_STATUS:
        if (v === 0) {                                                 // reset
          for (const w of [R_STATUS, R_QSEL, R_DFSEL, R_DRFSEL, R_DRF0, R_DRF1, R_ISR]) Atomics.store(r, w, 0);
          for (let i = R_QUEUE; i < REGS_WORDS; i++) Atomics.store(r, i, 0);
          Atomics.add(r, R_EPOCH, 1);
          break;
        }
        if ((v & VIRTIO_STATUS_FEATURES_OK) && !(Atomics.load(r, R_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
          // FEATURES_OK only for features the device offered, VERSION_1 (bit 32) among them
          const ok = (Atomics.load(r, R_DRF0) & ~Atomics.load(r, R_FEAT0)) === 0 && Atomics.load(r, R_DRF1) === 1;
          if (!ok) v &= ~VIRTIO_STATUS_FEATURES_OK;
        }
        Atomics.store(r, R_STATUS, v);
        break;
    }
  });
}

/** The platform's device imports for one worker (runtime/rt/platform.ts). */
export function devImports(devices: DeviceData[]): Record<string, (...a: number[]) => number | void> {
  const regs = devices.map((d) => new Int32Array(d.regs));
  const valid = (dev: number, off: number): boolean => dev >= 0 && dev < regs.length && off >= 0 && off < VIRTIO_REGS_SIZE && (off & 3) === 0;
  return {
    dev_find(kind: number, index: number): number {
      let k = 0;
      for (let d = 0; d < regs.length; d++) if (Atomics.load(regs[d], R_KIND) === kind && k++ === index) return d;
      return -1;
    },
    dev_read: (dev: number, off: number): number => valid(dev, off) ? readReg(regs[dev], off) | 0 : 0,
    dev_write: (dev: number, off: number, v: number): void => { if (valid(dev, off)) writeReg(regs[dev], off, v | 0); },
    dev_addr: (at: number): number => at >>> 0,
    dev_route: (dev: number, core: number): void => { if (dev >= 0 && dev < regs.length) Atomics.store(regs[dev], R_ROUTE, core + 1); },
  };
}

// ── what every device model does (node.ts's main thread) ──

/** A device model's main loop (main thread): wait for the BELL word to move (a QUEUE_NOTIFY
 *  of any worker, or stop()), then serve every queue; until `stopped()`. */
export function serveBells(r: Int32Array, stopped: () => boolean, serve: () => void): void {
  let seen = 0;
  const loop = (): void => {
    if (stopped()) return;
    const w = Atomics.waitAsync(r, R_BELL, seen);
    const go = (): void => { seen = Atomics.load(r, R_BELL); if (!stopped()) { serve(); loop(); } };
    if (w.async) w.value.then(go); else go();
  };
  loop();
}

/** Step 5: INTERRUPT_STATUS |= 1 (used buffers), then the interrupt, to the core the image
 *  routed device `dev` to: its bit in that core's FC_IRQ_PENDING, and a wake of the core. */
export function raiseInterrupt(r: Int32Array, memory: WebAssembly.Memory, ctl: Int32Array, dev: number): void {
  Atomics.or(r, R_ISR, 1);
  const core = Atomics.load(r, R_ROUTE) - 1;
  if (core < 0) return;                                                // never routed: nothing is delivered (platform.ts)
  const words = new Int32Array(memory.buffer);
  Atomics.or(words, (CORE_BASE + core * CORE_REC_SIZE + FC_IRQ_PENDING) >> 2, 1 << dev);
  Atomics.store(ctl, core, 1);
  Atomics.notify(ctl, core, 1);
}

/** Queue `q`'s rings in image memory of `size` bytes, or a sentence saying why they cannot be
 *  served (outside the memory, misaligned, or the queue is not ready). */
export function queueRings(r: Int32Array, q: number, size: number): { num: number; desc: number; avail: number; used: number } | string {
  const base = R_QUEUE + Q_WORDS * q;
  const num = Atomics.load(r, base + Q_NUM);
  if (!Atomics.load(r, base + Q_READY) || !num) return "not ready";
  const addr = (w: number): number => Atomics.load(r, base + w + 1) !== 0 ? -1 : Atomics.load(r, base + w) >>> 0;
  const desc = addr(Q_DESC), avail = addr(Q_AVAIL), used = addr(Q_USED);
  if (desc < 0 || avail < 0 || used < 0 || desc + 16 * num > size || avail + 6 + 2 * num > size || used + 6 + 8 * num > size || (avail & 1) || (used & 3)) {
    return `queue ${q}'s rings (descriptors 0x${desc.toString(16)}, available 0x${avail.toString(16)}, used 0x${used.toString(16)}, ${num} entries) lie outside the image's memory (${size} bytes) or are misaligned; the queue is not served`;
  }
  return { num, desc, avail, used };
}

// ── the block device (node.ts's main thread) ──

export class DiskError extends Error { name = "DiskError"; }

/** Open and check a disk image: a regular file whose size is a multiple of 512 bytes. */
export function openDisk(spec: DiskSpec): { fd: number; sectors: number } {
  let st: fs.Stats;
  try { st = fs.statSync(spec.path); } catch { throw new DiskError(`--disk ${spec.path}: no such file`); }
  if (!st.isFile()) throw new DiskError(`--disk ${spec.path}: not a regular file (a raw disk image is)`);
  if (st.size % SECTOR !== 0) throw new DiskError(`--disk ${spec.path}: its size, ${st.size} bytes, is not a multiple of ${SECTOR} (the sector size)`);
  if (st.size === 0) throw new DiskError(`--disk ${spec.path}: the file is empty (a disk needs at least one ${SECTOR}-byte sector)`);
  let fd: number;
  try { fd = fs.openSync(spec.path, spec.readOnly ? "r" : "r+"); } catch (e) {
    throw new DiskError(`--disk ${spec.path}: cannot open it ${spec.readOnly ? "for reading" : "for reading and writing (add :ro to attach it read-only)"}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { fd, sectors: st.size / SECTOR };
}

export class BlockDevice {
  readonly data: DeviceData;
  private readonly r: Int32Array;
  private readonly fd: number;
  private readonly sectors: number;
  private epoch = -1;
  private lastAvail = 0;
  private usedIdx = 0;
  private stopped = false;

  constructor(private readonly spec: DiskSpec, readonly dev: number, private readonly memory: WebAssembly.Memory,
              private readonly ctl: Int32Array, private readonly err: number) {
    if (dev >= VIRTIO_MAX_DEVICES) throw new DiskError(`at most ${VIRTIO_MAX_DEVICES} devices`);
    ({ fd: this.fd, sectors: this.sectors } = openDisk(spec));
    this.data = { regs: new SharedArrayBuffer(4 * REGS_WORDS) };
    const r = this.r = new Int32Array(this.data.regs);
    r[R_KIND] = BLK_ID;
    r[R_NUMMAX] = QUEUE_MAX;
    r[R_NQ] = 1;
    r[R_FEAT0] = F_BLK_SIZE | F_FLUSH | (spec.readOnly ? F_RO : 0);
    r[R_FEAT1] = 1;                                                    // VERSION_1
    r[R_CONFIG] = this.sectors % 2 ** 32;                              // capacity, u64, in sectors
    r[R_CONFIG + 1] = Math.floor(this.sectors / 2 ** 32);
    r[R_CONFIG + 5] = SECTOR;                                          // blk_size at 0x14
    serveBells(this.r, () => this.stopped, () => this.serve());
  }

  /** The system ended: stop serving and close the file. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.add(this.r, R_BELL, 1);
    Atomics.notify(this.r, R_BELL);
    try { fs.closeSync(this.fd); } catch { /* closed */ }
  }

  private report(what: string): void {
    try { fs.writeSync(this.err, `aam: virtio-blk ${this.spec.path}: ${what}\n`); } catch { /* stderr gone */ }
  }

  // Steps 1–5 for every chain the driver made available since the last bell.
  private serve(): void {
    const r = this.r;
    if (Atomics.load(r, R_EPOCH) !== this.epoch) { this.epoch = Atomics.load(r, R_EPOCH); this.lastAvail = 0; this.usedIdx = 0; }
    if (!(Atomics.load(r, R_STATUS) & 4)) return;
    const buf = this.memory.buffer;
    const size = buf.byteLength;
    const rings = queueRings(r, 0, size);
    if (typeof rings === "string") { if (rings !== "not ready") this.report(rings); return; }
    const { num, desc, avail, used } = rings;
    const u16 = new Uint16Array(buf), u32 = new Uint32Array(buf), u8 = new Uint8Array(buf), dv = new DataView(buf);
    const availIdx = Atomics.load(u16, (avail + 2) >> 1);
    let done = 0;
    while (this.lastAvail !== availIdx) {
      const head = u16[(avail + 4 + 2 * (this.lastAvail % num)) >> 1];
      this.lastAvail = (this.lastAvail + 1) & 0xffff;
      const len = this.request(head, num, desc, dv, u8, size);
      const el = used + 4 + 8 * (this.usedIdx % num);
      u32[el >> 2] = head;
      u32[(el + 4) >> 2] = len;
      this.usedIdx = (this.usedIdx + 1) & 0xffff;
      Atomics.store(u16, (used + 2) >> 1, this.usedIdx);
      done++;
    }
    if (done) this.interrupt();
  }

  // Step 5.
  private interrupt(): void { raiseInterrupt(this.r, this.memory, this.ctl, this.dev); }

  // Steps 2–3 for the chain at `head`; returns the bytes written into the chain's device-writable
  // buffers (the used element's len).
  private request(head: number, num: number, desc: number, dv: DataView, u8: Uint8Array, size: number): number {
    const segs: { at: number; len: number; write: boolean }[] = [];
    let d = head;
    for (let n = 0; ; n++) {
      if (d >= num) { this.report(`queue 0: descriptor ${d} is outside the table of ${num}; the request is dropped`); return 0; }
      if (n >= num) { this.report(`queue 0: the chain at descriptor ${head} loops; the request is dropped`); return 0; }
      const e = desc + 16 * d;
      const at = dv.getUint32(e, true), hi = dv.getUint32(e + 4, true), len = dv.getUint32(e + 8, true), flags = dv.getUint16(e + 12, true);
      if (hi !== 0 || at + len > size) {
        this.report(`queue 0: descriptor ${d} points at 0x${(hi * 2 ** 32 + at).toString(16)} + ${len} bytes, outside the image's memory (${size} bytes); the request is dropped`);
        return 0;
      }
      segs.push({ at, len, write: (flags & 2) !== 0 });
      if (!(flags & 1)) break;
      d = dv.getUint16(e + 14, true);
    }
    const status = segs[segs.length - 1];
    if (segs.length < 2 || segs[0].write || segs[0].len < 16 || !status.write || status.len < 1) {
      this.report(`queue 0: the chain at descriptor ${head} is not a block request (a 16-byte header the device reads, data, a status byte it writes); the request is dropped`);
      return 0;
    }
    const type = dv.getUint32(segs[0].at, true);
    const sector = dv.getUint32(segs[0].at + 8, true) + dv.getUint32(segs[0].at + 12, true) * 2 ** 32;
    const data = segs.slice(1, -1);
    const bytes = data.reduce((n, s) => n + s.len, 0);
    const finish = (s: number, written: number): number => { u8[status.at] = s; return written + 1; };
    switch (type) {
      case T_IN: case T_OUT: {
        const out = type === T_OUT;
        if (data.some((s) => s.write === out)) return finish(S_IOERR, 0);            // wrong direction
        if (bytes % SECTOR || sector + bytes / SECTOR > this.sectors) return finish(S_IOERR, 0);
        if (out && this.spec.readOnly) return finish(S_IOERR, 0);
        let pos = sector * SECTOR;
        try {
          for (const s of data) {
            let k = 0;
            while (k < s.len) {
              const n = out ? fs.writeSync(this.fd, u8, s.at + k, s.len - k, pos + k) : fs.readSync(this.fd, u8, s.at + k, s.len - k, pos + k);
              if (n <= 0) throw new Error("short transfer");
              k += n;
            }
            pos += s.len;
          }
        } catch (e) {
          this.report(`${out ? "write" : "read"} of ${bytes} bytes at sector ${sector} failed: ${(e as Error).message}`);
          return finish(S_IOERR, 0);
        }
        return finish(S_OK, out ? 0 : bytes);
      }
      case T_FLUSH:
        try { if (!this.spec.readOnly) fs.fsyncSync(this.fd); } catch (e) { this.report(`flush failed: ${(e as Error).message}`); return finish(S_IOERR, 0); }
        return finish(S_OK, 0);
      case T_GET_ID: {
        const id = Buffer.from("aam-node-disk".padEnd(20, "\0"));
        const n = Math.min(20, data[0]?.len ?? 0);
        if (data[0]?.write) u8.set(id.subarray(0, n), data[0].at);
        return finish(S_OK, n);
      }
      default: return finish(S_UNSUPP, 0);
    }
  }
}
