// file.ts: open files: nodes (one per open file, shared by its descriptors), descriptors, and
// reading, writing, seeking and truncating through the FAT chain.
// Owns: the node and descriptor tables (layouts below) and the rules of positions and sizes. Not:
// paths and directory entries (dir.ts, ops.ts), the FAT (volume.ts).
//
// File data moves straight between the device and the caller's buffer for whole sectors (the
// cache's copies of those sectors are kept in step, cache.ts wroteAround/readAround) and through
// the cache for parts of sectors. A file's size and first cluster are written into its directory
// entry (in the cache) whenever they change, so sync needs no list of open files. Both tables
// are in the shared heap and guarded by the volume's mutex (every reader and writer is an
// operation under it, machine.ts); descriptors belong to the volume, not to a client.
//
// ╒═ node i (NODE_BYTES; MAX_FILES) ═╕   ╒═ descriptor fd (FD_BYTES; MAX_FDS) ════════════════════╕
// │ ref    descriptors on it (0 free) │   │ node   node index + 1 (0: a free descriptor)             │
// │ lba    its short entry's sector   │   │ flags  the open flags (access mode, O_APPEND)            │
// │ off    and byte in the sector     │   │ pos    the position                                      │
// │ first  first cluster (0: empty)   │   │ cidx   cursor: cluster index `ccl` of the chain          │
// │ size   bytes                      │   │ ccl    (0: none; valid while gen == the node's gen)       │
// │ gen    bumped when the chain is   │   │ gen                                                       │
// │        cut (cursors restart)      │   ╘═════════════════════════════════════════════════════════╛
// ╘═══════════════════════════════════╛
import { heapAlloc } from "aam";
import { SECTOR } from "./blockdev";
import { DATA } from "./cache";
import { Volume, BAD, EOC } from "./volume";
import { updateEntry } from "./dir";
import { EBADF, EIO, EINVAL, EFBIG, EMFILE, EROFS } from "./errno";

// @ts-ignore: decorator
@inline const DEBUG: bool = isDefined(AAM_DEBUG);

export const MAX_FILES: u32 = 64;
export const MAX_FDS: u32 = 64;
export const O_ACCMODE: u32 = 3, O_RDONLY: u32 = 0, O_WRONLY: u32 = 1, O_RDWR: u32 = 2;
export const O_CREAT: u32 = 0x40, O_EXCL: u32 = 0x80, O_TRUNC: u32 = 0x200, O_APPEND: u32 = 0x400;
export const SEEK_SET: u32 = 0, SEEK_CUR: u32 = 1, SEEK_END: u32 = 2;
const MAX_SIZE: u64 = 0xFFFFFFFF;
const RUN: u32 = 1 << 20;              // the most file data one device call moves

@unmanaged export class Node { ref: u32; lba: u32; off: u32; first: u32; size: u32; gen: u32; }
@unmanaged export class Fd { node: u32; flags: u32; pos: u32; cidx: u32; ccl: u32; gen: u32; }

export function tablesCreate(v: Volume): void {
  let nb = <usize>MAX_FILES * offsetof<Node>(), fb = <usize>MAX_FDS * offsetof<Fd>();
  v.files = heapAlloc(nb); memory.fill(v.files, 0, nb);
  v.fds = heapAlloc(fb); memory.fill(v.fds, 0, fb);
}

@inline export function nodeAt(v: Volume, i: u32): Node { return changetype<Node>(v.files + <usize>i * offsetof<Node>()); }
@inline function fdAt(v: Volume, fd: u32): Fd { return changetype<Fd>(v.fds + <usize>fd * offsetof<Fd>()); }

/** The open node of the entry at (lba, off), or -1. */
export function nodeFind(v: Volume, lba: u32, off: u32): i32 {
  for (let i: u32 = 0; i < MAX_FILES; i++) {
    let n = nodeAt(v, i);
    if (n.ref != 0 && n.lba == lba && n.off == off) return <i32>i;
  }
  return -1;
}

/** The descriptor `fd`, or null (EBADF recorded). */
export function fdGet(v: Volume, fd: i32): Fd | null {
  if (fd < 0 || <u32>fd >= MAX_FDS || fdAt(v, <u32>fd).node == 0) { v.fail(EBADF, "not an open file descriptor"); return null; }
  return fdAt(v, <u32>fd);
}

/** Walks the chain of a file about to be opened: -EIO if it is cyclic, leaves the volume, or is
 *  shorter than the size needs. */
export function checkChain(v: Volume, first: u32, size: u32): i32 {
  let need = <u32>((<u64>size + v.clusterBytes - 1) / v.clusterBytes), n: u32 = 0, c = first;
  if (first == 0) return size == 0 ? 0 : v.fail(EIO, "a file of non-zero size has no clusters");
  if (!v.validCluster(first)) return v.fail(EIO, "a directory entry points outside the volume");
  while (c != EOC) {
    if (++n > v.clusters) return v.fail(EIO, "cyclic cluster chain");
    c = v.next(c);
    if (c == BAD) return v.err;
  }
  return n < need ? v.fail(EIO, "the file's cluster chain is shorter than its size") : 0;
}

/** A descriptor on the entry at (lba, off) of a file with `first` and `size`: fd or -errno. */
export function fdOpen(v: Volume, lba: u32, off: u32, first: u32, size: u32, flags: u32): i32 {
  let ni = nodeFind(v, lba, off);
  if (ni < 0) {
    for (let i: u32 = 0; i < MAX_FILES && ni < 0; i++) if (nodeAt(v, i).ref == 0) ni = <i32>i;
    if (ni < 0) return v.fail(EMFILE, "64 files are open");
    let n = nodeAt(v, <u32>ni);
    n.lba = lba; n.off = off; n.first = first; n.size = size; n.gen++;
  }
  for (let fd: u32 = 0; fd < MAX_FDS; fd++) {
    let f = fdAt(v, fd);
    if (f.node != 0) continue;
    nodeAt(v, <u32>ni).ref++;
    f.node = <u32>ni + 1; f.flags = flags; f.pos = 0; f.cidx = 0; f.ccl = 0; f.gen = 0;
    return <i32>fd;
  }
  return v.fail(EMFILE, "64 descriptors are open");
}

export function fdClose(v: Volume, f: Fd): void {
  let n = nodeAt(v, f.node - 1);
  if (DEBUG) assert(n.ref > 0, "fs: close of a descriptor whose node has no references");
  n.ref--;
  f.node = 0;
}

// The cluster holding file cluster `idx` (allocating up to it when `grow`): BAD on an error.
function clusterOf(v: Volume, n: Node, f: Fd, idx: u32, grow: bool): u32 {
  if (n.first == 0) {
    if (!grow) { v.fail(EIO, "the file has no clusters"); return BAD; }
    let c = v.alloc(0, false);
    if (c == BAD) return BAD;
    n.first = c;
    if (!updateEntry(v, n.lba, n.off, n.first, n.size)) return BAD;
  }
  if (f.ccl == 0 || f.gen != n.gen || idx < f.cidx) { f.cidx = 0; f.ccl = n.first; f.gen = n.gen; }
  while (f.cidx < idx) {
    let c = v.next(f.ccl);
    if (c == BAD) return BAD;
    if (c == EOC) {
      if (!grow) { v.fail(EIO, "the file's cluster chain is shorter than its size"); return BAD; }
      c = v.alloc(f.ccl, false);
      if (c == BAD) return BAD;
    }
    f.ccl = c; f.cidx++;
  }
  return f.ccl;
}

/** Moves `len` bytes between the file at `pos` and memory at `buf` (write: from buf, or zeros
 *  when buf is 0). The bytes moved, or -errno; the file grows as written (the caller checked
 *  the size limit and access). */
function transfer(v: Volume, n: Node, f: Fd, pos: u32, buf: usize, len: u32, write: bool): i64 {
  let done: u32 = 0, cb = v.clusterBytes;
  while (done < len) {
    let at = pos + done, c = clusterOf(v, n, f, at / cb, write);
    if (c == BAD) return <i64>v.err;
    let inC = at % cb, chunk = min(len - done, cb - inC);
    let lba = v.clusterLba(c) + (inC >> 9), inS = inC & 511;
    if (inS == 0 && chunk >= SECTOR && buf != 0) {            // whole sectors: straight to the device
      // One device call for a run of consecutive clusters (up to RUN bytes).
      let last = c;
      while (inC + chunk == cb * (last - c + 1) && len - done > chunk && chunk < RUN) {
        let nx = clusterOf(v, n, f, (at + chunk) / cb, write);
        if (nx == BAD) return <i64>v.err;
        if (nx != last + 1) break;
        last = nx;
        chunk = min(len - done, chunk + cb);
      }
      let k = chunk >> 9, p = buf + done;
      if (write) {
        if (v.dev.write(<u64>lba, k, p) < 0) return <i64>v.fail(EIO, "the device failed a write");
        v.cache.wroteAround(lba, k, p);
      } else {
        if (v.dev.read(<u64>lba, k, p) < 0) return <i64>v.fail(EIO, "the device failed a read");
        v.cache.readAround(lba, k, p);
      }
      chunk = k << 9;
    } else {                                                  // a part of one sector: the cache
      chunk = min(chunk, SECTOR - inS);
      let s = v.cache.get(lba, write && inS == 0 && chunk == SECTOR);
      if (s == 0) return <i64>v.fail(EIO, "a data sector cannot be read");
      if (!write) memory.copy(buf + done, s + inS, chunk);
      else {
        if (buf == 0) memory.fill(s + inS, 0, chunk); else memory.copy(s + inS, buf + done, chunk);
        v.cache.dirty(s, DATA);
      }
    }
    done += chunk;
    if (write && pos + done > n.size) n.size = pos + done;
  }
  return <i64>done;
}

/** read(2): up to len bytes at the position. */
export function fileRead(v: Volume, f: Fd, buf: usize, len: u32): i64 {
  if ((f.flags & O_ACCMODE) == O_WRONLY) return <i64>v.fail(EBADF, "the file is open for writing only");
  let n = nodeAt(v, f.node - 1);
  if (f.pos >= n.size) return 0;
  let r = transfer(v, n, f, f.pos, buf, min(len, n.size - f.pos), false);
  if (r > 0) f.pos += <u32>r;
  return r;
}

// Grows n to `size` with zeros.
function extend(v: Volume, n: Node, f: Fd, size: u32): i32 {
  let old = n.size;
  if (size <= old) return 0;
  let r = transfer(v, n, f, old, 0, size - old, true);
  if (r < 0) return <i32>r;
  return updateEntry(v, n.lba, n.off, n.first, n.size) ? 0 : v.err;
}

/** write(2): len bytes at the position (at the end with O_APPEND); a gap before it reads as zeros. */
export function fileWrite(v: Volume, f: Fd, buf: usize, len: u32): i64 {
  if ((f.flags & O_ACCMODE) == O_RDONLY) return <i64>v.fail(EBADF, "the file is open for reading only");
  if (v.readOnly) return <i64>v.fail(EROFS, "the device is read-only");
  let n = nodeAt(v, f.node - 1);
  if ((f.flags & O_APPEND) != 0) f.pos = n.size;
  if (<u64>f.pos + <u64>len > MAX_SIZE) return <i64>v.fail(EFBIG, "a FAT file ends below 4 GiB");
  if (len == 0) return 0;
  if (f.pos > n.size) { let e = extend(v, n, f, f.pos); if (e < 0) return <i64>e; }
  let before = n.size, first = n.first;
  let r = transfer(v, n, f, f.pos, buf, len, true);
  if (n.size != before || n.first != first) {
    if (!updateEntry(v, n.lba, n.off, n.first, n.size) && r >= 0) r = <i64>v.err;
  }
  if (r > 0) f.pos += <u32>r;
  return r;
}

/** lseek(2): the new position, or -errno (EINVAL for a negative one or past 4 GiB − 1). */
export function fileSeek(v: Volume, f: Fd, off: i64, whence: u32): i64 {
  let n = nodeAt(v, f.node - 1), base: i64;
  if (whence == SEEK_SET) base = 0;
  else if (whence == SEEK_CUR) base = <i64>f.pos;
  else if (whence == SEEK_END) base = <i64>n.size;
  else return <i64>v.fail(EINVAL, "whence is not SEEK_SET, SEEK_CUR or SEEK_END");
  let p = base + off;
  if (p < 0 || <u64>p > MAX_SIZE) return <i64>v.fail(EINVAL, "the position would be negative or past 4 GiB - 1");
  f.pos = <u32>p;
  return p;
}

/** ftruncate(2): the file's size becomes `size` (freed clusters, or zeros). */
export function fileTruncate(v: Volume, f: Fd, size: u64): i32 {
  if ((f.flags & O_ACCMODE) == O_RDONLY) return v.fail(EBADF, "the file is open for reading only");
  if (v.readOnly) return v.fail(EROFS, "the device is read-only");
  if (size > MAX_SIZE) return v.fail(EFBIG, "a FAT file ends below 4 GiB");
  let n = nodeAt(v, f.node - 1), s = <u32>size;
  if (s > n.size) return extend(v, n, f, s);
  let keep = <u32>((<u64>s + v.clusterBytes - 1) / v.clusterBytes);
  if (n.first != 0) {
    if (keep == 0) {
      if (!v.freeChain(n.first)) return v.err;
      n.first = 0;
    } else {
      let c = clusterOf(v, n, f, keep - 1, false);
      if (c == BAD || !v.cutAfter(c)) return v.err;
    }
  }
  n.gen++;
  n.size = s;
  return updateEntry(v, n.lba, n.off, n.first, n.size) ? 0 : v.err;
}

/** The node a descriptor is on. */
export function fdNode(v: Volume, f: Fd): Node { return nodeAt(v, f.node - 1); }
