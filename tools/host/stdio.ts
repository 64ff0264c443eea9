// stdio.ts: the program's standard input on the Node host, one channel shared by every core.
//
// Owns: the stdin channel (a SharedArrayBuffer, host-only, not in wasm memory), the main thread's
// pump that reads the process's fd 0 on demand (StdinPump), a core's read from it (stdinRead,
// called by worker.ts for WASI fd_read on fd 0), and reading the process's stdin without blocking
// its exit (StdinSource, also used by tools/boot/boot.ts for the QEMU guest's stdin).
// Not: standard output (worker.ts writes fd 1 itself, synchronously); the image's side
// (runtime/sys/stdio.ts).
//
// Why the main thread reads and not the cores: a core blocked in a synchronous read(2) cannot be
// stopped (worker.terminate() waits for the system call), so a program whose main returns while
// another task waits for a terminal or a silent pipe would hang the host. A core blocked in
// Atomics.wait is stopped by node.ts's end protocol. The main thread reads a pipe, socket or
// terminal through process.stdin (libuv polls it; Node puts fd 0's flags back at exit), and a
// file with fs.read: a read(2) in libuv's thread pool on a pipe that stays silent would hold up
// the process's exit (libuv joins its threads at exit), a file read always ends.
//
// ┌─────────── channel: Int32 words, then DATA_MAX bytes at DATA ───────────┐
//  [LOCK]   0 free, 1 a core is reading: cmpxchg; the others wait on it
//  [ASK]    1 the reading core wants more input; the pump waits (waitAsync) and clears it
//  [STATE]  0 open, 1 end of input, 2 error ERRNO (both stay: later reads see them again)
//  [ERRNO]  WASI errno of the error
//  [OFF]    first unread byte of DATA          ┐ written by the pump only while AVAIL = 0,
//  [AVAIL]  unread bytes at DATA + OFF         ┘ then by the core holding LOCK
//  [FILLS]  answers of the pump: a waiting core sleeps on it (and node.ts's end bumps it)
// └──────────────────────────────────────────────────────────────────────────┘
// Protocol (a core, in stdinRead): 1. take LOCK. 2. AVAIL > 0: copy, advance, go to 5. 3. STATE
// set: 0 or −ERRNO, go to 5. 4. note FILLS, store ASK = 1 and notify it, wait until FILLS moves
// (checking STOP), go to 2. 5. release LOCK, notify one waiter.
// The pump: wait for ASK = 1; clear it; one fs.read of at most DATA_MAX bytes; store OFF = 0 and
// AVAIL (or STATE); add 1 to FILLS and notify. It reads only when a core asked: a program that
// never reads its stdin leaves it untouched, and read-ahead is at most one read(2) of DATA_MAX.

import * as fs from "node:fs";
import * as tty from "node:tty";

const LOCK = 0, ASK = 1, STATE = 2, ERRNO = 3, OFF = 4, AVAIL = 5, FILLS = 6;
const DATA = 64, DATA_MAX = 65536;
const END = 1, ERROR = 2;                                    // STATE; 0 is open
const E_BADF = 8, E_INVAL = 28, E_IO = 29, E_ISDIR = 31;   // WASI errno

export function stdinChannel(): SharedArrayBuffer { return new SharedArrayBuffer(DATA + DATA_MAX); }

/** node.ts's end protocol, step 2: wake every core waiting for input, so that it sees STOP. */
export function stdinWakeAll(ch: SharedArrayBuffer): void {
  const w = new Int32Array(ch, 0, DATA / 4);
  Atomics.add(w, FILLS, 1);
  Atomics.notify(w, FILLS);
  Atomics.notify(w, LOCK);
}

/** A core reads up to dst.length bytes (worker.ts, fd_read of fd 0): count, 0 at the end, or
 *  −errno. `stop()` throws when the system ends (worker.ts stopIfEnding). */
export function stdinRead(ch: SharedArrayBuffer, dst: Uint8Array, stop: () => void): number {
  const w = new Int32Array(ch, 0, DATA / 4);
  while (Atomics.compareExchange(w, LOCK, 0, 1) !== 0) { Atomics.wait(w, LOCK, 1, 100); stop(); }   // step 1
  try {
    for (;;) {
      const avail = w[AVAIL];
      if (avail > 0) {                                                    // step 2
        const n = Math.min(avail, dst.length), off = w[OFF];
        dst.set(new Uint8Array(ch, DATA + off, n));
        w[OFF] = off + n;
        w[AVAIL] = avail - n;
        return n;
      }
      const st = Atomics.load(w, STATE);                                  // step 3
      if (st === END) return 0;
      if (st === ERROR) return -w[ERRNO];
      const fills = Atomics.load(w, FILLS);                               // step 4
      Atomics.store(w, ASK, 1);
      Atomics.notify(w, ASK);
      while (Atomics.load(w, FILLS) === fills) { Atomics.wait(w, FILLS, fills, 100); stop(); }
    }
  } finally {
    Atomics.store(w, LOCK, 0);                                            // step 5
    Atomics.notify(w, LOCK, 1);
  }
}

/** The main thread's side: answers the cores' asks by reading `fd` (the process's stdin). */
export class StdinPump {
  private w: Int32Array;
  private stopped = false;
  private buf = Buffer.alloc(DATA_MAX);
  private src: StdinSource;
  constructor(private ch: SharedArrayBuffer, fd = 0) {
    this.w = new Int32Array(ch, 0, DATA / 4);
    this.src = new StdinSource(fd);
    void this.loop();
  }
  stop(): void {
    this.stopped = true;
    this.src.close();
    Atomics.store(this.w, ASK, 1);                 // ends the waitAsync below
    Atomics.notify(this.w, ASK);
  }
  private async loop(): Promise<void> {
    const w = this.w;
    while (!this.stopped) {
      const r = Atomics.waitAsync(w, ASK, 0);
      if (r.async) await r.value;
      if (this.stopped) return;
      Atomics.store(w, ASK, 0);
      const { n, errno } = await this.read();
      if (this.stopped) return;
      if (errno) { w[ERRNO] = errno; Atomics.store(w, STATE, ERROR); }
      else if (n === 0) Atomics.store(w, STATE, END);
      else {
        new Uint8Array(this.ch, DATA, n).set(this.buf.subarray(0, n));
        w[OFF] = 0;
        Atomics.store(w, AVAIL, n);
      }
      Atomics.add(w, FILLS, 1);
      Atomics.notify(w, FILLS);
    }
  }
  private read(): Promise<{ n: number; errno: number }> { return this.src.read(this.buf); }
}

/** The process's stdin (or another fd), read piece by piece on demand: `read` fills at most
 *  buf.length bytes and resolves with the count (0 at the end) or a WASI errno. */
export class StdinSource {
  private stream: NodeJS.ReadStream | null = null;
  private ended = false;
  constructor(private fd = 0) {
    // a pipe, socket or terminal is read through the stream: it can stay silent forever
    if (fd === 0 && ["PIPE", "TCP", "TTY"].includes(handleType(0))) this.stream = process.stdin;
  }
  read(buf: Buffer): Promise<{ n: number; errno: number }> {
    return this.stream ? this.readStream(this.stream, buf) : this.readFile(buf);
  }
  /** No more reads: the stream stops reading (so the process may exit by itself). */
  close(): void {
    if (this.stream && !this.ended) this.stream.destroy();
    this.stream = null;
  }
  private readFile(buf: Buffer): Promise<{ n: number; errno: number }> {
    return new Promise((resolve) => {
      const go = (): void => fs.read(this.fd, buf, 0, buf.length, null, (e, n) => {
        if (!e) return resolve({ n, errno: 0 });
        if (e.code === "EAGAIN") return void setTimeout(go, 2);   // made non-blocking by whoever shares it
        resolve({ n: 0, errno: errnoOf(e) });
      });
      go();
    });
  }
  private readStream(s: NodeJS.ReadStream, buf: Buffer): Promise<{ n: number; errno: number }> {
    return new Promise((resolve) => {
      const done = (n: number, errno: number): void => {
        s.off("readable", take); s.off("end", end); s.off("error", fail);
        resolve({ n, errno });
      };
      const take = (): void => {
        const b = s.read() as Buffer | null;
        if (!b) return;
        if (b.length > buf.length) s.unshift(b.subarray(buf.length));
        const n = Math.min(b.length, buf.length);
        b.copy(buf, 0, 0, n);
        done(n, 0);
      };
      const end = (): void => { this.ended = true; done(0, 0); };
      const fail = (e: NodeJS.ErrnoException): void => { this.ended = true; done(0, errnoOf(e)); };
      if (this.ended || s.readableEnded) return done(0, 0);
      s.on("readable", take); s.on("end", end); s.on("error", fail);
      take();
    });
  }
}

function errnoOf(e: NodeJS.ErrnoException): number {
  return e.code === "EBADF" ? E_BADF : e.code === "EISDIR" ? E_ISDIR : e.code === "EINVAL" ? E_INVAL : E_IO;
}

// What process.stdin would be made of: a pipe, a socket, a terminal, or a file (a regular file
// or another device, /dev/null among them), which never keeps a read waiting.
function handleType(fd: number): string {
  if (tty.isatty(fd)) return "TTY";
  try {
    const st = fs.fstatSync(fd);
    return st.isFIFO() ? "PIPE" : st.isSocket() ? "TCP" : "FILE";
  } catch { return "FILE"; }              // no fd 0: the read says EBADF
}
