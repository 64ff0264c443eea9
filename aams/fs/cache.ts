// cache.ts: the file system's buffer cache: 512-byte sectors of one device, write-back.
// Owns: which sectors are held, which are dirty and of what kind, the order dirty sectors reach
// the device (sync), the FAT mirrors (a FAT sector is written to every copy). Not: what the
// sectors mean (volume.ts, dir.ts, file.ts), locking (every call runs under the volume's mutex,
// machine.ts: one operation at a time, so nothing here is atomic).
//
// A pointer returned by get() stays valid until the next get() of another sector; the cache is
// LRU, so the last GUARD sectors got are never the victim: code may hold two sector pointers
// at once (a rename reads one directory sector and writes another).
//
// Writes reach the device only (1) in sync(), which the machine also runs between two operations
// once half the entries are dirty (machine.ts), (2) when every entry is dirty and a miss needs a
// victim (one operation dirtied more than half the cache): then the whole cache is synced first,
// so the device never sees a later write before an earlier kind of the same sync (see the order
// below and README.md, "After a crash").
//
// ╒══════ Cache (heap block, offsetof<Cache>()) ══════╕   ╒══ entry i (ENT bytes) ══╕
// │ dev       BlockDev                                │   │ +0 LBA    u32          │
// │ n         entries (power of two)                  │   │ +4 STATE  u32: 0 empty,│
// │ stamp     LRU clock                               │   │    CLEAN, or a dirty   │
// │ ents      n × ENT                                 │   │    kind DATA/FAT/DIR   │
// │ buckets   n × u32: entry index + 1 of each chain  │   │ +8 STAMP  u32 last get │
// │ data      n × 512 bytes                           │   │ +12 NEXT  u32 chain    │
// │ fatStart, fatSectors, nfats: the FAT copies       │   ╘════════════════════════╛
// │ errors    device errors seen                      │
// │ dirtyCount entries not CLEAN or empty             │
// ╘═══════════════════════════════════════════════════╛
import { heapAlloc, heapFree } from "aam";
import { BlockDev, SECTOR } from "./blockdev";

const ENT: usize = 16;
const E_LBA: usize = 0, E_STATE: usize = 4, E_STAMP: usize = 8, E_NEXT: usize = 12;
export const CLEAN: u32 = 1;
export const DATA: u32 = 2;       // file contents
export const FAT: u32 = 3;        // a sector of the first (active) FAT
export const DIR: u32 = 4;        // directory entries
const GUARD: u32 = 4;

// @ts-ignore: decorator
@inline const DEBUG: bool = isDefined(AAM_DEBUG);

@unmanaged
export class Cache {
  dev: BlockDev;
  n: u32;
  stamp: u32;
  ents: usize;
  buckets: usize;
  data: usize;
  fatStart: u32;
  fatSectors: u32;
  nfats: u32;
  errors: u32;
  dirtyCount: u32;

  static create(dev: BlockDev, n: u32): Cache {
    if (DEBUG) assert(n >= 16 && (n & (n - 1)) == 0, "fs: cache size must be a power of two >= 16");
    let c = changetype<Cache>(heapAlloc(offsetof<Cache>()));
    c.dev = dev; c.n = n; c.stamp = 0; c.errors = 0; c.dirtyCount = 0;
    c.ents = heapAlloc(<usize>n * ENT);
    memory.fill(c.ents, 0, <usize>n * ENT);
    c.buckets = heapAlloc(<usize>n * 4);
    memory.fill(c.buckets, 0, <usize>n * 4);
    c.data = heapAlloc(<usize>n * SECTOR);
    c.fatStart = 0; c.fatSectors = 0; c.nfats = 0;
    return c;
  }

  /** Frees the cache (after sync: dirty sectors are dropped). */
  dispose(): void {
    heapFree(this.ents); heapFree(this.buckets); heapFree(this.data);
    heapFree(changetype<usize>(this));
  }

  @inline private ent(i: u32): usize { return this.ents + <usize>i * ENT; }
  @inline private bucket(lba: u32): usize { return this.buckets + (<usize>((lba * 0x9E3779B1) >>> 0) & (<usize>this.n - 1)) * 4; }
  @inline sectorData(i: u32): usize { return this.data + <usize>i * SECTOR; }

  /** The entry holding `lba`, or -1. */
  find(lba: u32): i32 {
    let i = load<u32>(this.bucket(lba));
    while (i != 0) {
      let e = this.ent(i - 1);
      if (load<u32>(e + E_LBA) == lba && load<u32>(e + E_STATE) != 0) return <i32>(i - 1);
      i = load<u32>(e + E_NEXT);
    }
    return -1;
  }

  private unlink(i: u32): void {
    let e = this.ent(i), b = this.bucket(load<u32>(e + E_LBA));
    let prev: usize = 0, j = load<u32>(b);
    while (j != 0) {
      let f = this.ent(j - 1);
      if (j - 1 == i) {
        if (prev == 0) store<u32>(b, load<u32>(f + E_NEXT)); else store<u32>(prev + E_NEXT, load<u32>(f + E_NEXT));
        return;
      }
      prev = f; j = load<u32>(f + E_NEXT);
    }
  }

  // A victim entry: empty, else the least recently used clean one; -1 if every entry is dirty.
  private victim(): i32 {
    let best = -1, bestAge: u32 = 0;
    for (let i: u32 = 0; i < this.n; i++) {
      let e = this.ent(i), st = load<u32>(e + E_STATE);
      if (st == 0) return <i32>i;
      if (st != CLEAN) continue;
      let age = this.stamp - load<u32>(e + E_STAMP);
      if (age >= GUARD && (best < 0 || age > bestAge)) { best = <i32>i; bestAge = age; }
    }
    return best;
  }

  /** The data of sector `lba` (read from the device on a miss), or 0 on a device error (counted
   *  in `errors`). `fill`: the sector is zeroed (no read; a cached copy is zeroed too). */
  get(lba: u32, fill: bool = false): usize {
    let i = this.find(lba);
    this.stamp++;
    if (i >= 0) {
      store<u32>(this.ent(<u32>i) + E_STAMP, this.stamp);
      let h = this.sectorData(<u32>i);
      if (fill) memory.fill(h, 0, SECTOR);            // a freed cluster's old bytes must not survive
      return h;
    }
    let v = this.victim();
    if (v < 0) {
      if (this.sync() < 0) return 0;
      v = this.victim();
      if (DEBUG) assert(v >= 0, "fs: cache: no clean entry after a sync");
    }
    let e = this.ent(<u32>v);
    if (load<u32>(e + E_STATE) != 0) this.unlink(<u32>v);
    store<u32>(e + E_STATE, 0);
    let d = this.sectorData(<u32>v);
    if (fill) memory.fill(d, 0, SECTOR);
    else if (this.dev.read(<u64>lba, 1, d) < 0) { this.errors++; return 0; }
    store<u32>(e + E_LBA, lba);
    store<u32>(e + E_STATE, CLEAN);
    store<u32>(e + E_STAMP, this.stamp);
    let b = this.bucket(lba);
    store<u32>(e + E_NEXT, load<u32>(b));
    store<u32>(b, <u32>v + 1);
    return d;
  }

  /** Marks the sector that `p` points into (from get; the cache's blocks are 16-aligned only, so
   *  no masking) dirty as `kind`. A sector keeps its first dirty kind. */
  dirty(p: usize, kind: u32): void {
    let i = <u32>((p - this.data) / SECTOR);
    if (DEBUG) assert(p >= this.data && i < this.n, "fs: cache: dirty() of a pointer not from get()");
    let e = this.ent(i);
    if (load<u32>(e + E_STATE) == CLEAN) { store<u32>(e + E_STATE, kind); this.dirtyCount++; }
  }

  /** A direct device write of sectors [lba, lba+count) went around the cache: copy it into the
   *  entries that hold those sectors, so they do not go stale (they stay as dirty as they were). */
  wroteAround(lba: u32, count: u32, buf: usize): void {
    for (let k: u32 = 0; k < count; k++) {
      let i = this.find(lba + k);
      if (i >= 0) memory.copy(this.sectorData(<u32>i), buf + <usize>k * SECTOR, SECTOR);
    }
  }

  /** A direct device read of [lba, lba+count) into buf: overwrite it with the cached copies. */
  readAround(lba: u32, count: u32, buf: usize): void {
    for (let k: u32 = 0; k < count; k++) {
      let i = this.find(lba + k);
      if (i >= 0) memory.copy(buf + <usize>k * SECTOR, this.sectorData(<u32>i), SECTOR);
    }
  }

  private writeKind(kind: u32): i32 {
    for (let i: u32 = 0; i < this.n; i++) {
      let e = this.ent(i);
      if (load<u32>(e + E_STATE) != kind) continue;
      let lba = load<u32>(e + E_LBA), d = this.sectorData(i);
      let r = this.dev.write(<u64>lba, 1, d);
      if (r < 0) { this.errors++; return r; }
      if (kind == FAT) {                                   // the mirrors, in order after the first
        for (let f: u32 = 1; f < this.nfats; f++) {
          r = this.dev.write(<u64>(lba + f * this.fatSectors), 1, d);
          if (r < 0) { this.errors++; return r; }
        }
      }
      store<u32>(e + E_STATE, CLEAN);
      this.dirtyCount--;
    }
    return 0;
  }

  /** Writes every dirty sector: file data, then the FAT (each sector to every copy), then
   *  directories. 0 or -errno (the first device error; later kinds are not written then). */
  sync(): i32 {
    let r = this.writeKind(DATA);
    if (r == 0) r = this.writeKind(FAT);
    if (r == 0) r = this.writeKind(DIR);
    return r;
  }

  /** Forgets every sector (after a failed mount: nothing is dirty then). */
  drop(): void {
    memory.fill(this.ents, 0, <usize>this.n * ENT);
    memory.fill(this.buckets, 0, <usize>this.n * 4);
    this.dirtyCount = 0;
  }
}
