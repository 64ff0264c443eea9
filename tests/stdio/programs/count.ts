// count.ts: reads standard input to its end in reads of the size given (default 65536) and prints
// how many bytes came and an FNV-1a hash of them, so a large input needs no large output.
import { stdinRead, heapAlloc, args, println } from "aam";

export function main(): i32 {
  let a = args();
  let size = a.length > 1 ? I32.parseInt(a[1]) : 65536;
  let buf = heapAlloc(<usize>size);
  let total: u64 = 0, h: u32 = 0x811c9dc5;
  let n = stdinRead(buf, size);
  while (n > 0) {
    for (let i = 0; i < n; i++) h = (h ^ load<u8>(buf + <usize>i)) * 0x01000193;
    total += <u64>n;
    n = stdinRead(buf, size);
  }
  if (n < 0) { println("count: read error " + n.toString()); return 1; }
  println("bytes " + total.toString() + " fnv " + h.toString(16));
  return 0;
}
