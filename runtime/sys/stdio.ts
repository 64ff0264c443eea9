// stdio.ts: the program's standard input, and standard output as raw bytes.
//
// Owns: stdinRead / stdoutWrite and their wrappers, over WASI fd_read(0) and fd_write(1): bytes
// as they are, no text conversion, no line-end translation.
// Not: text output (console.ts); the hosts' channels (tools/host/stdio.ts on Node: the process's
// fd 0 and 1; boot/stdin.c and COM1 on QEMU, docs/BOOT.md).
//
// Order: stdoutWrite and print/println go through the same fd 1 and the same per-core host
// buffer, so what one core writes comes out in the order it wrote it; a line is never cut by
// another core's bytes (each host writes a core's text up to its last newline at once).
//
// Blocking: fd_read blocks the calling *core* until input or its end is there, not only the task:
// neither host can return to the scheduler from inside an import (a task may only block through
// Asyncify, which a host import cannot start). Other cores, and the machines they serve, go on.
// Rejected: polling (a read that returns "nothing yet" and a yieldNow loop) keeps a core busy for
// as long as the input is slow, and a task of the layer below the scheduler cannot yield.
// Reads of several cores are serialised by the host, each call takes a disjoint piece.

import { wasi, CORE_ID } from "~lib/rt/platform";
import { coreRec } from "~lib/rt/layout";
import { load32, store32 } from "~lib/rt/atomic";
import { FC_HOST_WAIT } from "~lib/rt/abi";
import { heapAlloc, heapFree } from "~lib/rt/heap";
import { fail } from "~lib/rt/trap";

// @ts-ignore: decorator
@inline const E_INVAL: i32 = 28;         // WASI errno

// Around a host call that may block: FC_HOST_WAIT odd inside, and moved: no stall (machine/stall.ts).
function hostWait(): void {
  let w = coreRec(CORE_ID) + FC_HOST_WAIT;
  store32(w, load32(w) + 1);              // owner-only writer: a store is enough, atomic for the reader
}

/** Read up to `len` bytes of standard input into [buf, buf+len). Returns the count (> 0), 0 at the
 *  end of input (and for len 0), or −errno (WASI numbering: 8 bad fd, 21 outside memory, 28 len
 *  < 0, 29 I/O error). Blocks the calling core until some input or its end is there. */
export function stdinRead(buf: usize, len: i32): i32 {
  if (len < 0) return -E_INVAL;
  if (len == 0) return 0;
  let io = heapAlloc(12);                  // iovec, then nread
  store<u32>(io, <u32>buf);
  store<u32>(io + 4, <u32>len);
  hostWait();
  let err = wasi.fd_read(0, io, 1, io + 8);
  hostWait();
  let n = <i32>load<u32>(io + 8);
  heapFree(io);
  return err ? -err : n;
}

/** Write all `len` bytes at `buf` to standard output, as they are. A reader that went away ends
 *  the system with status 141 (EXIT_PIPE) on both hosts; a buffer outside memory fails the task. */
export function stdoutWrite(buf: usize, len: i32): void {
  if (len < 0) fail("stdoutWrite: negative length");
  let io = heapAlloc(12);
  let done = 0;
  while (done < len) {
    store<u32>(io, <u32>(buf + <usize>done));
    store<u32>(io + 4, <u32>(len - done));
    hostWait();
    let err = wasi.fd_write(1, io, 1, io + 8);
    hostWait();
    if (err) { heapFree(io); fail("stdoutWrite: fd_write failed with WASI errno " + err.toString()); }
    done += <i32>load<u32>(io + 8);
  }
  heapFree(io);
}

/** Write the bytes of `a` to standard output (stdoutWrite). */
export function stdoutWriteBytes(a: Uint8Array): void {
  stdoutWrite(a.dataStart, a.length);
}

/** Read standard input to its end; the bytes in a new ArrayBuffer (allocated: never freed, as
 *  any object). A read error fails the task. Holds all of the input: for large inputs, read in
 *  pieces with stdinRead. */
export function stdinReadAll(): ArrayBuffer {
  let cap = 65536, n = 0;
  let b = heapAlloc(<usize>cap);
  for (;;) {
    if (n == cap) {
      let c = heapAlloc(<usize>cap << 1);
      memory.copy(c, b, <usize>n);
      heapFree(b);
      b = c;
      cap <<= 1;
    }
    let r = stdinRead(b + <usize>n, cap - n);
    if (r < 0) { heapFree(b); fail("stdinReadAll: read failed with WASI errno " + (-r).toString()); }
    if (r == 0) break;
    n += r;
  }
  let out = new ArrayBuffer(n);
  memory.copy(changetype<usize>(out), b, <usize>n);
  heapFree(b);
  return out;
}
