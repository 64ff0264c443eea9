// zpipe.ts: compress or decompress standard input to standard output through the zlib machine
// (aams/zlib: the real zlib 1.3.1 as a foreign machine, in its own memory, on its own core).
//
//   aam run examples/zpipe.ts -- -c [--format zlib|gzip|raw] [--level N] < in > out
//   aam run examples/zpipe.ts -- -d [--format zlib|gzip|raw] < in > out
//
// Input of any size passes through in 64 KiB chunks. A corrupt or truncated input ends with
// zlib's message on stderr and status 1; a bad command line with status 2.

import { args, eprintln, heapAlloc, heapFree, stdinRead, stdoutWrite } from "aam";
import { zlibMachine, ZStream, ZLIB_DEFLATE, ZLIB_INFLATE, ZLIB_FORMAT_ZLIB, ZLIB_FORMAT_GZIP, ZLIB_FORMAT_RAW } from "../aams/zlib";

export function machines(): void { zlibMachine(); }

function usage(why: string): i32 {
  eprintln("zpipe: " + why);
  eprintln("usage: zpipe -c|-d [--format zlib|gzip|raw] [--level 0..9]");
  return 2;
}

function toStdout(p: usize, n: i32, arg: u64): void { stdoutWrite(p, n); }

export function main(): i32 {
  let a = args();
  let mode = -1, format = ZLIB_FORMAT_ZLIB, level = -1;
  for (let i = 1; i < a.length; i++) {
    let s = a[i];
    if (s == "-c") mode = ZLIB_DEFLATE;
    else if (s == "-d") mode = ZLIB_INFLATE;
    else if (s == "--format" && i + 1 < a.length) {
      let f = a[++i];
      if (f == "zlib") format = ZLIB_FORMAT_ZLIB;
      else if (f == "gzip") format = ZLIB_FORMAT_GZIP;
      else if (f == "raw") format = ZLIB_FORMAT_RAW;
      else return usage("unknown format " + f);
    } else if (s == "--level" && i + 1 < a.length) {
      let v = a[++i];
      if (v.length != 1 || v.charCodeAt(0) < 0x30 || v.charCodeAt(0) > 0x39) return usage("--level takes 0..9, got " + v);
      level = v.charCodeAt(0) - 0x30;
    } else return usage("unexpected argument " + s);
  }
  if (mode < 0) return usage("give -c (compress) or -d (decompress)");
  let z = ZStream.open(mode, format, level);
  if (!z) { eprintln("zpipe: " + ZStream.lastError); return 1; }
  const CHUNK = 65536;
  let buf = heapAlloc(CHUNK);
  let status = 0;
  while (true) {
    let n = stdinRead(buf, CHUNK);
    if (n < 0) { eprintln("zpipe: cannot read standard input (errno " + (-n).toString() + ")"); status = 1; break; }
    if (!z.push(buf, <u32>n, n == 0, toStdout)) { eprintln("zpipe: " + z.error); status = 1; break; }
    if (n == 0) break;
  }
  z.close();
  heapFree(buf);
  return status;
}
