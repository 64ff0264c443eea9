// disk.ts: machine "block" from a program's tasks (tests/block, tests/parity). Modes (argv[1]):
//   rw FIRST N      write sectors FIRST..FIRST+N-1 (byte i of sector k = (k × 7 + i) & 255), flush,
//                   read them back into another buffer and compare
//   read FIRST N    print a checksum of sectors FIRST..FIRST+N-1 as read
//   many T N        T tasks, each N write+read round trips of its own sector, all in flight together
//   ro              a write (must be refused: EROFS), then a read (must work)
//   range           reads past the end of the disk, a zero count, then one inside: each errno
//   raw             the machine's own checks, through the generated interface (no BlockClient):
//                   out of range, a length that is not count × 512, a pointer outside the
//                   caller's memory (the kernel refuses the call), a write (refused if read-only)
// Prints only what both hosts must print alike (tests/parity compares the bytes).
import { println, args, spawn, Task, Future, heapAlloc, heapFree, WaitGroup } from "aam";
import { defineBlock, BlockClient, SECTOR } from "../../../aams/block/index";
import { connectBlock, BlockInfo } from "../../../aams/block/block_igen_client";

export function machines(): void { defineBlock(); }

// The client, shared by every task: static data (module-level lets are per core).
const CLIENT = memory.data(8);
function client(): BlockClient { return changetype<BlockClient>(load<usize>(CLIENT)); }

function fill(buf: usize, first: u64, n: u32): void {
  for (let k: u32 = 0; k < n; k++) for (let i: u32 = 0; i < SECTOR; i++) store<u8>(buf + <usize>k * SECTOR + i, <u8>((<u32>(first + k) * 7 + i) & 255));
}
function fnv(buf: usize, len: usize): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i: usize = 0; i < len; i++) h = (h ^ load<u8>(buf + i)) * 16777619;
  return h;
}

function rw(first: u64, n: u32): i32 {
  let b = client();
  let out = heapAlloc(<usize>n * SECTOR), back = heapAlloc(<usize>n * SECTOR);
  fill(out, first, n);
  let w = b.write(first, n, out);
  let f = b.flush();
  memory.fill(back, 0, <usize>n * SECTOR);
  let r = b.read(first, n, back);
  let same = memory.compare(out, back, <usize>n * SECTOR) == 0;
  println("rw: write " + w.toString() + " flush " + f.toString() + " read " + r.toString() + " same " + (same ? "yes" : "no") + " fnv " + fnv(back, <usize>n * SECTOR).toString(16));
  heapFree(out); heapFree(back);
  return same && w == 0 && r == 0 && f == 0 ? 0 : 1;
}

function readSum(first: u64, n: u32): i32 {
  let buf = heapAlloc(<usize>n * SECTOR);
  let r = client().read(first, n, buf);
  println("read: " + r.toString() + " fnv " + fnv(buf, <usize>n * SECTOR).toString(16));
  heapFree(buf);
  return r == 0 ? 0 : 1;
}

// many: each task owns sector `arg0` and does arg1 rounds of write-then-read of a pattern of its own.
const WRONG = memory.data(8);          // +0 wrong reads, +4 completed requests (atomics)
function roundTrips(t: Task): u64 {
  let b = client();
  let sector = t.arg0, rounds = <u32>t.arg1;
  let out = heapAlloc(SECTOR), back = heapAlloc(SECTOR);
  for (let r: u32 = 0; r < rounds; r++) {
    for (let i: u32 = 0; i < SECTOR; i++) store<u8>(out + i, <u8>(<u32>sector * 31 + r * 17 + i));
    if (b.write(sector, 1, out) == 0) atomic.add<u32>(WRONG + 4, 1);
    if (b.read(sector, 1, back) == 0) atomic.add<u32>(WRONG + 4, 1);
    if (memory.compare(out, back, SECTOR) != 0) atomic.add<u32>(WRONG, 1);
  }
  heapFree(out); heapFree(back);
  return 0;
}

function many(tasks: u32, rounds: u32): i32 {
  let fs = new Array<Future>(0);
  for (let i: u32 = 0; i < tasks; i++) fs.push(spawn(roundTrips, 8 + <u64>i, rounds));
  for (let i = 0; i < fs.length; i++) fs[i].wait();
  let done = atomic.load<u32>(WRONG + 4), wrong = atomic.load<u32>(WRONG);
  println("many: " + tasks.toString() + " tasks x " + rounds.toString() + " rounds, requests completed " + done.toString() +
    " of " + (tasks * rounds * 2).toString() + ", wrong reads " + wrong.toString());
  return done == tasks * rounds * 2 && wrong == 0 ? 0 : 1;
}

function readOnly(): i32 {
  let b = client();
  let buf = heapAlloc(SECTOR);
  fill(buf, 0, 1);
  let w = b.write(0, 1, buf);
  println("ro: readOnly " + (b.readOnly() ? "yes" : "no") + ", write " + w.toString() + ": " + b.error);
  let r = b.read(0, 1, buf);
  println("ro: read " + r.toString() + " fnv " + fnv(buf, SECTOR).toString(16));
  heapFree(buf);
  return w == -30 && r == 0 ? 0 : 1;
}

function range(): i32 {
  let b = client();
  let n = b.sectors();
  let buf = heapAlloc(2 * SECTOR);
  let a = b.read(n, 1, buf);
  println("range: read lba " + n.toString() + ": " + a.toString() + ": " + b.error);
  let c = b.read(n - 1, 2, buf);
  println("range: read lba " + (n - 1).toString() + " x2: " + c.toString() + ": " + b.error);
  let z = b.read(0, 0, buf);
  println("range: read 0 sectors: " + z.toString());
  let ok = b.read(n - 1, 1, buf);
  println("range: read the last sector: " + ok.toString());
  heapFree(buf);
  return a == -22 && c == -22 && z == -22 && ok == 0 ? 0 : 1;
}

function raw(): i32 {
  let c = connectBlock();
  let info = BlockInfo.alloc();
  c.infoSync(info);
  let n = info.sectors;
  println("raw: info sectors " + n.toString() + " read_only " + info.read_only.toString() + " max_sectors " + info.max_sectors.toString());
  info.free();
  let buf = heapAlloc(2 * SECTOR);
  let past = c.readSync(n, 1, buf, SECTOR);
  let over = c.readSync(n - 1, 2, buf, 2 * SECTOR);
  let short = c.readSync(0, 2, buf, SECTOR);
  let huge = c.readSync(0, 4096, buf, 2 * SECTOR);
  println("raw: past the end " + past.toString() + ", across the end " + over.toString() + ", bytes != count x 512 " + short.toString() + ", above max " + huge.toString());
  let bad = c.read(0, 1, WRONG, SECTOR);                 // static data: not the caller's heap
  bad.wait();
  println("raw: a pointer outside the caller's memory: failed " + (bad.failed ? "yes" : "no") + ": " + bad.error);
  bad.release();
  fill(buf, 5, 1);
  let w = c.writeSync(5, 1, buf, SECTOR);
  println("raw: write " + w.toString());
  heapFree(buf);
  return past == -22 && over == -22 && short == -22 && huge == -22 ? 0 : 1;
}

export function main(): i32 {
  let a = args();
  let b = BlockClient.open();
  if (!b) { println("disk: no disk attached"); return 3; }
  store<usize>(CLIENT, changetype<usize>(b));
  println("disk: " + b.sectors().toString() + " sectors, " + (b.readOnly() ? "read-only" : "read-write"));
  let mode = a.length > 1 ? a[1] : "rw";
  let x = a.length > 2 ? <u32>parseInt(a[2]) : 0, y = a.length > 3 ? <u32>parseInt(a[3]) : 1;
  if (mode == "rw") return rw(x, y);
  if (mode == "read") return readSum(x, y);
  if (mode == "many") return many(x, y);
  if (mode == "ro") return readOnly();
  if (mode == "range") return range();
  if (mode == "raw") return raw();
  println("disk: unknown mode " + mode);
  return 2;
}
