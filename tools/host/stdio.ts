// stdio.ts: the program's standard input on the Node host, one channel shared by every core.
//
// Owns: the stdin channel (a SharedArrayBuffer, host-only, not in wasm memory), the main thread's
// pump that reads the process's fd 0 on demand (StdinPump), and a core's read from it
// (stdinRead, called by worker.ts for WASI fd_read on fd 0).
// Not: standard output (worker.ts writes fd 1 itself, synchronously); the image's side
// (runtime/sys/stdio.ts).
//
// Why the main thread reads and not the cores: a core blocked in a synchronous read(2) cannot be
// stopped (worker.terminate() waits for the system call), so a program whose main returns while
// another task waits for a terminal or a silent pipe would hang the host. A core blocked in
// Atomics.wait is stopped by node.ts's end protocol. The main thread reads with fs.read (libuv's
// thread pool): fd 0 is never switched to non-blocking mode, which would change it for every
// process sharing it, and a pending read does not keep the CLI from exiting.
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
  constructor(private ch: SharedArrayBuffer, private fd = 0) {
    this.w = new Int32Array(ch, 0, DATA / 4);
    void this.loop();
  }
  stop(): void {
    this.stopped = true;
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
  // One read(2); EAGAIN (fd 0 made non-blocking by whoever shares it) is retried after 2 ms.
  private read(): Promise<{ n: number; errno: number }> {
    return new Promise((resolve) => {
      const go = (): void => fs.read(this.fd, this.buf, 0, DATA_MAX, null, (e, n) => {
        if (!e) return resolve({ n, errno: 0 });
        if (e.code === "EAGAIN" && !this.stopped) return void setTimeout(go, 2);
        resolve({ n: 0, errno: e.code === "EBADF" ? E_BADF : e.code === "EISDIR" ? E_ISDIR : e.code === "EINVAL" ? E_INVAL : E_IO });
      });
      go();
    });
  }
}
