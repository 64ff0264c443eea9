// lzo.ts: lzop as a pipe stage, on machine "lzo" (aams/lzo): `-c` compresses standard input into
// an lzop file on standard output, `-d` the reverse. What it writes, `lzop -d` reads; what lzop
// writes (any level), it reads. Compression keeps 4 blocks of 256 KiB at the machine at once, so
// the machine's cores compress in parallel.
//   printf 'hello' | aam run examples/lzo.ts -- -c | lzop -dc
//   lzop -9c file | aam run examples/lzo.ts -- -d > file.copy
//   options: --crc32 (CRC-32 instead of Adler-32 checksums, as lzop --crc32), --no-checksum
//
// Why lzo keeps all cores but one (min = max = cores - 1): the Node host keeps each core's stdout
// bytes after its last newline until that core writes again or ends, so binary output written by a
// task that continued on another core after a machine call could come out of order. With one
// core left to it, main (the only writer) never changes core; lzo still compresses on the others.
import { args, eprintln, stdinRead, stdoutWrite, coreCount } from "aam";
import { defineLzo } from "../aams/lzo/lzo";
import { connectLzo } from "../aams/lzo/lzo_igen_client";
import { lzopCompress, lzopDecompress, LZOP_DEFAULT_FLAGS } from "../aams/lzo/stream";
import { F_ADLER32_D, F_CRC32_D, F_H_CRC32 } from "../aams/lzo/lzop";

export function machines(): void {
  let n = <u32>coreCount();
  defineLzo(n > 1 ? { minCores: n - 1, maxCores: n - 1 } : {});
}

export function main(): i32 {
  let a = args().slice(1);
  let mode = "", flags = LZOP_DEFAULT_FLAGS;
  for (let i = 0; i < a.length; i++) {
    if (a[i] == "-c" || a[i] == "-d") mode = a[i];
    else if (a[i] == "--crc32") flags = (flags & ~F_ADLER32_D) | F_CRC32_D | F_H_CRC32;
    else if (a[i] == "--no-checksum") flags &= ~F_ADLER32_D;
    else { eprintln("lzo: unknown option " + a[i] + " (usage: -c|-d [--crc32|--no-checksum])"); return 2; }
  }
  if (mode == "") { eprintln("lzo: usage: aam run examples/lzo.ts -- -c|-d [--crc32|--no-checksum] < in > out"); return 2; }
  let lzo = connectLzo();
  let err = mode == "-c" ? lzopCompress(lzo, stdinRead, stdoutWrite, flags) : lzopDecompress(lzo, stdinRead, stdoutWrite);
  if (err.length) { eprintln(err); return 1; }
  return 0;
}
