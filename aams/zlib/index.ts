// index.ts: the zlib machine for programs: declaring it, and streaming data through it.
//
// Owns: `zlibMachine()` (the machine "zlib": kernel-level, one core, served by the foreign module
// built from foreign.json), and `ZStream`, a stream of one client over the generated client
// (zlib_igen_client.ts) that pushes chunks and hands every piece of output to a callback.
// Not: zlib (zlib_glue.c over the pinned sources, in the module's own memory), the checks and
// copies of each call (the kernel: runtime/machine/validate.ts, runtime/service/foreign.ts).
//
//   export function machines(): void { zlibMachine(); }
//   let z = ZStream.open(ZLIB_DEFLATE, ZLIB_FORMAT_GZIP, 6);      // null + ZStream.lastError
//   z.push(buf, n, false, sink); … z.push(0, 0, true, sink);       // false: the call failed (z.error)
//   z.close();
// A failed call (corrupt or truncated input, a bad level) leaves the machine serving; the
// stream's `error` is zlib's message ("zlib.push: inflate: incorrect header check").

import { defineMachine, Machine, heapAlloc, heapFree } from "aam";

// @ts-ignore: decorator
@inline const OBJ_HEADER: usize = 16;        // asc's object header in front of a string or an object
import { connectZlib, ZlibClient, ZlibProgress, ZlibCounts } from "./zlib_igen_client";
import { offerZlibForeign } from "./zlib_igen_server";

export { ZlibClient, ZlibCounts, connectZlib } from "./zlib_igen_client";

// The IDL's #defines (zlib.idl; igen generates no constants): tests/aams/zlib.test.mjs checks
// that these match the generated header.
export const ZLIB_DEFLATE: i32 = 0;
export const ZLIB_INFLATE: i32 = 1;
export const ZLIB_FORMAT_ZLIB: i32 = 0;
export const ZLIB_FORMAT_GZIP: i32 = 1;
export const ZLIB_FORMAT_RAW: i32 = 2;
export const ZLIB_NO_FLUSH: i32 = 0;
export const ZLIB_SYNC_FLUSH: i32 = 2;
export const ZLIB_FINISH: i32 = 4;

/** Declares the machine "zlib" (call from machines()). */
export function zlibMachine(): Machine {
  return offerZlibForeign(defineMachine("zlib", { kernel: true, maxCores: 1 }));
}

/** Receives each piece of output: `n` bytes at `p` (valid during the call). */
export type ZSink = (p: usize, n: i32, arg: u64) => void;

// @ts-ignore: decorator
@inline const CHUNK: u32 = 262144;
// @ts-ignore: decorator
@inline const Z_STREAM_END: i32 = 1;

// Errors are copies the stream owns (a call's error is freed with the call): freed when replaced
// and by close().
// The message of the last failed open, owned here: in static data, not a module-level let (those
// are per core, and the task that reads it may have moved to another core since).
const LAST_ERROR = memory.data(4);
function lastError(): string { let p = load<u32>(LAST_ERROR); return p ? changetype<string>(p) : ""; }

function own(old: string, msg: string): string {
  if (old.length) heapFree(changetype<usize>(old) - OBJ_HEADER);
  return msg.length ? msg.slice(0) : "";
}

// One connection per core (module-level lets are per core) for streams opened without a client:
// interfaces are never disconnected, so a connect per stream would keep one interface each.
let connected: ZlibClient | null = null;
function defaultClient(): ZlibClient {
  if (!connected) connected = connectZlib();
  return connected!;
}

/** One stream through the zlib machine, for the task that opened it (and its successors). */
export class ZStream {
  client: ZlibClient;
  handle: i32 = 0;
  out: usize = 0;
  progress: ZlibProgress;
  ended: bool = false;
  /** Why the last call failed ("" if none): zlib's message. */
  error: string = "";

  constructor(client: ZlibClient, handle: i32) {
    this.client = client;
    this.handle = handle;
    this.out = heapAlloc(CHUNK);
    this.progress = ZlibProgress.alloc();
  }

  /** Why the last open failed. */
  static get lastError(): string { return lastError(); }

  /** A new stream (mode ZLIB_DEFLATE/ZLIB_INFLATE, format ZLIB_FORMAT_*, level -1 or 0..9), or
   *  null if the machine refused it (ZStream.lastError says why). */
  static open(mode: i32, format: i32, level: i32, client: ZlibClient | null = null): ZStream | null {
    let c = client ? client : defaultClient();
    let call = c.open(mode, format, level);
    call.wait();
    if (call.failed) { store<u32>(LAST_ERROR, changetype<u32>(own(lastError(), call.error))); call.release(); return null; }
    let h = call.result;
    call.release();
    return new ZStream(c, h);
  }

  /** Feeds `n` bytes at `src` (last: no more input after these) and gives every piece of output
   *  to `sink`. False if a call failed (this.error says why). */
  push(src: usize, n: u32, last: bool, sink: ZSink, arg: u64 = 0): bool {
    let off: u32 = 0;
    let flush = last ? ZLIB_FINISH : ZLIB_NO_FLUSH;
    while (true) {
      let call = this.client.push(this.handle, src + off, n - off, this.out, CHUNK, flush, this.progress);
      call.wait();
      if (call.failed) { this.error = own(this.error, call.error); call.release(); return false; }
      let status = call.result;
      call.release();
      let produced = this.progress.produced;
      off += this.progress.consumed;
      if (produced) sink(this.out, <i32>produced, arg);
      if (status == Z_STREAM_END) this.ended = true;
      if (this.ended) {
        if (off < n) { this.error = own(this.error, "zlib.push: trailing data after the end of the stream"); return false; }
        return true;
      }
      // more to do while input is left or the output chunk came back full (zpipe's rule)
      if (off < n || produced == CHUNK) continue;
      if (last && !this.ended) continue;          // deflate: until Z_STREAM_END
      return true;
    }
  }

  /** Ends the stream and frees it, here and in the machine: the ZStream is gone after this. */
  close(): void {
    if (this.handle) this.client.closeSync(this.handle);
    heapFree(this.out);
    heapFree(changetype<usize>(this.progress));
    own(this.error, "");
    heapFree(changetype<usize>(this) - OBJ_HEADER);
  }
}

/** What the machine holds now (open streams, bytes of zlib state): for leak checks. */
export function zlibCounts(client: ZlibClient): ZlibCounts {
  let c = ZlibCounts.alloc();
  client.countsSync(c);
  return c;
}
