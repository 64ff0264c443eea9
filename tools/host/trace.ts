// trace.ts (host): the hosts' side of tracing. Drains every core's trace ring while the system
// runs (Node), decodes the events of either host into a RawTrace, and prints the flight recorder
// on a trap.
//
// Owns: the consumer half of the ring protocol in shared memory (runtime/sys/trace.ts steps 1 and 3),
// the decoding of the records (full and compact) and the spreading of inexact timestamps for both hosts
// (TraceEvents: the QEMU host, tools/boot/boot.ts, feeds it what the kernel streamed over COM3),
// the names of machines (read from the machine records) and of task functions (the manifest), and
// the flight-recorder text. Not: the output formats (tools/trace), when to drain (node.ts calls
// drain() on a timer and once at the end; on QEMU boot/trace.c decides).
//
// Timestamps: compact records (hot events) have no time of their own (runtime/sys/trace.ts). Each
// run of them is spread evenly between the exact readings before and after it;
// a run with no reading after it yet waits for the next drain (finish() spreads the last run up to
// the time of the final drain).

import type { RawEvent, RawTrace } from "../trace/raw";
import { EVENTS } from "../trace/raw";
import type { ImageManifest } from "./manifest";
import { machineNames, type SystemStats } from "./stats";
import { shortName } from "./symbols";
import {
  CORE_BASE, CORE_REC_SIZE, FC_TRACE_RING, RING_HEAD, RING_LOST, RING_CAP, RING_TAIL, RING_SHADOW, RING_HEADER, TRACE_SLOT,
  TREC_SIZE, TREC_B, TREC_C, TREC_TS, TREC_D, TC_COMPACT, TC_TYPE_SHIFT, TC_TYPE_BITS, TC_CLOSE_SHIFT, TC_CLOSE_BITS,
  TC_A_SHIFT, TC_A_BITS, TC_B_SHIFT, TC_B_BITS, TC_C_SHIFT, TC_C_BITS, TC_C_DROP, TC_CLOSE_END, TC_CLOSE_BLOCK,
} from "./abi";

/** Task traps followed by the flight recorder, on either host (fatal traps: every one). */
export const FLIGHT_TASK_TRAPS = 3;

/** A compact close record of its own (runtime/sys/trace.ts), for a close the core had not written. */
function closeRecord(pending: number): Uint8Array {
  const b = new Uint8Array(TRACE_SLOT);
  b[0] = TC_COMPACT | ((pending === TC_CLOSE_END ? EV.task_end : EV.task_block) << TC_TYPE_SHIFT);
  return b;
}

// Bits [shift, shift + bits) of the little-endian u64 lo | hi << 32, bits ≤ 32 (a compact record).
function bitsOf(lo: number, hi: number, shift: number, bits: number): number {
  const v = shift >= 32 ? hi >>> (shift - 32) : shift + bits <= 32 ? lo >>> shift : (lo >>> shift) | (hi << (32 - shift));
  return bits === 32 ? v >>> 0 : v & ((1 << bits) - 1);
}


// ── decoding (both hosts) ────────────────────────────────────────────────────────────────────
interface CoreEvents { done: RawEvent[]; pending: RawEvent[]; lastExact: number; lost: number; cut: number; open: RawEvent | null }
const EV = Object.fromEntries(EVENTS.events.map((e) => [e.name, e.id])) as Record<string, number>;

// A compact close: the slice this core opened last, closed by `type` (a slice whose opening was
// lost on a full ring has nothing to close: the loss is counted already).
function closeSlice(c: CoreEvents, type: number): void {
  const o = c.open;
  if (!o) return;
  c.pending.push({ ts: c.lastExact, type, a: o.a, b: o.b, c: o.c, d: 0 });
  c.open = null;
}

/** The decoded events of every core: add() them in ring order, finish(), then raw(). */
export class TraceEvents {
  private cores: CoreEvents[];
  private readonly byId = new Map(EVENTS.events.map((e) => [e.id, e]));

  constructor(ncores: number) {
    this.cores = Array.from({ length: ncores }, () => ({ done: [], pending: [], lastExact: 0, lost: 0, cut: 0, open: null }));
  }

  /** A run of whole records (runtime/sys/trace.ts draws both kinds) at `off`, `len` bytes, of core
   *  `core`, in ring order. Returns the bytes consumed (a cut record at the end is left). */
  addSlots(core: number, v: DataView, off: number, len: number): number {
    const c = this.cores[core];
    let at = off;
    const end = off + len;
    while (at + TRACE_SLOT <= end) {
      const lo = v.getUint32(at, true), hi = v.getUint32(at + 4, true);
      if (lo & TC_COMPACT) {
        // A compact record: no time of its own; it takes its place in the run of inexact events
        // that the next exact one closes. Tag bits 5–6: the close of the open slice folded in;
        // a task_end/block of its own has no fields either: both take the open slice's.
        if (c) {
          const close = bitsOf(lo, hi, TC_CLOSE_SHIFT, TC_CLOSE_BITS) << TC_CLOSE_SHIFT, type = bitsOf(lo, hi, TC_TYPE_SHIFT, TC_TYPE_BITS);
          if (close) closeSlice(c, close === TC_CLOSE_END ? EV.task_end : EV.task_block);
          if (type === EV.task_end || type === EV.task_block) closeSlice(c, type);
          else {
            const e: RawEvent = { ts: c.lastExact, type, a: bitsOf(lo, hi, TC_A_SHIFT, TC_A_BITS), b: bitsOf(lo, hi, TC_B_SHIFT, TC_B_BITS),
              c: (bitsOf(lo, hi, TC_C_SHIFT, TC_C_BITS) * 2 ** TC_C_DROP) >>> 0, d: 0 };
            c.pending.push(e);
            c.open = e;
          }
        }
        at += TRACE_SLOT;
        continue;
      }
      if (at + TREC_SIZE > end) break;
      if (c) {
        // TREC_TYPE and TREC_A are the two words read above
        const e: RawEvent = { type: lo, a: hi, b: v.getUint32(at + TREC_B, true), c: v.getUint32(at + TREC_C, true), ts: v.getFloat64(at + TREC_TS, true), d: v.getFloat64(at + TREC_D, true) };
        spread(c, e.ts);                                       // an exact event closes the run before it
        c.done.push(e);
        c.lastExact = e.ts;
        if (e.type === EV.task_begin || e.type === EV.task_resume) c.open = e;
        else if (e.type === EV.task_end || e.type === EV.task_block) c.open = null;
      }
      at += TREC_SIZE;
    }
    return at - off;
  }

  /** The core's count of events dropped on a full ring (a running total). */
  setLost(core: number, n: number): void { if (this.cores[core]) this.cores[core].lost = n; }

  /** A record that came cut (the stream ended inside it): counted as lost too. */
  addCut(core: number): void { if (this.cores[core]) this.cores[core].cut++; }

  /** No more events: the last inexact ones are spread up to `nowNs` at the latest. */
  finish(nowNs: number): void {
    for (const c of this.cores) {
      if (!c.pending.length) continue;
      // at most 1 µs per event after the last reading: the system stopped soon after them
      spread(c, Math.min(nowNs, c.pending[0].ts + 1000 * (c.pending.length + 1)));
    }
  }

  raw(host: "node" | "qemu", machines: Record<number, string>, fnsFull: Record<number, string> | undefined, stats?: RawTrace["stats"]): RawTrace {
    const fns: Record<number, string> = {};
    for (const [k, v] of Object.entries(fnsFull ?? {})) fns[Number(k)] = shortName(v);
    return {
      format: "aam-raw-trace/1", host, cores: this.cores.length, machines, fns,
      perCore: this.cores.map((c, core) => ({ core, lost: c.lost + c.cut, events: c.done.concat(c.pending) })),
      stats,
    };
  }

  /** The flight recorder: the last `n` events of every core, oldest first, as text. Events
   *  after the last clock reading are shown spread up to `nowNs` (copies: the trace keeps them). */
  flightRecorder(n: number, machines: Record<number, string>, fns: Record<number, string>, nowNs: number): string {
    const t0 = Math.min(...this.cores.map((c) => (c.done[0] ?? c.pending[0])?.ts ?? Infinity));
    let out = `aam: flight recorder: the last ${n} trace events of each core (ms since the first event)\n`;
    this.cores.forEach((c, core) => {
      const k = c.pending.length, from = c.pending[0]?.ts ?? 0, to = Math.max(from, Math.min(nowNs, from + 1000 * (k + 1)));
      const all = c.done.concat(c.pending.map((p, i) => ({ ...p, ts: from + ((to - from) * (i + 1)) / (k + 1) })));
      out += `  core ${core}${c.lost ? ` (${c.lost} events lost: ring full)` : ""}:${all.length ? "" : " no events"}\n`;
      for (const e of all.slice(-n)) {
        const ev = this.byId.get(e.type);
        const args = Object.entries(ev?.args ?? {}).map(([slot, name]) => {
          const v = (e as unknown as Record<string, number>)[slot];
          if (name === "machine" || name === "from" || name === "to") return `${name}=${machines[v] ?? v}`;
          if (name === "fn") return `fn=${shortName(fns[v] ?? `#${v}`)}`;
          if (name === "task" || name === "interface") return `${name}=0x${v.toString(16)}`;
          return `${name}=${v}`;
        });
        out += `    ${((e.ts - t0) / 1e6).toFixed(3).padStart(10)}  ${(ev?.name ?? `event#${e.type}`).padEnd(16)} ${args.join(" ")}\n`;
      }
    });
    return out;
  }
}

function spread(c: CoreEvents, until: number): void {
  const n = c.pending.length;
  if (!n) return;
  const from = Math.max(c.lastExact, c.pending[0].ts);
  const to = Math.max(from, until);
  c.pending.forEach((p, i) => { p.ts = from + ((to - from) * (i + 1)) / (n + 1); c.done.push(p); });
  c.pending.length = 0;
}

// ── the Node host's collector ───────────────────────────────────────────────────────────────
/** Drains the rings of a running system on the Node host. A drain is a memcpy of the new bytes
 *  (decoded only when asked), so the host keeps up with a core recording millions of events a
 *  second. */
export class TraceCollector {
  private rings: number[];
  private chunks: Uint8Array[][];
  private readonly events: TraceEvents;

  constructor(private memory: WebAssembly.Memory, private manifest: ImageManifest, ncores: number) {
    if (!manifest.trace) throw new Error("trace: the image was built without --trace");
    this.rings = new Array(ncores).fill(0);
    this.chunks = Array.from({ length: ncores }, () => []);
    this.events = new TraceEvents(ncores);
  }

  /** Step 3 for every core: copy what the cores published since the last drain. `stopped`: the
   *  cores have stopped, copy what they wrote (step 4: SHADOW, and its pending close). */
  drain(stopped = false): void {
    const buf = this.memory.buffer as SharedArrayBuffer;
    const i32 = new Int32Array(buf);
    this.rings.forEach((ring, core) => {
      if (!ring) {
        ring = this.rings[core] = Atomics.load(i32, (CORE_BASE + core * CORE_REC_SIZE + FC_TRACE_RING) >> 2);
        if (!ring) return;                                     // not booted yet
      }
      let head = Atomics.load(i32, (ring + RING_HEAD) >> 2) >>> 0;
      const tail = Atomics.load(i32, (ring + RING_TAIL) >> 2) >>> 0;
      const cap = new DataView(buf).getUint32(ring + RING_CAP, true);
      let pending = 0;
      if (stopped) {
        const written = Atomics.load(i32, (ring + RING_SHADOW) >> 2) >>> 0;
        if (((written - tail) >>> 0) <= cap && ((written - head) >>> 0) <= cap) head = written;   // else: torn, keep HEAD
        pending = Atomics.load(i32, (ring + RING_SHADOW + 4) >> 2) >>> 0;
      }
      const n = (head - tail) >>> 0;
      if (n) {
        const base = ring + RING_HEADER, from = tail & (cap - 1), first = Math.min(n, cap - from);
        this.chunks[core].push(new Uint8Array(buf, base + from * TRACE_SLOT, first * TRACE_SLOT).slice());
        if (n > first) this.chunks[core].push(new Uint8Array(buf, base, (n - first) * TRACE_SLOT).slice());
        Atomics.store(i32, (ring + RING_TAIL) >> 2, head | 0);
      }
      if (pending === TC_CLOSE_END || pending === TC_CLOSE_BLOCK) this.chunks[core].push(closeRecord(pending));
      this.events.setLost(core, Atomics.load(i32, (ring + RING_LOST) >> 2) >>> 0);
    });
  }

  // Every drain ends on a record boundary (HEAD is published after whole records), but a record may
  // straddle the ring's end, i.e. two chunks: the chunks since the last decode are joined first.
  private decode(): void {
    this.chunks.forEach((list, core) => {
      if (!list.length) return;
      const all = list.length === 1 ? list[0] : Buffer.concat(list);
      const used = this.events.addSlots(core, new DataView(all.buffer, all.byteOffset, all.byteLength), 0, all.byteLength);
      list.length = 0;
      if (used < all.byteLength) list.push(all.slice(used));     // a cut record: its rest comes with the next drain
    });
  }

  /** Final drain, once every core has stopped. */
  finish(nowNs: number): void {
    this.drain(true);
    this.decode();
    this.chunks.forEach((list, core) => { if (list.length) this.events.addCut(core); list.length = 0; });
    this.events.finish(nowNs);
  }

  /** Machine id → name, from the machine records in shared memory. */
  machines(): Record<number, string> { return machineNames(this.memory.buffer); }

  raw(stats?: RawTrace["stats"]): RawTrace {
    this.decode();
    const names = stats ? namesOf(stats) : this.machines();      // the counters have read them already
    return this.events.raw("node", names, this.manifest.fns, stats);
  }

  /** The flight recorder: the last `n` events of every core, oldest first, as text. `drain`:
   *  first copy what the cores published (false: after finish(), which took everything). */
  flightRecorder(n = 12, drain = true): string {
    if (drain) this.drain();                                      // else: after finish()
    this.decode();
    return this.events.flightRecorder(n, this.machines(), this.manifest.fns ?? {}, performance.now() * 1e6);
  }
}

/** Machine id → name from the counters (0: "idle"). */
export function namesOf(stats: NonNullable<RawTrace["stats"]>): Record<number, string> {
  return { 0: "idle", ...Object.fromEntries(stats.machines.map((m) => [m.id, m.name])) };
}

/** The counters a RawTrace carries, from the --stats tables (stats.ts readStats). */
export function rawStats(s: SystemStats): NonNullable<RawTrace["stats"]> {
  return {
    tasksRun: s.cores.reduce((n, c) => n + c.tasksRun, 0),
    machines: s.machines.map((m) => ({ id: m.id, name: m.name, tasksRun: m.tasksRun, callsIn: m.callsIn, imsSent: m.imsSent,
      imsRecv: m.imsRecv, grants: m.grants, revokes: m.revokes, switchesIn: m.switchesIn })),
  };
}
