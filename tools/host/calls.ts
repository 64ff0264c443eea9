// calls.ts: the Node host's side of host → machine calls (the protocol, steps 1–9, is in
// runtime/service/host.ts; the mailbox and slot layouts in runtime/abi.json).
//
// Owns: the JS queue of calls waiting for a mailbox slot, filling slots, ringing the doorbell and
// waking cores, waiting for finished slots (Atomics.waitAsync on the HOST control word, so the
// main thread never blocks), decoding results and errors, rejecting every call still pending
// when the system ends. Not: the system's lifetime (node.ts), the image's side (runtime/service/host.ts).

export interface HostCall {
  machine: string; hash: bigint; slot: number; ordinal: number;
  record: Uint8Array;          // recordSize bytes: request filled, result area zero; pointer fields are written by the image
  buffers: { field: number; data: Uint8Array; dir: "in" | "out" | "inout" }[];
}
export interface HostCallResult {
  record: Uint8Array;          // the record after the call (result area filled; pointer fields as sent)
  buffers: Uint8Array[];       // per buffer: its bytes after the call (in: the bytes sent)
  value: bigint;               // the call's future value (0 for an igen call that succeeded)
}

import {
  FW_HOST_MAILBOX, FW_HOST_BELL, FW_HOST_SEEN, MB_NSLOTS, MB_DATA, MB_STOP, MB_STOP_CODE, MB_HEADER,
  SLOT_STATE, SLOT_SEQ, SLOT_HASH, SLOT_METHOD, SLOT_ORDINAL, SLOT_RECORD_SIZE, SLOT_NBUF, SLOT_NAME_LEN, SLOT_STATUS, SLOT_ERR_LEN, SLOT_DATA_LEN,
  SLOT_VALUE, SLOT_NAME, SLOT_BUFS, SLOT_HEADER, SLOT_MAX_NAME, SLOT_MAX_BUFS, SLOT_BUF_ENTRY, SLOT_BUF_FIELD, SLOT_BUF_OFFSET,
  SLOT_FREE, SLOT_FILLED, SLOT_DONE, CALL_OK, CALL_REFUSED, CALL_TRAPPED, CALL_NO_MACHINE, CALL_FAILED, CTL_HOST,
} from "./abi";

interface Pending {
  req: HostCall;
  what: string;                // "host call M slot S", the prefix of its errors
  offs: number[];              // where each buffer starts in the slot's data
  len: number;                 // bytes of data (record and buffers, each padded to 8)
  seq: number;
  resolve: (r: HostCallResult) => void;
  reject: (e: Error) => void;
}

const align8 = (n: number): number => (n + 7) & ~7;

export class HostPort {
  private mb = 0;                                    // mailbox address, 0 until published
  private nslots = 0;
  private dataBytes = 0;
  private stride = 0;
  private free: number[] = [];
  private inflight = new Map<number, Pending>();
  private queue: Pending[] = [];
  private stopCode: number | null = null;
  private ended: string | null = null;               // why calls fail now that the system ended
  private listening = false;
  private seq = 0;

  constructor(private memory: WebAssembly.Memory, private ctl: Int32Array, private cores: number) {}

  call(req: HostCall): Promise<HostCallResult> {
    return new Promise<HostCallResult>((resolve, reject) => {
      const what = `host call ${req?.machine} slot ${req?.slot}`;
      if (this.ended !== null) return reject(new Error(`${what}: ${this.ended}`));
      if (this.stopCode !== null) return reject(new Error(`${what}: the system is stopping (stop() was called)`));
      const bad = checkCall(req);
      if (bad) return reject(new Error(`${what}: ${bad}`));
      const offs: number[] = [];
      let len = align8(req.record.length);
      for (const b of req.buffers) { offs.push(len); len += align8(b.data.length); }
      const p: Pending = { req, what, offs, len, seq: ++this.seq, resolve, reject };
      if (this.mb && this.tooBig(p)) return;
      this.queue.push(p);                            // step 2: queued in JS until a slot is free
      this.pump();
      this.listen();
    });
  }

  /** Step 8: ask hostServe to return `code`. Calls not yet in a slot are refused now. */
  stop(code: number): void {
    if (this.stopCode !== null || this.ended !== null) return;
    this.stopCode = code | 0;
    for (const p of this.queue.splice(0)) p.reject(new Error(`${p.what}: the system is stopping (stop() was called before the call reached the image)`));
    if (this.mb) this.sendStop(); else this.listen();
  }

  /** The system ended: every pending call fails; the waiting loop ends. */
  end(code: number): void {
    if (this.ended !== null) return;
    this.ended = `the system stopped (status ${code}) before the call completed`;
    for (const p of [...this.queue.splice(0), ...this.inflight.values()]) p.reject(new Error(`${p.what}: ${this.ended}`));
    this.inflight.clear();
    Atomics.add(this.ctl, this.cores + CTL_HOST, 1);
    Atomics.notify(this.ctl, this.cores + CTL_HOST);
  }

  private tooBig(p: Pending): boolean {
    if (p.len <= this.dataBytes) return false;
    p.reject(new Error(`${p.what}: ${p.len} bytes do not fit a ${this.dataBytes}-byte mailbox slot`));
    return true;
  }

  // Step 7's host half (and step 1): wait for the HOST word to move while anything is pending.
  private async listen(): Promise<void> {
    if (this.listening) return;
    this.listening = true;
    try {
      const waitAsync = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: Promise<string> | string } }).waitAsync;
      while (this.ended === null) {
        const v = Atomics.load(this.ctl, this.cores + CTL_HOST);
        this.poll();
        const waiting = this.mb ? this.inflight.size > 0 : this.queue.length > 0 || this.stopCode !== null;
        if (!waiting || this.ended !== null) break;
        const r = waitAsync(this.ctl, this.cores + CTL_HOST, v, 1000);
        if (r.async) await r.value;
      }
    } catch (e) {                                    // a host bug: fail what waits, loudly
      const err = new Error(`host calls: ${(e as Error).message}`);
      for (const p of [...this.queue.splice(0), ...this.inflight.values()]) p.reject(err);
      this.inflight.clear();
    } finally {
      this.listening = false;
    }
  }

  private poll(): void {
    if (!this.mb) {
      const mb = Atomics.load(new Int32Array(this.memory.buffer), FW_HOST_MAILBOX >> 2) >>> 0;
      if (!mb) return;
      const dv = new DataView(this.memory.buffer);
      this.nslots = dv.getUint32(mb + MB_NSLOTS, true);
      this.dataBytes = dv.getUint32(mb + MB_DATA, true);
      this.stride = SLOT_HEADER + this.dataBytes;
      for (let i = this.nslots - 1; i >= 0; i--) this.free.push(i);
      this.mb = mb;
      this.queue = this.queue.filter((p) => !this.tooBig(p));
      if (this.stopCode !== null) this.sendStop();
    }
    if (this.inflight.size) {
      const i32 = new Int32Array(this.memory.buffer);
      for (const [i, p] of this.inflight) {
        const base = this.slotAddr(i);
        if (Atomics.load(i32, (base + SLOT_STATE) >> 2) !== SLOT_DONE) continue;
        this.collect(base, p);
        Atomics.store(i32, (base + SLOT_STATE) >> 2, SLOT_FREE);
        this.inflight.delete(i);
        this.free.push(i);
      }
    }
    this.pump();
  }

  private slotAddr(i: number): number { return this.mb + MB_HEADER + i * this.stride; }

  // Step 2 for as many queued calls as there are free slots, then one ring (step 3).
  private pump(): void {
    if (!this.mb || this.stopCode !== null) return;
    let filled = 0;
    while (this.queue.length && this.free.length) {
      const p = this.queue.shift()!;
      const i = this.free.pop()!;
      this.fill(this.slotAddr(i), p);
      this.inflight.set(i, p);
      filled++;
    }
    if (filled) this.ring();
  }

  private fill(base: number, p: Pending): void {
    const { req } = p;
    const u8 = new Uint8Array(this.memory.buffer);
    const dv = new DataView(this.memory.buffer);
    dv.setUint32(base + SLOT_SEQ, p.seq, true);
    dv.setBigUint64(base + SLOT_HASH, BigInt.asUintN(64, req.hash), true);
    dv.setUint32(base + SLOT_METHOD, req.slot, true);
    dv.setUint32(base + SLOT_ORDINAL, req.ordinal, true);
    dv.setUint32(base + SLOT_RECORD_SIZE, req.record.length, true);
    dv.setUint32(base + SLOT_NBUF, req.buffers.length, true);
    for (let k = 0; k < req.machine.length; k++) dv.setUint16(base + SLOT_NAME + 2 * k, req.machine.charCodeAt(k), true);
    dv.setUint32(base + SLOT_NAME_LEN, 2 * req.machine.length, true);
    dv.setUint32(base + SLOT_STATUS, 0, true);
    dv.setUint32(base + SLOT_ERR_LEN, 0, true);
    dv.setUint32(base + SLOT_DATA_LEN, p.len, true);
    const data = base + SLOT_HEADER;
    u8.set(req.record, data);
    req.buffers.forEach((b, k) => {
      dv.setUint32(base + SLOT_BUFS + SLOT_BUF_ENTRY * k + SLOT_BUF_FIELD, b.field, true);
      dv.setUint32(base + SLOT_BUFS + SLOT_BUF_ENTRY * k + SLOT_BUF_OFFSET, p.offs[k], true);
      u8.set(b.data, data + p.offs[k]);
    });
    Atomics.store(new Int32Array(this.memory.buffer), (base + SLOT_STATE) >> 2, SLOT_FILLED);
  }

  private ring(): void {
    const i32 = new Int32Array(this.memory.buffer);
    const old = Atomics.add(i32, FW_HOST_BELL >> 2, 1);
    if (old !== Atomics.load(i32, FW_HOST_SEEN >> 2)) return;      // a ring is outstanding: cores are awake
    for (let c = 0; c < this.cores; c++) { Atomics.store(this.ctl, c, 1); Atomics.notify(this.ctl, c, 1); }
  }

  private sendStop(): void {
    const i32 = new Int32Array(this.memory.buffer);
    new DataView(this.memory.buffer).setInt32(this.mb + MB_STOP_CODE, this.stopCode!, true);
    Atomics.store(i32, (this.mb + MB_STOP) >> 2, 1);
    this.ring();
  }

  private collect(base: number, p: Pending): void {
    const dv = new DataView(this.memory.buffer);
    const u8 = new Uint8Array(this.memory.buffer);
    const data = base + SLOT_HEADER;
    const status = dv.getUint32(base + SLOT_STATUS, true);
    if (status === CALL_NO_MACHINE) return p.reject(new Error(`host call: no machine named '${p.req.machine}'`));
    if (status === CALL_TRAPPED) return p.reject(new Error(`${p.what}: the handler trapped (the trap report is on stderr)`));
    if (status === CALL_REFUSED || status === CALL_FAILED) {   // the call's own message
      const n = dv.getUint32(base + SLOT_ERR_LEN, true);
      return p.reject(new Error(Buffer.from(u8.slice(data, data + n)).toString("utf16le")));
    }
    if (status !== CALL_OK) return p.reject(new Error(`${p.what}: unknown slot status ${status}`));
    const { req } = p;
    const record = u8.slice(data, data + req.record.length);
    for (const b of req.buffers) record.set(req.record.subarray(b.field, b.field + 4), b.field);
    const buffers = req.buffers.map((b, k) => b.dir === "in" ? b.data : u8.slice(data + p.offs[k], data + p.offs[k] + b.data.length));
    p.resolve({ record, buffers, value: dv.getBigUint64(base + SLOT_VALUE, true) });
  }
}

// Refusals the host can decide alone (the image decides unknown machines and hashes).
function checkCall(req: HostCall): string {
  if (!req || typeof req.machine !== "string" || !req.machine.length) return "no machine name";
  if (req.machine.length > SLOT_MAX_NAME) return `machine name longer than ${SLOT_MAX_NAME} characters`;
  if (typeof req.hash !== "bigint" || req.hash < 0n || req.hash >= 1n << 64n) return "hash must be a bigint in 0 .. 2^64-1";
  if (!Number.isInteger(req.slot) || req.slot < 0 || req.slot > 0xffff) return "slot must be an integer in 0 .. 65535";
  if (!Number.isInteger(req.ordinal) || req.ordinal < 0 || req.ordinal > 0xffffffff) return "ordinal must be a u32";
  if (!(req.record instanceof Uint8Array)) return "record must be a Uint8Array";
  if (!Array.isArray(req.buffers) || req.buffers.length > SLOT_MAX_BUFS) return `at most ${SLOT_MAX_BUFS} buffers`;
  const seen = new Set<number>();
  for (const b of req.buffers) {
    if (!(b?.data instanceof Uint8Array)) return "a buffer's data must be a Uint8Array";
    if (b.dir !== "in" && b.dir !== "out" && b.dir !== "inout") return `buffer direction '${b.dir}' (in, out or inout)`;
    if (!Number.isInteger(b.field) || b.field < 0 || b.field % 4 || b.field + 4 > req.record.length) {
      return `pointer field at ${b.field} is not a 4-aligned u32 inside the ${req.record.length}-byte record`;
    }
    if (seen.has(b.field)) return `two buffers for the pointer field at ${b.field}`;
    seen.add(b.field);
  }
  return "";
}
