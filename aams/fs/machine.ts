// machine.ts: machine "fs" (fs.idl): a FAT16/FAT32 file system as a kernel-level machine over one
// BlockDev. Owns: the handlers igen's server dispatches to, attaching a device (defineFs,
// fsAttach), the mutex around every operation, and each failed call's message. Not: the file
// system itself (volume.ts, dir.ts, file.ts, ops.ts), the device (blockdev.ts).
//
// State lives in the shared heap: module-level variables are per core (one wasm instance each),
// and any core of the machine may serve any call. The one static word:
//
// ╒══ ATTACHED (static data, 8 bytes) ═══════════════════════════════════════════════╕
// │ +0 the Volume (0: not made yet). Writer: the first handler that finds it 0      │
// │    (cmpxchg; a core that loses the race uses the winner's). Readers: every      │
// │    handler, with an atomic load (aam/atomic load32), before taking the mutex.   │
// │ +4 the BlockDev attached (0: none). Writer: fsAttach, once (cmpxchg: a second   │
// │    attach fails). Readers: the handler that makes the Volume.                   │
// ╘═════════════════════════════════════════════════════════════════════════════════╛
// The Volume (cache, tables) is made by a task of machine fs, not at attach time (machines() runs
// on core 0 in main's allocator arena): a kernel-level device machine refuses buffers that are
// not the calling machine's memory.
//
// Protocol of a call (every handler):
//   1. load ATTACHED; no Volume → make it from the device attached; no device → ENODEV.
//   2. lock the volume's Mutex (blocks the task only; the device may block it again inside).
//   3. clear err; mount if not mounted (a failed mount fails this call; the next call retries);
//      sync first if half the cache is dirty, so that the cache's own syncs fall between
//      operations (README.md, "After a crash").
//   4. run the operation: a result, or -errno with err/detail set (nothing in the file system
//      traps on a bad image or a bad argument: a trap here would leave the mutex held).
//   5. read err/detail, unlock; then on an error build the message (text) and failQuietly it
//      (the handler returns next; no trap report: a failed call is an answer).
import { Machine, MachineOptions, defineMachine, failOwned, failQuietly, text, Text, heapAlloc, heapFree } from "aam";
import { load32, cas32 } from "aam/atomic";
import { FsDirent, FsStat, FsStatfs } from "./fs_igen_client";
import { offerFs } from "./fs_igen_server";
import { BlockDev } from "./blockdev";
import { Volume } from "./volume";
import { Walk } from "./dir";
import { tablesCreate, fdGet, fdClose, fileRead, fileWrite, fileSeek, fileTruncate, fdNode } from "./file";
import { Walks, opOpen, opUnlink, opMkdir, opRmdir, opRename, opStat, opReaddir, opStatfs, fstatFill } from "./ops";
import { errnoName, errnoText, ENODEV } from "./errno";
import { utf8ToUcs2 } from "./name";

// +0 the volume (0 until the first call made it), +4 the device attached (0: none yet).
const ATTACHED = memory.data(8);

/** Attaches `dev` as the volume machine "fs" serves (mounted by the first call). Call once, from
 *  machines(), main or any task, before the first call needs it; false if one is attached. */
export function fsAttach(dev: BlockDev): bool {
  return cas32(ATTACHED + 4, 0, <u32>changetype<usize>(dev)) == 0;
}

// The volume for the attached device, made by the first call, in a task of machine fs: its cache
// and tables are then memory of fs, which a kernel-level device machine (aams/block) requires of
// every buffer fs passes it. Two cores racing: the loser's volume stays unused.
function volume(d: usize): usize {
  let v = Volume.create(changetype<BlockDev>(d));
  tablesCreate(v);
  let ws = changetype<Walks>(heapAlloc(offsetof<Walks>()));
  ws.a = Walk.create(); ws.b = Walk.create();
  v.walks = changetype<usize>(ws);                    // published with v by the cas below
  let was = <usize>cas32(ATTACHED, 0, <u32>changetype<usize>(v));
  return was ? was : changetype<usize>(v);
}

/** Defines machine "fs" (kernel-level) serving fs.idl; with `dev`, attaches it too. Call from
 *  machines(). */
export function defineFs(dev: BlockDev | null = null, options: MachineOptions = {}, name: string = "fs"): Machine {
  options.kernel = true;
  let m = offerFs(defineMachine(name, options), mount$, sync$, open$, close$, read$, write$, seek$, truncate$,
    unlink$, rename$, mkdir$, rmdir$, readdir$, stat$, fstat$, statfs$);
  if (dev) fsAttach(dev);
  return m;
}

// ──── steps 1–3 and 5 ────

// The attached volume, locked (steps 1–2; the call fails here when none is attached).
function enter(what: string): Volume {
  let a = <usize>load32(ATTACHED);
  if (a == 0) {
    let d = <usize>load32(ATTACHED + 4);
    if (d == 0) failOwned(text(what).s(": ENODEV: ").s(errnoText(ENODEV)).s(" (no BlockDev attached: defineFs(dev) or fsAttach(dev))").done());
    a = volume(d);
  }
  let v = changetype<Volume>(a);
  v.mutex.lock();
  v.err = 0;
  v.detail = "";
  return v;
}

// Mounts if needed, syncs if half the cache is dirty: 0 or -errno (err set).
function ready(v: Volume): i32 {
  if (v.mounted == 0) return v.mount();
  return v.cache.dirtyCount * 2 > v.cache.n ? v.sync() : 0;
}

// Unlocks; fails the call when r < 0, naming `what`, the path(s) and the error (failQuietly: every
// handler returns right after this, and nothing is printed: the error is the caller's to report).
function leave(v: Volume, r: i64, what: string, p: usize = 0, len: u32 = 0, p2: usize = 0, len2: u32 = 0): void {
  let e = v.err, detail = v.detail, mounting = v.mounted == 0;
  v.mutex.unlock();
  if (r >= 0) return;
  if (e == 0) e = <i32>r;
  let t = text(what);
  if (len != 0) pathText(t.s(" "), p, len);
  if (len2 != 0) pathText(t.s(" -> "), p2, len2);
  t.s(": ").s(errnoName(-e)).s(": ").s(errnoText(-e));
  if (detail.length != 0 && detail != errnoText(-e)) t.s(mounting ? " (mount: " : " (").s(detail).s(")");
  failQuietly(t.done());     // an answer, not a fault: no trap report (the handler returns next)
}

// The path's UTF-8 as text (not UTF-8: its bytes as '?').
function pathText(t: Text, p: usize, len: u32): void {
  let n = min(len, <u32>512), buf = heapAlloc(<usize>n * 2 + 2);
  let u = utf8ToUcs2(p, n, buf, n);
  if (u < 0) { u = <i32>n; for (let i: u32 = 0; i < n; i++) store<u16>(buf + (<usize>i << 1), load<u8>(p + i) < 0x80 ? load<u8>(p + i) : 0x3F); }
  t.chars(buf, <usize>u << 1);
  heapFree(buf);
  if (len > n) t.s("…");
}

// ──── step 4: the handlers ────

function mount$(): i32 {
  let v = enter("fs.mount"), r = ready(v);
  leave(v, r, "fs.mount");
  return 0;
}

function sync$(): i32 {
  let v = enter("fs.sync"), r = ready(v);
  if (r == 0) r = v.sync();
  leave(v, r, "fs.sync");
  return 0;
}

function open$(path: usize, len: u32, flags: u32): i32 {
  let v = enter("fs.open"), r = ready(v);
  if (r == 0) r = opOpen(v, changetype<Walks>(v.walks), path, len, flags);
  leave(v, r, "fs.open", path, len);
  return r;
}

function close$(fd: i32): i32 {
  let v = enter("fs.close"), r = ready(v);
  if (r == 0) { let f = fdGet(v, fd); if (f) fdClose(v, f); else r = v.err; }
  leave(v, r, "fs.close");
  return 0;
}

function read$(fd: i32, buf: usize, n: u32): i32 {
  let v = enter("fs.read"), r: i64 = ready(v);
  if (r == 0) { let f = fdGet(v, fd); r = f ? fileRead(v, f, buf, n) : v.err; }
  leave(v, r, "fs.read");
  return <i32>r;
}

function write$(fd: i32, buf: usize, n: u32): i32 {
  let v = enter("fs.write"), r: i64 = ready(v);
  if (r == 0) { let f = fdGet(v, fd); r = f ? fileWrite(v, f, buf, n) : v.err; }
  leave(v, r, "fs.write");
  return <i32>r;
}

function seek$(fd: i32, offset: i64, whence: u32): i64 {
  let v = enter("fs.seek"), r: i64 = ready(v);
  if (r == 0) { let f = fdGet(v, fd); r = f ? fileSeek(v, f, offset, whence) : v.err; }
  leave(v, r, "fs.seek");
  return r;
}

function truncate$(fd: i32, size: u64): i32 {
  let v = enter("fs.truncate"), r = ready(v);
  if (r == 0) { let f = fdGet(v, fd); r = f ? fileTruncate(v, f, size) : v.err; }
  leave(v, r, "fs.truncate");
  return 0;
}

function unlink$(path: usize, len: u32): i32 {
  let v = enter("fs.unlink"), r = ready(v);
  if (r == 0) r = opUnlink(v, changetype<Walks>(v.walks), path, len);
  leave(v, r, "fs.unlink", path, len);
  return 0;
}

function rename$(from: usize, fromLen: u32, to: usize, toLen: u32): i32 {
  let v = enter("fs.rename"), r = ready(v);
  if (r == 0) r = opRename(v, changetype<Walks>(v.walks), from, fromLen, to, toLen);
  leave(v, r, "fs.rename", from, fromLen, to, toLen);
  return 0;
}

function mkdir$(path: usize, len: u32): i32 {
  let v = enter("fs.mkdir"), r = ready(v);
  if (r == 0) r = opMkdir(v, changetype<Walks>(v.walks), path, len);
  leave(v, r, "fs.mkdir", path, len);
  return 0;
}

function rmdir$(path: usize, len: u32): i32 {
  let v = enter("fs.rmdir"), r = ready(v);
  if (r == 0) r = opRmdir(v, changetype<Walks>(v.walks), path, len);
  leave(v, r, "fs.rmdir", path, len);
  return 0;
}

function readdir$(path: usize, len: u32, cookie: u32, d: FsDirent): i32 {
  let v = enter("fs.readdir"), r = ready(v);
  if (r == 0) r = opReaddir(v, changetype<Walks>(v.walks), path, len, cookie, d);
  leave(v, r, "fs.readdir", path, len);
  return r;
}

function stat$(path: usize, len: u32, st: FsStat): i32 {
  let v = enter("fs.stat"), r = ready(v);
  if (r == 0) r = opStat(v, changetype<Walks>(v.walks), path, len, st);
  leave(v, r, "fs.stat", path, len);
  return 0;
}

function fstat$(fd: i32, st: FsStat): i32 {
  let v = enter("fs.fstat"), r = ready(v);
  if (r == 0) {
    let f = fdGet(v, fd);
    if (f) { let n = fdNode(v, f); fstatFill(v, <u64>n.lba << 32 | <u64>n.off, n.size, n.first, st); } else r = v.err;
  }
  leave(v, r, "fs.fstat");
  return 0;
}

function statfs$(st: FsStatfs): i32 {
  let v = enter("fs.statfs"), r = ready(v);
  if (r == 0) r = opStatfs(v, st);
  leave(v, r, "fs.statfs");
  return 0;
}
