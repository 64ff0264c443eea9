// fsops.ts: the test driver of machine fs (aams/fs): reads a disk image from stdin into a
// RamDisk, runs the operations its arguments name on it through the machine's generated client,
// and reports one line per operation on stderr, each starting "| " (stdout carries the image:
// `image` syncs and writes it there). An operation that fails reports its call's error and the
// run goes on. Used by tests/fs/*.test.mjs.
//
//   tree                 every file and directory under / : "| tree PATH SIZE FNV1A32" / "| tree PATH/ dir"
//   cat P                "| cat P: <bytes as text>"
//   hash P               "| hash P SIZE FNV1A32" (read in pieces of 4097 bytes)
//   write P N SEED       create/truncate P, N bytes of a seeded pattern, in pieces of 3000
//   put P TEXT           create/truncate P with TEXT
//   append P TEXT        open O_APPEND, write TEXT
//   mkdir P | rmdir P | rm P | mv A B | stat P | ls P | trunc P N | sync | statfs | image
//   seekread P OFF N     read N bytes at OFF: "| seekread P OFF: <text>"
//   open P FLAGS         open with numeric flags and close: reports the fd or the error
//   badptr               calls whose pointers are not the caller's memory: the kernel refuses them
//   badmode P            write on a read-only descriptor of P, read on a write-only one
//   badfd                read, write, close, seek of descriptors that are not open
//   hold P               open P read-write and keep it open ("| hold P fd N")
//   variants P           P through the sync stubs (openSync, readSync, fstatSync, closeSync) and the
//                        event stub (statThen): "| variants P: sync N bytes, event size S"
//   devstats             "| devstats reads R writes W flushes F": the RamDisk's device calls so far
//   outside              "| outside N": device calls the RamDisk refused as past its end
//   parallel N           N tasks at once, each writes /parK (20000 bytes, seed K), reads it back:
//                        "| parallel N ok K" with K files that read back right
//   rawimage             the image as the device holds it, without a sync first
//   ro (first only)      the disk is read-only
//   faulty LBA (first)   the disk fails every read and write that touches sector LBA or later (EIO)
//   leak                 heap blocks in use by machine fs's cores before and after 200 failing calls
import { Task, spawn, Future, Signal, args, eprintln, stdinReadAll, stdoutWrite, heapAlloc, heapFree, coreCount, heapBlocksInUse } from "aam";
import { connectFs, FsClient, FsStat, FsDirent, FsStatfs, FsStatCall } from "../../../aams/fs/fs_igen_client";
import { defineFs, fsAttach } from "../../../aams/fs/machine";
import { RamDisk } from "../../../aams/fs/blockdev";
import { IgenCall, igenWait } from "aam/igen";

// A RamDisk whose sectors from `from` on fail (-EIO), as a failing device would.
class FaultyDisk extends RamDisk {
  from: u64 = 0xFFFFFFFFFFFFFFFF;
  read(lba: u64, count: u32, buf: usize): i32 { return lba + count > this.from ? -5 : super.read(lba, count, buf); }
  write(lba: u64, count: u32, buf: usize): i32 { return lba + count > this.from ? -5 : super.write(lba, count, buf); }
}

export function machines(): void { defineFs(null, { maxCores: 2 }); }

// The client, in static data: main may go on on another core after it blocked, and a module-level
// let is per core.
const FS = memory.data(4);
@inline function fsc(): FsClient { return changetype<FsClient>(<usize>load<u32>(FS)); }

function say(s: string): void { eprintln("| " + s); }

function utf8(s: string): usize {
  let n = String.UTF8.byteLength(s), b = heapAlloc(<usize>n + 1);
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, b);
  return b;
}
@inline function ulen(s: string): u32 { return <u32>String.UTF8.byteLength(s); }

// A failed call: its error, reported; the call released.
function failed(what: string, c: IgenCall): bool {
  if (!c.failed) return false;
  say(what + " error " + c.error);
  return true;
}

function openFd(p: string, flags: u32): i32 {
  let b = utf8(p), c = fsc().open(b, ulen(p), flags);
  let fd = c.wait();
  heapFree(b);
  if (failed("open " + p, c)) { c.release(); return -1; }
  c.release();
  return fd;
}

function closeFd(fd: i32): void { let c = fsc().close(fd); c.wait(); failed("close", c); c.release(); }

function fnv(h: u32, p: usize, n: usize): u32 {
  for (let i: usize = 0; i < n; i++) h = (h ^ load<u8>(p + i)) * 0x01000193;
  return h;
}

function hashFile(p: string): string {
  let fd = openFd(p, 0);
  if (fd < 0) return "";
  let buf = heapAlloc(4097), h: u32 = 0x811c9dc5, size: u64 = 0;
  for (;;) {
    let c = fsc().read(fd, buf, 4097);
    let n = c.wait();
    if (failed("read " + p, c)) { c.release(); break; }
    c.release();
    if (n == 0) break;
    h = fnv(h, buf, n); size += n;
  }
  heapFree(buf);
  closeFd(fd);
  return size.toString() + " " + h.toString(16);
}

function pathOf(dir: string, name: string): string { return dir == "/" ? "/" + name : dir + "/" + name; }

function tree(dir: string): void {
  let d = FsDirent.alloc(), b = utf8(dir), cookie: u32 = 0;
  for (;;) {
    let c = fsc().readdir(b, ulen(dir), cookie, d);
    let r = c.wait();
    if (failed("readdir " + dir, c)) { c.release(); break; }
    c.release();
    if (r == 0) break;
    let name = String.UTF8.decodeUnsafe(d.name, d.name_len), p = pathOf(dir, name);
    cookie = d.next;
    if (d.type_ == 2) { say("tree " + p + "/ dir"); tree(p); }
    else say("tree " + p + " " + hashFile(p) + " " + String.UTF8.decodeUnsafe(d.short_name, <usize>strlen(d.short_name)));
  }
  heapFree(b);
  d.free();
}

function strlen(p: usize): u32 { let n: u32 = 0; while (n < 12 && load<u8>(p + n) != 0) n++; return n; }

function writeFile(p: string, n: u32, seed: u32, flags: u32 = 0x241): void {
  let fd = openFd(p, flags);
  if (fd < 0) return;
  let piece: u32 = 3000, buf = heapAlloc(piece), x = seed | 1, done: u32 = 0;
  while (done < n) {
    let k = min(piece, n - done);
    for (let i: u32 = 0; i < k; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; store<u8>(buf + i, <u8>(x >> 24)); }
    let c = fsc().write(fd, buf, k);
    let w = c.wait();
    if (failed("write " + p, c)) { c.release(); break; }
    c.release();
    done += <u32>w;
  }
  heapFree(buf);
  closeFd(fd);
  say("write " + p + " " + done.toString());
}

function putText(p: string, s: string, flags: u32): void {
  let fd = openFd(p, flags);
  if (fd < 0) return;
  let b = utf8(s), c = fsc().write(fd, b, ulen(s));
  let w = c.wait();
  heapFree(b);
  if (!failed("write " + p, c)) say("put " + p + " " + w.toString());
  c.release();
  closeFd(fd);
}

function pathCall(what: string, p: string): void {
  let b = utf8(p), n = ulen(p);
  let c: IgenCall = what == "mkdir" ? changetype<IgenCall>(fsc().mkdir(b, n)) : what == "rmdir" ? changetype<IgenCall>(fsc().rmdir(b, n)) : changetype<IgenCall>(fsc().unlink(b, n));
  igenWait(changetype<usize>(c));
  heapFree(b);
  if (!failed(what + " " + p, c)) say(what + " " + p + " ok");
  c.release();
}

function mv(a: string, b: string): void {
  let x = utf8(a), y = utf8(b), c = fsc().rename(x, ulen(a), y, ulen(b));
  c.wait();
  heapFree(x); heapFree(y);
  if (!failed("mv " + a + " " + b, c)) say("mv " + a + " " + b + " ok");
  c.release();
}

function stat(p: string): void {
  let st = FsStat.alloc(), b = utf8(p), c = fsc().stat(b, ulen(p), st);
  c.wait();
  heapFree(b);
  if (!failed("stat " + p, c)) say("stat " + p + " " + (st.type_ == 2 ? "dir" : "file") + " size " + st.size.toString() + " attr " + st.attr.toString(16));
  c.release();
  st.free();
}

function ls(p: string): void {
  let d = FsDirent.alloc(), b = utf8(p), cookie: u32 = 0, out = "";
  for (;;) {
    let c = fsc().readdir(b, ulen(p), cookie, d);
    let r = c.wait();
    if (failed("ls " + p, c)) { c.release(); heapFree(b); d.free(); return; }
    c.release();
    if (r == 0) break;
    out += " " + String.UTF8.decodeUnsafe(d.name, d.name_len) + (d.type_ == 2 ? "/" : "");
    cookie = d.next;
  }
  heapFree(b); d.free();
  say("ls " + p + ":" + out);
}

function trunc(p: string, n: u64): void {
  let fd = openFd(p, 2);
  if (fd < 0) return;
  let c = fsc().truncate(fd, n);
  c.wait();
  if (!failed("trunc " + p, c)) say("trunc " + p + " " + n.toString() + " ok");
  c.release();
  closeFd(fd);
}

function seekRead(p: string, off: i64, n: u32): void {
  let fd = openFd(p, 0);
  if (fd < 0) return;
  let s = fsc().seek(fd, off, 0);
  s.wait();
  if (failed("seek " + p, s)) { s.release(); closeFd(fd); return; }
  s.release();
  let buf = heapAlloc(<usize>n + 1), c = fsc().read(fd, buf, n);
  let r = c.wait();
  if (!failed("read " + p, c)) say("seekread " + p + " " + off.toString() + ": " + String.UTF8.decodeUnsafe(buf, r));
  c.release();
  heapFree(buf);
  closeFd(fd);
}

function statfs(): void {
  let st = FsStatfs.alloc(), c = fsc().statfs(st);
  c.wait();
  if (!failed("statfs", c)) say("statfs fat" + st.fat_bits.toString() + " cluster " + st.cluster_bytes.toString() + " clusters " + st.clusters.toString() + " free " + st.free_clusters.toString());
  c.release();
  st.free();
}

function badfd(): void {
  let buf = heapAlloc(16);
  let r = fsc().read(99, buf, 16); r.wait(); failed("read 99", r); r.release();
  let w = fsc().write(-1, buf, 16); w.wait(); failed("write -1", w); w.release();
  let c = fsc().close(7); c.wait(); failed("close 7", c); c.release();
  let s = fsc().seek(3, 0, 0); s.wait(); failed("seek 3", s); s.release();
  heapFree(buf);
}

const STATIC_BUF = memory.data(64);      // static data: not the calling machine's heap

function badPtr(): void {
  let o = fsc().open(0x10, 5, 0); o.wait(); failed("open 0x10", o); o.release();
  let p = "/HELLO.TXT", b = utf8(p), fd = fsc().openSync(b, ulen(p), 0);
  let r = fsc().read(fd, STATIC_BUF, 64); r.wait(); failed("read into static data", r); r.release();
  let big = heapAlloc(64);
  let q = fsc().read(fd, big, 100000); q.wait(); failed("read past the block", q); q.release();
  fsc().closeSync(fd);
  heapFree(big); heapFree(b);
}

function badMode(p: string): void {
  let buf = heapAlloc(16);
  let fd = openFd(p, 0);
  if (fd >= 0) { let w = fsc().write(fd, buf, 16); w.wait(); failed("write O_RDONLY", w); w.release(); closeFd(fd); }
  fd = openFd(p, 1);
  if (fd >= 0) { let r = fsc().read(fd, buf, 16); r.wait(); failed("read O_WRONLY", r); r.release(); closeFd(fd); }
  heapFree(buf);
}

function blocks(): u64 { let b: u64 = 0; for (let c = 0; c < coreCount(); c++) b += heapBlocksInUse(c); return b; }

function leak(): void {
  let p = "/NO/SUCH/FILE", b = utf8(p);
  for (let i = 0; i < 20; i++) { let c = fsc().open(b, ulen(p), 0); c.wait(); c.release(); }   // warm up
  let before = blocks();
  for (let i = 0; i < 200; i++) { let c = fsc().open(b, ulen(p), 0); c.wait(); c.release(); }
  let after = blocks();
  heapFree(b);
  say("leak " + (after > before ? (after - before).toString() : "0"));
  // And 100 calls that succeed: create, write, read, stat, close, unlink.
  let q = "/leak test file.txt", c = utf8(q), buf = heapAlloc(64), st = FsStat.alloc();
  before = blocks();
  for (let i = 0; i < 100; i++) {
    let fd = fsc().openSync(c, ulen(q), 0x42);
    fsc().writeSync(fd, buf, 64);
    fsc().seekSync(fd, 0, 0);
    fsc().readSync(fd, buf, 64);
    fsc().fstatSync(fd, st);
    fsc().closeSync(fd);
    fsc().unlinkSync(c, ulen(q));
  }
  after = blocks();
  heapFree(c); heapFree(buf); st.free();
  say("leak ok-calls " + (after > before ? (after - before).toString() : "0"));
}

// statThen's event: arg = a block [signal, size] the event fills.
function statDone(c: FsStatCall, arg: u64): void {
  let b = <usize>arg;
  store<u64>(b, c.failed ? 0xFFFFFFFF : load<u64>(load<u32>(b, 12)), 4);   // the stat struct's size
  Signal.fromArg(<u64>load<u32>(b)).signal(1);
}

function variants(p: string): void {
  let b = utf8(p), n = ulen(p), buf = heapAlloc(65536);
  let fd = fsc().openSync(b, n, 0);
  let got = fsc().readSync(fd, buf, 65536);
  let st = FsStat.alloc();
  fsc().fstatSync(fd, st);
  fsc().closeSync(fd);
  let ev = heapAlloc(16), sig = Signal.create(0), st2 = FsStat.alloc();
  store<u32>(ev, <u32>sig.asArg());
  store<u32>(ev, <u32>changetype<usize>(st2), 12);
  fsc().statThen(b, n, st2, statDone, <u64>ev);
  sig.wait();
  say("variants " + p + ": sync " + got.toString() + " bytes (fstat " + st.size.toString() + "), event size " + load<u64>(ev, 4).toString());
  sig.dispose(); heapFree(ev); st.free(); st2.free(); heapFree(buf); heapFree(b);
}

// One of `parallel`'s tasks: arg0 = K.
function parTask(t: Task): u64 {
  let k = <u32>t.arg0, p = "/par" + k.toString(), n: u32 = 20000;
  writeFile(p, n, k + 100);
  let want = heapAlloc(n), x = (k + 100) | 1;
  for (let i: u32 = 0; i < n; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; store<u8>(want + i, <u8>(x >> 24)); }
  let h = fnv(0x811c9dc5, want, n);
  heapFree(want);
  return hashFile(p) == n.toString() + " " + h.toString(16) ? 1 : 0;
}

function parallel(n: i32): void {
  let fs = new StaticArray<u64>(n), ok: u64 = 0;
  for (let k = 0; k < n; k++) fs[k] = spawn(parTask, <u64>k).asArg();
  for (let k = 0; k < n; k++) ok += Future.fromArg(fs[k]).join();
  say("parallel " + n.toString() + " ok " + ok.toString());
}

function image(disk: RamDisk): void {
  let c = fsc().sync();
  c.wait();
  if (!failed("sync", c)) say("sync ok");
  c.release();
  stdoutWrite(disk.base, <i32>disk.bytes);
}

export function main(): i32 {
  let input = stdinReadAll();
  let a = args(), ro = a.length > 1 && a[1] == "ro", faulty = a.length > 2 && a[1] == "faulty";
  let disk = new FaultyDisk(changetype<usize>(input), <usize>input.byteLength, ro);
  if (faulty) disk.from = <u64>parseInt(a[2]);
  fsAttach(disk);
  store<u32>(FS, <u32>changetype<usize>(connectFs()));
  for (let i = ro ? 2 : faulty ? 3 : 1; i < a.length; i++) {
    let op = a[i];
    if (op == "tree") tree("/");
    else if (op == "cat") { let p = a[++i]; seekRead(p, 0, 1 << 20); }
    else if (op == "hash") { let p = a[++i]; say("hash " + p + " " + hashFile(p)); }
    else if (op == "write") { let p = a[++i], n = <u32>parseInt(a[++i]), s = <u32>parseInt(a[++i]); writeFile(p, n, s); }
    else if (op == "put") { let p = a[++i]; putText(p, a[++i], 0x241); }
    else if (op == "append") { let p = a[++i]; putText(p, a[++i], 0x441); }
    else if (op == "mkdir" || op == "rmdir" || op == "rm") { pathCall(op == "rm" ? "unlink" : op, a[++i]); }
    else if (op == "mv") { let x = a[++i]; mv(x, a[++i]); }
    else if (op == "stat") stat(a[++i]);
    else if (op == "ls") ls(a[++i]);
    else if (op == "trunc") { let p = a[++i]; trunc(p, <u64>parseInt(a[++i])); }
    else if (op == "seekread") { let p = a[++i], off = <i64>parseInt(a[++i]); seekRead(p, off, <u32>parseInt(a[++i])); }
    else if (op == "open") {
      let p = a[++i], fd = openFd(p, <u32>parseInt(a[++i]));
      if (fd >= 0) { say("open " + p + " fd " + fd.toString()); closeFd(fd); }
    }
    else if (op == "sync") { let c = fsc().sync(); c.wait(); if (!failed("sync", c)) say("sync ok"); c.release(); }
    else if (op == "mount") { let c = fsc().mount(); c.wait(); if (!failed("mount", c)) say("mount ok"); c.release(); }
    else if (op == "statfs") statfs();
    else if (op == "badfd") badfd();
    else if (op == "badmode") badMode(a[++i]);
    else if (op == "badptr") badPtr();
    else if (op == "leak") leak();
    else if (op == "image") image(disk);
    else if (op == "hold") { let p = a[++i], fd = openFd(p, 2); if (fd >= 0) say("hold " + p + " fd " + fd.toString()); }
    else if (op == "parallel") parallel(<i32>parseInt(a[++i]));
    else if (op == "rawimage") stdoutWrite(disk.base, <i32>disk.bytes);
    else if (op == "variants") variants(a[++i]);
    else if (op == "devstats") say("devstats reads " + disk.reads.toString() + " writes " + disk.writes.toString() + " flushes " + disk.flushes.toString());
    else if (op == "outside") say("outside " + disk.outside.toString());
    else { say("unknown operation " + op); return 2; }
  }
  return 0;
}
