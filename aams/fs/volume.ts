// volume.ts: one mounted FAT16/FAT32 volume: the boot sector's checks, the FAT (reading, writing,
// allocating and freeing cluster chains), FSInfo and sync.
// Owns: the Volume record (below) and every number derived from the boot sector; the rule that
// nothing is read or written outside the volume (every cluster and sector number is checked
// here before use). Not: directories (dir.ts), files (file.ts), the mutex and the machine
// (machine.ts), the sectors' caching (cache.ts).
//
// Errors: functions that can fail set `err` (a negative errno) and `detail` (a static string
// saying what is wrong) on the volume and return a sentinel (BAD, or a negative number); the
// first error of an operation wins. The operation's handler reads both after the operation.
//
// ╒════════════ Volume (heap block; one per attached device; all words guarded by `mutex`) ═════════╕
// │ dev, cache        the device and its buffer cache                                              │
// │ mutex             held by the handler for the whole of an operation (machine.ts)               │
// │ mounted           0 no (mount on the next call), 1 yes                                         │
// │ fat32             FAT32 (else FAT16)                                                           │
// │ spc, clusterBytes sectors per cluster, its bytes (512 · spc)                                   │
// │ fatStart, fatSectors, nfats   the first FAT's sector and size; copies follow it                │
// │ rootStart, rootSectors        FAT16's fixed root directory (0 on FAT32)                        │
// │ dataStart         the sector of cluster 2                                                      │
// │ clusters          data clusters: valid numbers are 2 .. clusters + 1                           │
// │ rootCluster       FAT32's root directory chain (0 on FAT16: the fixed root)                    │
// │ fsinfo            FSInfo's sector (FAT32; 0: none)                                             │
// │ free, hint        free clusters (counted at mount), where the next allocation looks first     │
// │ totalSectors      the volume's size as the boot sector says (≤ the device's)                   │
// │ readOnly          the device is read-only                                                      │
// │ err, detail       the running operation's first error (−errno) and what it is about             │
// │ files, fds        open-file nodes and descriptors (file.ts)                                    │
// │ walks             two directory walks (dir.ts Walk; ops.ts Walks: a rename needs both)         │
// │ name, name2, sfn  scratch for names (dir.ts): UCS-2 and 8.3 buffers, one operation at a time   │
// ╘══════════════════════════════════════════════════════════════════════════════════════════════════╛
import { heapAlloc, heapFree, Mutex } from "aam";
import { BlockDev, SECTOR } from "./blockdev";
import { Cache, FAT, DIR } from "./cache";
import { EIO, EINVAL, ENOSPC, EROFS } from "./errno";

// @ts-ignore: decorator
@inline const DEBUG: bool = isDefined(AAM_DEBUG);

export const CACHE_SECTORS: u32 = 512;        // 256 KiB of cache per volume
export const EOC: u32 = 0x0FFFFFFF;           // a chain's end, as fatGet returns it
export const BAD: u32 = 0xFFFFFFFF;           // an error: see Volume.err
export const NAME_UNITS: u32 = 255;           // the longest VFAT name in UCS-2 units

@unmanaged
export class Volume {
  dev: BlockDev;
  cache: Cache;
  mutex: Mutex;
  mounted: u32;
  fat32: bool;
  readOnly: bool;
  spc: u32;
  clusterBytes: u32;
  fatStart: u32;
  fatSectors: u32;
  nfats: u32;
  rootStart: u32;
  rootSectors: u32;
  dataStart: u32;
  clusters: u32;
  rootCluster: u32;
  fsinfo: u32;
  free: u32;
  hint: u32;
  totalSectors: u32;
  err: i32;
  detail: string;
  files: usize;
  fds: usize;
  walks: usize;
  name: usize;
  name2: usize;
  sfn: usize;

  static create(dev: BlockDev): Volume {
    let v = changetype<Volume>(heapAlloc(offsetof<Volume>()));
    memory.fill(changetype<usize>(v), 0, offsetof<Volume>());
    v.dev = dev;
    v.cache = Cache.create(dev, CACHE_SECTORS);
    v.mutex = Mutex.create();
    v.detail = "";
    v.name = heapAlloc(2 * (NAME_UNITS + 1));
    v.name2 = heapAlloc(2 * (NAME_UNITS + 1));
    v.sfn = heapAlloc(32);
    return v;
  }

  /** Records the operation's first error; returns -e (for `return v.fail(...)`). */
  fail(e: i32, detail: string): i32 {
    if (this.err == 0) { this.err = -e; this.detail = detail; }
    return -e;
  }

  /** The root directory's handle: its first cluster, or 0 for FAT16's fixed root. */
  @inline get root(): u32 { return this.fat32 ? this.rootCluster : 0; }
  @inline validCluster(c: u32): bool { return c >= 2 && c <= this.clusters + 1; }
  @inline clusterLba(c: u32): u32 { return this.dataStart + (c - 2) * this.spc; }

  // ──── mount ────

  /** Reads and checks the boot sector, counts free clusters. 0 or -errno (err/detail set). */
  mount(): i32 {
    this.err = 0;
    this.cache.drop();
    let n = this.dev.sectors();
    if (n < 1) return this.fail(EINVAL, "the device is empty");
    let b = this.cache.get(0);
    if (b == 0) return this.fail(EIO, "the boot sector cannot be read");
    if (load<u8>(b, 510) != 0x55 || load<u8>(b, 511) != 0xAA) return this.fail(EINVAL, "no boot sector signature (0x55 0xAA at byte 510): not a FAT volume");
    let j = load<u8>(b);
    if (j != 0xEB && j != 0xE9) return this.fail(EINVAL, "the boot sector does not start with a jump (0xEB or 0xE9): not a FAT volume");
    let bps = <u32>load<u16>(b, 11), spc = <u32>load<u8>(b, 13), reserved = <u32>load<u16>(b, 14);
    let nfats = <u32>load<u8>(b, 16), rootEntries = <u32>load<u16>(b, 17);
    let total = <u32>load<u16>(b, 19), fat16Size = <u32>load<u16>(b, 22);
    if (total == 0) total = load<u32>(b, 32);
    if (bps != 512) return this.fail(EINVAL, bps == 0 ? "bytes per sector is 0" : "bytes per sector is not 512 (the only size supported)");
    if (spc == 0 || (spc & (spc - 1)) != 0 || spc > 128) return this.fail(EINVAL, spc == 0 ? "sectors per cluster is 0" : "sectors per cluster is not a power of two up to 128");
    if (reserved == 0) return this.fail(EINVAL, "reserved sectors is 0 (the boot sector is one)");
    if (nfats == 0 || nfats > 4) return this.fail(EINVAL, nfats == 0 ? "the number of FATs is 0" : "more than 4 FATs");
    if (total == 0) return this.fail(EINVAL, "total sectors is 0");
    if (<u64>total > n) return this.fail(EIO, "truncated image: the boot sector counts more sectors than the device has");
    let fatSize = fat16Size != 0 ? fat16Size : load<u32>(b, 36);
    if (fatSize == 0) return this.fail(EINVAL, "sectors per FAT is 0");
    let rootSectors = (rootEntries * 32 + 511) / 512;
    let meta = <u64>reserved + <u64>nfats * <u64>fatSize + <u64>rootSectors;
    if (meta >= <u64>total) return this.fail(EINVAL, "the FATs and root directory do not fit in the volume");
    let clusters = (total - <u32>meta) / spc;
    if (clusters < 4085) return this.fail(EINVAL, "FAT12 volume (under 4085 clusters): only FAT16 and FAT32 are supported");
    let fat32 = clusters >= 65525;
    if (fat32) {
      if (fat16Size != 0 || rootEntries != 0) return this.fail(EINVAL, "FAT32 cluster count but FAT16 fields (root entries or 16-bit FAT size) set");
      if (load<u16>(b, 42) != 0) return this.fail(EINVAL, "FAT32 version is not 0.0");
      let ext = <u32>load<u16>(b, 40);
      if ((ext & 0x80) != 0 && (ext & 0xF) != 0) return this.fail(EINVAL, "FAT mirroring is off with another active FAT than the first: not supported");
      if (clusters > 0x0FFFFFF5) return this.fail(EINVAL, "too many clusters for FAT32");
    } else if (rootEntries == 0) return this.fail(EINVAL, "FAT16 volume with 0 root directory entries");
    let perFat = <u64>fatSize * 512 / (fat32 ? 4 : 2);
    if (perFat < <u64>clusters + 2) return this.fail(EINVAL, "the FAT is too small for the volume's clusters");
    this.fat32 = fat32;
    this.spc = spc;
    this.clusterBytes = spc * 512;
    this.nfats = nfats;
    this.fatStart = reserved;
    this.fatSectors = fatSize;
    this.rootStart = fat32 ? 0 : reserved + nfats * fatSize;
    this.rootSectors = fat32 ? 0 : rootSectors;
    this.dataStart = <u32>meta;
    this.clusters = clusters;
    this.totalSectors = total;
    this.rootCluster = 0;
    this.fsinfo = 0;
    if (fat32) {
      let rc = load<u32>(b, 44);
      if (!this.validCluster(rc)) return this.fail(EINVAL, "the root directory's cluster is outside the volume");
      this.rootCluster = rc;
      let fi = <u32>load<u16>(b, 48);
      if (fi != 0 && fi != 0xFFFF && fi < reserved) {
        let s = this.cache.get(fi);
        if (s == 0) return this.fail(EIO, "the FSInfo sector cannot be read");
        if (load<u32>(s) == 0x41615252 && load<u32>(s, 484) == 0x61417272) this.fsinfo = fi;
      }
    }
    this.cache.fatStart = reserved;
    this.cache.fatSectors = fatSize;
    this.cache.nfats = nfats;
    this.readOnly = this.dev.readOnly();
    let r = this.countFree();
    if (r < 0) return r;
    this.hint = 2;
    this.mounted = 1;
    return 0;
  }

  // Counts free clusters, reading the FAT straight from the device in pieces.
  private countFree(): i32 {
    const PIECE: u32 = 64;
    let buf = heapAlloc(PIECE * SECTOR), free: u32 = 0, c: u32 = 0, last = this.clusters + 1;
    let per: u32 = this.fat32 ? 128 : 256;
    for (let s: u32 = 0; s < this.fatSectors && c <= last; s += PIECE) {
      let k = min(PIECE, this.fatSectors - s);
      if (this.dev.read(<u64>(this.fatStart + s), k, buf) < 0) { heapFree(buf); return this.fail(EIO, "the FAT cannot be read"); }
      this.cache.readAround(this.fatStart + s, k, buf);
      for (let i: u32 = 0; i < k * per && c <= last; i++, c++) {
        let v = this.fat32 ? load<u32>(buf + (<usize>i << 2)) & 0x0FFFFFFF : <u32>load<u16>(buf + (<usize>i << 1));
        if (c >= 2 && v == 0) free++;
      }
    }
    heapFree(buf);
    this.free = free;
    return 0;
  }

  // ──── the FAT ────

  /** The FAT entry of cluster c: 0 free, the next cluster, EOC; BAD (err set) for an entry that
   *  is no valid next cluster (a bad-cluster mark, 1, or past the volume) or an I/O error. */
  fatGet(c: u32): u32 {
    let v = this.fatRaw(c);
    if (v == 0 || v == BAD) return v;
    if (this.fat32 ? v >= 0x0FFFFFF8 : v >= 0xFFF8) return EOC;
    if (!this.validCluster(v)) { this.fail(EIO, "a cluster chain points outside the volume (or at a bad cluster)"); return BAD; }
    return v;
  }

  /** The FAT entry of cluster c as stored (FAT32: its low 28 bits); BAD on an I/O error. */
  fatRaw(c: u32): u32 {
    if (DEBUG) assert(this.validCluster(c), "fs: fatRaw of a cluster outside the volume");
    let off = this.fat32 ? c << 2 : c << 1;
    let s = this.cache.get(this.fatStart + (off >> 9));
    if (s == 0) { this.fail(EIO, "a FAT sector cannot be read"); return BAD; }
    return this.fat32 ? load<u32>(s + (off & 511)) & 0x0FFFFFFF : <u32>load<u16>(s + (off & 511));
  }

  /** Sets the FAT entry of cluster c (EOC: a chain's end). false on an I/O error. */
  fatSet(c: u32, v: u32): bool {
    if (DEBUG) assert(this.validCluster(c) && (v == 0 || v == EOC || this.validCluster(v)), "fs: fatSet out of range");
    let off = this.fat32 ? c << 2 : c << 1;
    let s = this.cache.get(this.fatStart + (off >> 9));
    if (s == 0) { this.fail(EIO, "a FAT sector cannot be read"); return false; }
    if (this.fat32) store<u32>(s + (off & 511), (load<u32>(s + (off & 511)) & 0xF0000000) | v);
    else store<u16>(s + (off & 511), <u16>(v == EOC ? 0xFFFF : v));
    this.cache.dirty(s, FAT);
    return true;
  }

  /** The cluster after c in its chain: a valid cluster, EOC, or BAD (err set; a free entry in a
   *  chain is corrupt too). */
  next(c: u32): u32 {
    let v = this.fatGet(c);
    if (v == 0) { this.fail(EIO, "a cluster chain runs into a free cluster"); return BAD; }
    return v;
  }

  /** A new cluster, marked as a chain's end and linked after `prev` (0: none). BAD when the
   *  volume is full (ENOSPC) or on an error. `zero`: its sectors are zeroed (for directories). */
  alloc(prev: u32, zero: bool): u32 {
    if (this.readOnly) { this.fail(EROFS, "the device is read-only"); return BAD; }
    if (this.free == 0) { this.fail(ENOSPC, "no free cluster"); return BAD; }
    let last = this.clusters + 1, c: u32 = this.hint < 2 || this.hint > last ? 2 : this.hint;
    for (let k: u32 = 0; k < this.clusters; k++) {
      let v = this.fatRaw(c);
      if (v == BAD) return BAD;
      if (v == 0) {
        if (!this.fatSet(c, EOC)) return BAD;
        if (prev != 0 && !this.fatSet(prev, c)) return BAD;
        this.free--;
        this.hint = c >= last ? 2 : c + 1;            // FSInfo's next-free stays a valid cluster
        if (zero) {
          for (let s: u32 = 0; s < this.spc; s++) {
            let d = this.cache.get(this.clusterLba(c) + s, true);
            if (d == 0) { this.fail(EIO, "a directory sector cannot be cached"); return BAD; }
            this.cache.dirty(d, DIR);
          }
        }
        return c;
      }
      c = c >= last ? 2 : c + 1;
    }
    this.free = 0;                                   // the count was wrong: there is none
    this.fail(ENOSPC, "no free cluster");
    return BAD;
  }

  /** Frees the chain that starts at c (0: nothing). A chain that is cyclic, leaves the volume or
   *  runs into a free cluster is left as it is (err set): it is walked whole before any change. */
  freeChain(c: u32): bool {
    if (c == 0 || c == EOC) return true;
    if (!this.validCluster(c)) { this.fail(EIO, "a directory entry points outside the volume"); return false; }
    let x = c, n: u32 = 0;
    while (x != EOC) {
      if (++n > this.clusters) { this.fail(EIO, "cyclic cluster chain"); return false; }
      x = this.next(x);
      if (x == BAD) return false;
    }
    for (let k: u32 = 0; c != 0 && c != EOC && k <= this.clusters; k++) {
      let n = this.next(c);
      if (n == BAD) return false;
      if (!this.fatSet(c, 0)) return false;
      this.free++;
      if (c < this.hint) this.hint = c;
      c = n;
    }
    if (c != 0 && c != EOC) { this.fail(EIO, "cyclic cluster chain"); return false; }
    return true;
  }

  /** Ends the chain at c (its following clusters freed). */
  cutAfter(c: u32): bool {
    let n = this.next(c);
    if (n == BAD) return false;
    if (n == EOC) return true;
    if (!this.fatSet(c, EOC)) return false;
    return this.freeChain(n);
  }

  // ──── sync ────

  /** Every dirty sector to the device (data, FAT copies, directories, FSInfo), then a flush. */
  sync(): i32 {
    if (this.mounted == 0 || this.readOnly) return 0;
    if (this.fsinfo != 0) {
      let s = this.cache.get(this.fsinfo);
      if (s == 0) return this.fail(EIO, "the FSInfo sector cannot be read");
      if (load<u32>(s, 488) != this.free || load<u32>(s, 492) != this.hint) {
        store<u32>(s, this.free, 488);
        store<u32>(s, this.hint, 492);
        this.cache.dirty(s, DIR);                    // written with the directories: last
      }
    }
    let r = this.cache.sync();
    if (r < 0) return this.fail(-r, "the device failed a write");
    r = this.dev.flush();
    if (r < 0) return this.fail(-r, "the device failed a flush");
    return 0;
  }
}
