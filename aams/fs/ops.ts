// ops.ts: the file system's operations on paths: open, unlink, rename, mkdir, rmdir, readdir,
// stat, and statfs. Each runs under the volume's mutex (machine.ts) and returns a result or
// -errno with the volume's err/detail set. Owns: the POSIX rules of each operation (which error
// when), the "." and ".." entries of new directories. Not: the records' bytes (dir.ts), file data
// (file.ts), messages (machine.ts).
//
// Open files (nodes) are found by their short entry's place; unlink and rename of an open file
// are refused (EBUSY), so an entry that moves or goes never leaves a node behind.
import { heapAlloc, heapFree } from "aam";
import { FsStat, FsDirent, FsStatfs, FsType } from "./fs_igen_client";
import { DIR } from "./cache";
import { Volume, BAD } from "./volume";
import { Walk, walk, lookup, addEntry, removeEntry, entCluster, dirOf, isEmpty, nextEntry,
  ATTR_DIR, ATTR_ARCHIVE, ATTR_LABEL, FAT_DATE } from "./dir";
import { fdOpen, checkChain, nodeFind, fileTruncate, fdGet, O_ACCMODE, O_RDONLY, O_CREAT, O_EXCL, O_TRUNC, O_APPEND } from "./file";
import { ENOENT, EEXIST, EISDIR, ENOTDIR, ENOTEMPTY, EINVAL, EBUSY, EROFS, EIO } from "./errno";
import { ucs2ToUtf8, isDots } from "./name";

/** The two walks of a volume (a rename needs both); made at attach. */
@unmanaged export class Walks { a: Walk; b: Walk; }

export function opOpen(v: Volume, ws: Walks, p: usize, len: u32, flags: u32): i32 {
  if ((flags & ~(O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND)) != 0 || (flags & O_ACCMODE) == O_ACCMODE) return v.fail(EINVAL, "unknown open flags");
  let w = ws.a, writing = (flags & O_ACCMODE) != O_RDONLY;
  let r = walk(v, w, p, len, true);
  if (r < 0) return r;
  if (w.lastUnits == 0) return v.fail(EISDIR, "the root directory is read with readdir");
  let dir = w.dir;
  r = lookup(v, w, dir);
  if (r < 0) return r;
  if (r == 1) {
    if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) return v.fail(EEXIST, "O_EXCL and the file exists");
    if (w.isDir) return v.fail(EISDIR, "directories are read with readdir");
    if ((writing || (flags & O_TRUNC) != 0) && v.readOnly) return v.fail(EROFS, "the device is read-only");
    let first = entCluster(v, w.ent);
    if (nodeFind(v, w.lba, w.off) < 0) { r = checkChain(v, first, w.size); if (r < 0) return r; }
    let fd = fdOpen(v, w.lba, w.off, first, w.size, flags);
    if (fd < 0 || (flags & O_TRUNC) == 0 || !writing) return fd;
    let f = fdGet(v, fd)!;
    r = fileTruncate(v, f, 0);
    return r < 0 ? r : fd;
  }
  if ((flags & O_CREAT) == 0) return v.fail(ENOENT, "");
  if (v.readOnly) return v.fail(EROFS, "the device is read-only");
  r = addEntry(v, w, dir, ATTR_ARCHIVE, 0, 0);
  if (r < 0) return r;
  return fdOpen(v, w.lba, w.off, 0, 0, flags);
}

export function opUnlink(v: Volume, ws: Walks, p: usize, len: u32): i32 {
  let w = ws.a;
  let r = walk(v, w, p, len, true);
  if (r < 0) return r;
  if (w.lastUnits == 0) return v.fail(EISDIR, "the root directory");
  r = lookup(v, w, w.dir);
  if (r < 0) return r;
  if (r == 0) return v.fail(ENOENT, "");
  if (w.isDir) return v.fail(EISDIR, "a directory is removed with rmdir");
  if (v.readOnly) return v.fail(EROFS, "the device is read-only");
  if (nodeFind(v, w.lba, w.off) >= 0) return v.fail(EBUSY, "the file is open: close it first");
  if (!removeEntry(v, w)) return v.err;
  return v.freeChain(entCluster(v, w.ent)) ? 0 : v.err;
}

export function opMkdir(v: Volume, ws: Walks, p: usize, len: u32): i32 {
  let w = ws.a;
  let r = walk(v, w, p, len, true);
  if (r < 0) return r;
  if (w.lastUnits == 0) return v.fail(EEXIST, "the root directory exists");
  let parent = w.dir;
  r = lookup(v, w, parent);
  if (r < 0) return r;
  if (r == 1) return v.fail(EEXIST, "the name exists");
  if (v.readOnly) return v.fail(EROFS, "the device is read-only");
  let c = v.alloc(0, true);
  if (c == BAD) return v.err;
  let s = v.cache.get(v.clusterLba(c));
  if (s == 0) { v.freeChain(c); return v.fail(EIO, "a new directory's sector cannot be read"); }
  let up = parent == v.root ? 0 : parent;              // ".." of a child of the root says 0
  for (let k = 0; k < 2; k++) {
    let e = s + k * 32;
    memory.fill(e, 0x20, 11);
    store<u8>(e, 0x2E);
    if (k == 1) store<u8>(e, 0x2E, 1);
    store<u8>(e, ATTR_DIR, 11);
    let cl = k == 0 ? c : up;
    store<u16>(e, <u16>(cl >> 16), 20);
    store<u16>(e, <u16>cl, 26);
    store<u16>(e, FAT_DATE, 16); store<u16>(e, FAT_DATE, 18); store<u16>(e, FAT_DATE, 24);
  }
  v.cache.dirty(s, DIR);
  r = addEntry(v, w, parent, ATTR_DIR, c, 0);
  if (r < 0) { let e = v.err, d = v.detail; v.freeChain(c); v.err = e; v.detail = d; }
  return r;
}

export function opRmdir(v: Volume, ws: Walks, p: usize, len: u32): i32 {
  let w = ws.a, x = ws.b;
  let r = walk(v, w, p, len, true);
  if (r < 0) return r;
  if (w.lastUnits == 0) return v.fail(EBUSY, "the root directory cannot be removed");
  if (isDots(w.last, w.lastUnits)) return v.fail(EINVAL, "\".\" or \"..\" cannot be removed");
  r = lookup(v, w, w.dir);
  if (r < 0) return r;
  if (r == 0) return v.fail(ENOENT, "");
  if (!w.isDir) return v.fail(ENOTDIR, "");
  if (v.readOnly) return v.fail(EROFS, "the device is read-only");
  let c = entCluster(v, w.ent);
  if (c == 0 || !v.validCluster(c)) return v.fail(EIO, "a directory entry points outside the volume");
  r = isEmpty(v, x, c);
  if (r < 0) return r;
  if (r == 0) return v.fail(ENOTEMPTY, "it has entries");
  if (!removeEntry(v, w)) return v.err;
  return v.freeChain(c) ? 0 : v.err;
}

// Is directory `inner` the directory `outer` or below it? (walks ".." up to the root)
function below(v: Volume, w: Walk, inner: u32, outer: u32): i32 {
  let d = inner;
  for (let k: u32 = 0; k < 4096; k++) {
    if (d == outer) return 1;
    if (d == v.root) return 0;
    store<u16>(w.last, 0x2E); store<u16>(w.last, 0x2E, 2); w.lastUnits = 2;
    let r = lookup(v, w, d);
    if (r < 0) return r;
    if (r == 0) return v.fail(EIO, "a directory without \"..\"");
    d = dirOf(v, entCluster(v, w.ent));
  }
  return v.fail(EIO, "directories nested more than 4096 deep (or a cycle)");
}

export function opRename(v: Volume, ws: Walks, fp: usize, flen: u32, tp: usize, tlen: u32): i32 {
  let a = ws.a, b = ws.b;
  let r = walk(v, a, fp, flen, true);
  if (r < 0) return r;
  if (a.lastUnits == 0 || isDots(a.last, a.lastUnits)) return v.fail(EBUSY, "the root, \".\" and \"..\" cannot be renamed");
  r = lookup(v, a, a.dir);
  if (r < 0) return r;
  if (r == 0) return v.fail(ENOENT, "");
  r = walk(v, b, tp, tlen, true);
  if (r < 0) return r;
  if (b.lastUnits == 0 || isDots(b.last, b.lastUnits)) return v.fail(EBUSY, "the root, \".\" and \"..\" cannot be replaced");
  if (v.readOnly) return v.fail(EROFS, "the device is read-only");
  if (nodeFind(v, a.lba, a.off) >= 0) return v.fail(EBUSY, "the file is open: close it first");
  let fromDir = a.isDir, fromCl = entCluster(v, a.ent), toParent = b.dir;
  if (fromDir) {
    r = below(v, b, toParent, fromCl);
    if (r < 0) return r;
    if (r == 1) return v.fail(EINVAL, "a directory cannot move into itself");
  }
  // `b` walked to the target's parent and then `below` used it: find the target again.
  r = walk(v, b, tp, tlen, true);
  if (r < 0) return r;
  r = lookup(v, b, toParent);
  if (r < 0) return r;
  let ent = heapAlloc(32);
  memory.copy(ent, a.ent, 32);
  if (r == 1) {
    if (b.lba == a.lba && b.off == a.off) {              // the same entry: a new spelling of its name
      r = removeEntry(v, a) ? addEntry(v, b, toParent, load<u8>(ent, 11), fromCl, load<u32>(ent, 28)) : v.err;
      if (r == 0) r = copyEntryTail(v, b, ent);
      heapFree(ent);
      return r;
    }
    let toCl = entCluster(v, b.ent);
    if (b.isDir && !fromDir) { heapFree(ent); return v.fail(EISDIR, "the target is a directory"); }
    if (!b.isDir && fromDir) { heapFree(ent); return v.fail(ENOTDIR, "the target is not a directory"); }
    if (nodeFind(v, b.lba, b.off) >= 0) { heapFree(ent); return v.fail(EBUSY, "the target is open"); }
    if (b.isDir) {
      let save = b.lastUnits;
      let q = isEmpty(v, a, toCl);                     // a is done with: its entry is copied
      if (q < 0) { heapFree(ent); return q; }
      if (q == 0) { heapFree(ent); return v.fail(ENOTEMPTY, "the target directory has entries"); }
      b.lastUnits = save;
      r = walk(v, a, fp, flen, true);                  // a again: the source entry
      if (r == 0) r = lookup(v, a, a.dir) == 1 ? 0 : v.fail(EIO, "the source vanished");
      if (r < 0) { heapFree(ent); return r; }
    }
    if (!removeEntry(v, b) || !v.freeChain(toCl)) { heapFree(ent); return v.err; }
  }
  // Add the new entry first, then remove the old one: a crash between leaves two names, never none.
  r = addEntry(v, b, toParent, load<u8>(ent, 11), fromCl, load<u32>(ent, 28));
  if (r == 0) r = copyEntryTail(v, b, ent);
  if (r == 0) {
    r = walk(v, a, fp, flen, true);
    if (r == 0) r = lookup(v, a, a.dir) == 1 ? 0 : v.fail(EIO, "the source vanished");
    if (r == 0 && !removeEntry(v, a)) r = v.err;
  }
  if (r == 0 && fromDir && a.dir != toParent) {        // its ".." names the new parent
    let s = v.cache.get(v.clusterLba(fromCl));
    if (s == 0) r = v.fail(EIO, "a directory sector cannot be read");
    else if (load<u8>(s, 32) == 0x2E && load<u8>(s, 33) == 0x2E) {
      let up = toParent == v.root ? 0 : toParent;
      store<u16>(s, <u16>(up >> 16), 52);
      store<u16>(s, <u16>up, 58);
      v.cache.dirty(s, DIR);
    }
  }
  heapFree(ent);
  return r;
}

// The moved entry keeps its attributes' extra bytes and times (bytes 12..25 but the cluster).
function copyEntryTail(v: Volume, w: Walk, ent: usize): i32 {
  let s = v.cache.get(w.lba);
  if (s == 0) return v.fail(EIO, "a directory sector cannot be read");
  memory.copy(s + w.off + 13, ent + 13, 7);
  memory.copy(s + w.off + 22, ent + 22, 4);
  v.cache.dirty(s, DIR);
  return 0;
}

function fillStat(v: Volume, w: Walk, st: FsStat): void {
  if (w.root) {
    st.size = 0; st.type_ = FsType.FS_DIR; st.attr = ATTR_DIR; st.cluster = v.root; st.mtime = 0;
    return;
  }
  st.size = w.isDir ? 0 : <u64>w.size;
  st.type_ = w.isDir ? FsType.FS_DIR : FsType.FS_FILE;
  st.attr = w.attr;
  st.cluster = entCluster(v, w.ent);
  st.mtime = <u32>load<u16>(w.ent, 24) << 16 | <u32>load<u16>(w.ent, 22);
}

export function opStat(v: Volume, ws: Walks, p: usize, len: u32, st: FsStat): i32 {
  let r = walk(v, ws.a, p, len, false);
  if (r < 0) return r;
  fillStat(v, ws.a, st);
  return 0;
}

export function opReaddir(v: Volume, ws: Walks, p: usize, len: u32, cookie: u32, d: FsDirent): i32 {
  let w = ws.a;
  let r = walk(v, w, p, len, false);
  if (r < 0) return r;
  let dir = v.root;
  if (!w.root) {
    if (!w.isDir) return v.fail(ENOTDIR, "");
    dir = dirOf(v, entCluster(v, w.ent));
    if (dir != 0 && !v.validCluster(dir)) return v.fail(EIO, "a directory entry points outside the volume");
  }
  w.start(dir);
  w.pos = cookie;
  do {
    r = nextEntry(v, w);
    if (r <= 0) return r;
  } while ((w.attr & ATTR_LABEL) != 0 || load<u8>(w.ent) == 0x2E);   // labels, "." and ".."
  d.size = w.isDir ? 0 : <u64>w.size;
  d.type_ = w.isDir ? FsType.FS_DIR : FsType.FS_FILE;
  d.attr = w.attr;
  d.next = w.pos;
  d.name_len = ucs2ToUtf8(w.name, w.units, d.name);
  let sn = d.short_name, k: u32 = 0;
  memory.fill(sn, 0, 12);
  for (let i: u32 = 0; i < 11; i++) {
    let c = load<u8>(w.ent + i);
    if (c == 0x20) continue;
    if (i == 8) store<u8>(sn + k++, 0x2E);
    store<u8>(sn + k++, c >= 0x80 ? 0x5F : c);           // OEM code page bytes: not UTF-8
  }
  return 1;
}

export function opStatfs(v: Volume, st: FsStatfs): i32 {
  st.fat_bits = v.fat32 ? 32 : 16;
  st.cluster_bytes = v.clusterBytes;
  st.clusters = v.clusters;
  st.free_clusters = v.free;
  st.total_sectors = v.totalSectors;
  st.read_only = v.readOnly ? 1 : 0;
  return 0;
}

export function fstatFill(v: Volume, lbaOff: u64, size: u32, first: u32, st: FsStat): void {
  st.size = <u64>size; st.type_ = FsType.FS_FILE; st.cluster = first;
  let s = v.cache.get(<u32>(lbaOff >> 32));
  if (s == 0) return;
  let e = s + <usize>(<u32>lbaOff);
  st.attr = load<u8>(e, 11);
  st.mtime = <u32>load<u16>(e, 24) << 16 | <u32>load<u16>(e, 22);
}
