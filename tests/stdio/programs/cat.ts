// cat.ts: standard input to standard output, in reads of the size given (default 65536).
import { stdinRead, stdoutWrite, heapAlloc, args, eprintln } from "aam";

export function main(): i32 {
  let a = args();
  let size = a.length > 1 ? I32.parseInt(a[1]) : 65536;
  let buf = heapAlloc(<usize>size);
  let n = stdinRead(buf, size);
  while (n > 0) {
    stdoutWrite(buf, n);
    n = stdinRead(buf, size);
  }
  if (n < 0) { eprintln("cat: read error " + n.toString()); return 1; }
  return 0;
}
