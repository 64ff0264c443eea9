// dir.ts: directories: their entries (32 bytes each, long-name entries before a short one),
// finding a name, adding and removing entries, and walking a path.
// Owns: the directory entry layout, the Walk record (a position in a directory and the entry
// found there). Not: names' rules (name.ts), the FAT (volume.ts), open files (file.ts).
//
// A directory is named by its first cluster; 0 is FAT16's fixed root (the root's own entries
// say 0 in ".." on both FAT16 and FAT32). Entry i of a directory lives at byte 32·i of its chain;
// a directory holds at most 65536 entries (FAT's limit), so every scan ends, cyclic chain or not.
//
// ╒════ short entry (32 bytes) ════╕  ╒════ long-name entry (32 bytes) ══════════════╕
// │ 0  name 8 + ext 3 (0xE5 free,  │  │ 0  order: 1..20, | 0x40 on the last (first  │
// │    0x00 free and all after)    │  │    stored); 0xE5 free                        │
// │ 11 attr (0x0F: a long entry)   │  │ 1  units 1-5   11 attr 0x0F   12 type 0      │
// │ 12 NT case bits 13-19 created  │  │ 13 checksum of the short name                │
// │ 20 cluster high 22-25 written  │  │ 14 units 6-11  26 cluster 0                  │
// │ 26 cluster low  28 size u32    │  │ 28 units 12-13 (after the name: 0, 0xFFFF…)  │
// ╘════════════════════════════════╛  ╘══════════════════════════════════════════════╛
import { heapAlloc } from "aam";
import { DIR } from "./cache";
import { Volume, BAD, EOC, NAME_UNITS } from "./volume";
import { EIO, ENOENT, ENOTDIR, ENOSPC, ENAMETOOLONG, EINVAL, EROFS } from "./errno";
import { utf8ToUcs2, sameName, isDots, checkNewName, shortBasis, withTail, lfnChecksum, shortToUcs2 } from "./name";

// @ts-ignore: decorator
@inline const DEBUG: bool = isDefined(AAM_DEBUG);

export const ATTR_RO: u8 = 0x01, ATTR_HIDDEN: u8 = 0x02, ATTR_SYSTEM: u8 = 0x04, ATTR_LABEL: u8 = 0x08;
export const ATTR_DIR: u8 = 0x10, ATTR_ARCHIVE: u8 = 0x20, ATTR_LFN: u8 = 0x0F;
export const MAX_ENTRIES: u32 = 65536;
export const END: u32 = 0xFFFFFFFE;                  // past a directory's last entry
export const PATH_MAX: u32 = 4096;
/** The date every entry written here carries (no wall clock in the system): 2026-01-01 00:00. */
export const FAT_DATE: u16 = <u16>((46 << 9) | (1 << 5) | 1);

/** A position in a directory and the entry found at it (heap block; two per volume). */
@unmanaged
export class Walk {
  dir: u32;            // the directory scanned (first cluster; 0 the fixed root)
  pos: u32;            // next entry index to look at
  cidx: u32;           // cursor: cluster index `cl` is of the chain
  cl: u32;
  index: u32;          // the found short entry's index
  first: u32;          // its first long-name entry (== index without one)
  lba: u32;            // the sector and byte of the found short entry
  off: u32;
  units: u32;          // its name's UCS-2 units (in `name`)
  root: bool;          // the walked path is the root itself (no entry)
  ent: usize;          // a copy of the short entry (32 bytes)
  name: usize;         // its long (or formatted short) name, UCS-2
  last: usize;         // the last component of a walked path, UCS-2
  lastUnits: u32;

  static create(): Walk {
    let w = changetype<Walk>(heapAlloc(offsetof<Walk>()));
    memory.fill(changetype<usize>(w), 0, offsetof<Walk>());
    w.ent = heapAlloc(32);
    w.name = heapAlloc(2 * (NAME_UNITS + 1));
    w.last = heapAlloc(2 * (NAME_UNITS + 1));
    return w;
  }

  start(dir: u32): void { this.dir = dir; this.pos = 0; this.cidx = 0; this.cl = 0; this.root = false; }
  @inline get attr(): u8 { return load<u8>(this.ent, 11); }
  @inline get isDir(): bool { return (this.attr & ATTR_DIR) != 0; }
  @inline get size(): u32 { return load<u32>(this.ent, 28); }
}

/** The first cluster of a short entry. */
export function entCluster(v: Volume, ent: usize): u32 {
  return (v.fat32 ? <u32>load<u16>(ent, 20) << 16 : 0) | <u32>load<u16>(ent, 26);
}

/** The directory a ".." or a directory entry's cluster names (0 in an entry means the root). */
export function dirOf(v: Volume, cluster: u32): u32 { return cluster == 0 ? v.root : cluster; }

/** The sector of entry i of w's directory: END past its last, BAD on an error (v.err). */
export function entryLba(v: Volume, w: Walk, i: u32): u32 {
  if (i >= MAX_ENTRIES) return END;
  let off = i << 5;
  if (w.dir == 0) return i < v.rootSectors * 16 ? v.rootStart + (off >> 9) : END;
  let ci = off / v.clusterBytes;
  if (w.cl == 0 || ci < w.cidx) {
    if (!v.validCluster(w.dir)) { v.fail(EIO, "a directory entry points outside the volume"); return BAD; }
    w.cidx = 0; w.cl = w.dir;
  }
  while (w.cidx < ci) {
    let n = v.next(w.cl);
    if (n == BAD) return BAD;
    if (n == EOC) return END;
    w.cl = n; w.cidx++;
  }
  return v.clusterLba(w.cl) + ((off % v.clusterBytes) >> 9);
}

// The bytes of entry i (in the cache: valid until the next sector is got), or 0 at END/BAD.
function entryAt(v: Volume, w: Walk, i: u32): usize {
  let lba = entryLba(v, w, i);
  if (lba == END || lba == BAD) return 0;
  let s = v.cache.get(lba);
  if (s == 0) { v.fail(EIO, "a directory sector cannot be read"); return 0; }
  return s + ((<usize>i << 5) & 511);
}

/** The next live short entry of w's directory from w.pos on (labels and dot entries too): 1 with
 *  w's fields set, 0 at the end, -errno. Long names are checked (order, checksum) and used when
 *  whole, else the short name is. */
export function nextEntry(v: Volume, w: Walk): i32 {
  let expect: u32 = 0, chk: u32 = 0, total: u32 = 0;
  for (let i = w.pos; ; i++) {
    let lba = entryLba(v, w, i);
    if (lba == BAD) return v.err;
    if (lba == END) { w.pos = i; return i >= MAX_ENTRIES && w.dir != 0 ? v.fail(EIO, "a directory of more than 65536 entries (or a cyclic chain)") : 0; }
    let s = v.cache.get(lba);
    if (s == 0) return v.fail(EIO, "a directory sector cannot be read");
    let e = s + ((<usize>i << 5) & 511), b0 = <u32>load<u8>(e);
    if (b0 == 0) { w.pos = i; return 0; }
    if (b0 == 0xE5) { expect = 0; continue; }
    let attr = load<u8>(e, 11);
    if ((attr & 0x3F) == ATTR_LFN) {
      let ord = b0 & 0x1F;
      if ((b0 & 0x40) != 0) {
        if (ord == 0 || ord > 20) { expect = 0; continue; }
        expect = ord; chk = <u32>load<u8>(e, 13); total = ord * 13; w.first = i;
        for (let k: u32 = 0; k < total && k <= NAME_UNITS; k++) store<u16>(w.name + (<usize>k << 1), 0);
      } else if (expect == 0 || ord != expect || <u32>load<u8>(e, 13) != chk) { expect = 0; continue; }
      let at = (ord - 1) * 13;
      for (let k: u32 = 0; k < 13; k++) {
        let src: usize = k < 5 ? 1 + k * 2 : k < 11 ? 14 + (k - 5) * 2 : 28 + (k - 11) * 2;
        if (at + k < NAME_UNITS + 1) store<u16>(w.name + (<usize>(at + k) << 1), load<u16>(e + src));
      }
      expect = ord - 1 == 0 ? 0x100 : ord - 1;    // 0x100: complete, the short entry comes next
      continue;
    }
    memory.copy(w.ent, e, 32);
    w.index = i; w.lba = lba; w.off = <u32>((<usize>i << 5) & 511); w.pos = i + 1;
    let units: u32 = 0;
    if (expect == 0x100 && <u32>lfnChecksum(e) == chk) {
      while (units < total && units < NAME_UNITS + 1 && load<u16>(w.name + (<usize>units << 1)) != 0) units++;
      if (units > NAME_UNITS || units == 0) units = 0;
    }
    if (units == 0) { w.first = i; units = shortToUcs2(e, w.name); }
    w.units = units;
    return 1;
  }
  return 0;
}

/** Looks for w.last in directory `dir`: 1 found (w's fields set), 0 not there, -errno. */
export function lookup(v: Volume, w: Walk, dir: u32): i32 {
  w.start(dir);
  for (;;) {
    let r = nextEntry(v, w);
    if (r <= 0) return r;
    if ((w.attr & ATTR_LABEL) != 0) continue;
    if (sameName(w.name, w.units, w.last, w.lastUnits)) return 1;
    let n = shortToUcs2(w.ent, v.name2);           // the short name matches too ("PROGRA~1")
    if (sameName(v.name2, n, w.last, w.lastUnits)) return 1;
  }
  return 0;
}

/** Walks `path` (UTF-8 at p, len bytes; '/' separated, "." and ".." understood) from the root.
 *  parentOnly: stops before the last component, which is left in w.last (then w.dir is its
 *  directory; w.lastUnits 0 for the root itself); else resolves it too (w.root, or the entry). */
export function walk(v: Volume, w: Walk, p: usize, len: u32, parentOnly: bool): i32 {
  if (len > PATH_MAX) return v.fail(ENAMETOOLONG, "the path is longer than 4096 bytes");
  let dir = v.root, i: u32 = 0;
  w.start(dir); w.root = true; w.lastUnits = 0;
  while (i < len) {
    while (i < len && load<u8>(p + i) == 0x2F) i++;
    if (i >= len) break;
    let j = i;
    while (j < len && load<u8>(p + j) != 0x2F) j++;
    let n = utf8ToUcs2(p + i, j - i, w.last);
    if (n < 0) return v.fail(-n, n == -ENAMETOOLONG ? "a name is longer than 255 characters" : "the path is not UTF-8");
    w.lastUnits = <u32>n;
    let rest = j;
    while (rest < len && load<u8>(p + rest) == 0x2F) rest++;
    let isLast = rest >= len;
    if (isLast && parentOnly) { w.dir = dir; return 0; }
    if (n == 1 && load<u16>(w.last) == 0x2E) { i = j; w.lastUnits = 0; continue; }
    if (isDots(w.last, <u32>n) && dir == v.root) { i = j; w.lastUnits = 0; w.start(dir); w.root = true; continue; }
    let r = lookup(v, w, dir);
    if (r < 0) return r;
    if (r == 0) return v.fail(ENOENT, isLast ? "" : "a directory on the path does not exist");
    w.root = false;
    if (!isLast && !w.isDir) return v.fail(ENOTDIR, "a component of the path is not a directory");
    if (w.isDir) dir = dirOf(v, entCluster(v, w.ent));
    if (isDots(w.last, <u32>n)) w.root = dir == v.root;
    i = j;
  }
  if (parentOnly) { w.dir = dir; w.lastUnits = 0; }
  else if (w.root) { w.start(v.root); w.root = true; }
  return 0;
}

/** Writes `n` bytes at src into directory entries from entry i on (they may span sectors). */
function putEntry(v: Volume, w: Walk, i: u32, src: usize): bool {
  let e = entryAt(v, w, i);
  if (e == 0) { v.fail(EIO, "a directory entry cannot be written"); return false; }
  memory.copy(e, src, 32);
  v.cache.dirty(e, DIR);
  return true;
}

/** Marks entries w.first..w.index free (0xE5). */
export function removeEntry(v: Volume, w: Walk): bool {
  if (v.readOnly) { v.fail(EROFS, "the device is read-only"); return false; }
  for (let i = w.first; i <= w.index; i++) {
    let e = entryAt(v, w, i);
    if (e == 0) return false;
    store<u8>(e, 0xE5);
    v.cache.dirty(e, DIR);
  }
  return true;
}

// Is the 11-byte short name at sfn used by an entry of dir? (-errno on an error)
function shortUsed(v: Volume, w: Walk, dir: u32, sfn: usize): i32 {
  w.start(dir);
  for (;;) {
    let r = nextEntry(v, w);
    if (r <= 0) return r;
    if (memory.compare(w.ent, sfn, 11) == 0) return 1;
  }
  return 0;
}

/** Adds an entry named w.last to directory `dir` (the caller checked it is not there): long
 *  name entries when needed, a unique short name. The short entry gets `attr`, `cluster` and
 *  `size`; w points at it afterwards. 0 or -errno. */
export function addEntry(v: Volume, w: Walk, dir: u32, attr: u8, cluster: u32, size: u32): i32 {
  if (v.readOnly) return v.fail(EROFS, "the device is read-only");
  let units = w.lastUnits;
  if (checkNewName(w.last, units) < 0) return v.fail(EINVAL, "not a valid FAT file name");
  let basis = v.sfn, sfn = v.sfn + 11 + 1;
  let kind = shortBasis(w.last, units, basis);
  memory.copy(sfn, basis, 11);
  if (kind == 2) {
    let k: u32 = 1;
    for (; k < 1000000; k++) {
      withTail(basis, k, sfn);
      let r = shortUsed(v, w, dir, sfn);
      if (r < 0) return r;
      if (r == 0) break;
    }
    if (k == 1000000) return v.fail(ENOSPC, "no short name left for this basis");
  } else if (kind == 1) {
    let r = shortUsed(v, w, dir, sfn);
    if (r < 0) return r;
    if (r == 1) {
      let k: u32 = 1;
      for (; k < 1000000; k++) {
        withTail(basis, k, sfn);
        let q = shortUsed(v, w, dir, sfn);
        if (q < 0) return q;
        if (q == 0) break;
      }
    }
  }
  let lfn: u32 = kind == 0 ? 0 : (units + 12) / 13, need = lfn + 1;
  // A run of `need` free entries, or the end of the directory (then grow it).
  w.start(dir);
  let run: u32 = 0, at: u32 = 0, i: u32 = 0, lastCl: u32 = 0;
  for (; ; i++) {
    if (i >= MAX_ENTRIES) return v.fail(ENOSPC, "the directory is full (65536 entries)");
    let lba = entryLba(v, w, i);
    if (lba == BAD) return v.err;
    if (lba == END) {
      if (dir == 0) return v.fail(ENOSPC, "the root directory is full");
      let c = v.alloc(lastCl, true);
      if (c == BAD) return v.err;
      lba = entryLba(v, w, i);
      if (lba == BAD || lba == END) return v.fail(EIO, "a directory could not be grown");
    }
    lastCl = w.cl;
    let s = v.cache.get(lba);
    if (s == 0) return v.fail(EIO, "a directory sector cannot be read");
    let b0 = load<u8>(s + ((<usize>i << 5) & 511));
    if (b0 == 0 || b0 == 0xE5) { if (run == 0) at = i; run++; } else run = 0;
    if (run == need) break;
  }
  let chk = lfnChecksum(sfn), tmp = v.name2;     // 32 bytes of scratch
  for (let k: u32 = 0; k < lfn; k++) {
    let ord = lfn - k;                              // stored last part first
    memory.fill(tmp, 0, 32);
    store<u8>(tmp, <u8>(ord | (k == 0 ? 0x40 : 0)));
    store<u8>(tmp, ATTR_LFN, 11);
    store<u8>(tmp, chk, 13);
    for (let q: u32 = 0; q < 13; q++) {
      let u = (ord - 1) * 13 + q;
      let c: u16 = u < units ? load<u16>(w.last + (<usize>u << 1)) : u == units ? 0 : 0xFFFF;
      let dst: usize = q < 5 ? 1 + q * 2 : q < 11 ? 14 + (q - 5) * 2 : 28 + (q - 11) * 2;
      store<u16>(tmp + dst, c);
    }
    if (!putEntry(v, w, at + k, tmp)) return v.err;
  }
  memory.fill(tmp, 0, 32);
  memory.copy(tmp, sfn, 11);
  store<u8>(tmp, attr, 11);
  store<u16>(tmp, FAT_DATE, 16);                   // created
  store<u16>(tmp, FAT_DATE, 18);                   // accessed
  store<u16>(tmp, <u16>(cluster >> 16), 20);
  store<u16>(tmp, FAT_DATE, 24);                   // written
  store<u16>(tmp, <u16>cluster, 26);
  store<u32>(tmp, size, 28);
  if (!putEntry(v, w, at + lfn, tmp)) return v.err;
  memory.copy(w.ent, tmp, 32);
  w.first = at; w.index = at + lfn; w.pos = w.index + 1;
  w.lba = entryLba(v, w, w.index); w.off = (w.index << 5) & 511;
  if (DEBUG) assert(w.lba != BAD && w.lba != END, "fs: a new entry's sector vanished");
  return 0;
}

/** Rewrites the short entry at (lba, off): its cluster and size, and the written date. */
export function updateEntry(v: Volume, lba: u32, off: u32, cluster: u32, size: u32): bool {
  let s = v.cache.get(lba);
  if (s == 0) { v.fail(EIO, "a directory sector cannot be read"); return false; }
  let e = s + off;
  store<u16>(e, <u16>(cluster >> 16), 20);
  store<u16>(e, <u16>cluster, 26);
  store<u32>(e, size, 28);
  store<u16>(e, FAT_DATE, 24);
  v.cache.dirty(s, DIR);
  return true;
}

/** Is directory `dir` empty (nothing but "." and "..")? 1, 0, or -errno. */
export function isEmpty(v: Volume, w: Walk, dir: u32): i32 {
  w.start(dir);
  for (;;) {
    let r = nextEntry(v, w);
    if (r < 0) return r;
    if (r == 0) return 1;
    if ((w.attr & ATTR_LABEL) != 0 && !w.isDir) continue;
    let b0 = load<u8>(w.ent);
    if (b0 == 0x2E && (load<u8>(w.ent, 1) == 0x20 || (load<u8>(w.ent, 1) == 0x2E && load<u8>(w.ent, 2) == 0x20))) continue;
    return 0;
  }
}
