// readers.ts: N tasks (argument, default 4) read standard input at once, in reads of 1..4096
// bytes, until its end. Prints the bytes they got together, the histogram of byte values as an
// FNV-1a hash (the same multiset of bytes as the input: nothing lost, nothing twice), and how
// many tasks got a piece (for information: one task may get all on a fast input).
import { stdinRead, spawn, heapAlloc, heapFree, args, println, Task, Future } from "aam";

const hist = memory.data(256 * 4);       // per byte value, how many came: shared by the readers
const total = memory.data(8);
const readersWithData = memory.data(4);
const errors = memory.data(4);

function reader(t: Task): u64 {
  let size = <i32>(t.arg0 % 4096) + 1;   // each reader its own size: pieces of every length
  let buf = heapAlloc(4096);
  let mine: u64 = 0;
  let n = stdinRead(buf, size);
  while (n > 0) {
    for (let i = 0; i < n; i++) atomic.add<u32>(hist + (<usize>load<u8>(buf + <usize>i) << 2), 1);
    mine += <u64>n;
    n = stdinRead(buf, size);
  }
  if (n < 0) atomic.add<u32>(errors, 1);
  atomic.add<u64>(total, mine);
  if (mine) atomic.add<u32>(readersWithData, 1);
  heapFree(buf);
  return 0;
}

export function main(): i32 {
  let a = args();
  let n = a.length > 1 ? I32.parseInt(a[1]) : 4;
  let fs = new Array<Future>(n);
  for (let i = 0; i < n; i++) fs[i] = spawn(reader, <u64>(i * 997 + 1));
  for (let i = 0; i < n; i++) fs[i].join();
  let h: u32 = 0x811c9dc5;
  for (let v = 0; v < 256; v++) {
    let c = atomic.load<u32>(hist + (<usize>v << 2));
    for (let k = 0; k < 4; k++) h = (h ^ ((c >> (k * 8)) & 0xff)) * 0x01000193;
  }
  println("readers " + n.toString() + " bytes " + atomic.load<u64>(total).toString() + " histogram " + h.toString(16) +
    " errors " + atomic.load<u32>(errors).toString());
  return 0;
}
