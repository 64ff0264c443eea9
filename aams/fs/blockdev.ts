// blockdev.ts: the block device the file system (aams/fs) runs on, and RamDisk, an image in heap
// memory. Owns: the BlockDev contract (512-byte sectors, POSIX errno results) and RamDisk's bounds
// checks. Not: the virtio driver or the block machine (a client of that machine is wrapped into a
// BlockDev subclass by whoever attaches it), the cache (cache.ts).
//
// Contract, for every subclass:
//   - sectors() is fixed for the device's life; readOnly() too.
//   - read/write move `count` whole sectors between the device at `lba` and memory at `buf`; they
//     return 0, or a negative POSIX errno (-5 EIO, -30 EROFS, -22 EINVAL for a range past the end)
//     and then nothing outside [buf, buf + count·512) was touched.
//   - A call may block the calling task (a machine call); the file system holds its own mutex
//     around every call, so a device sees one call at a time from one file system.
//   - flush() returns when every completed write is durable.
// Objects live in the shared heap (one wasm instance per core): a device must keep no state in
// module-level variables.
import { heapAlloc } from "aam";
import { EINVAL, EROFS } from "./errno";

export const SECTOR: u32 = 512;

export abstract class BlockDev {
  abstract sectors(): u64;          // 512-byte sectors
  abstract readOnly(): bool;
  abstract read(lba: u64, count: u32, buf: usize): i32;   // 0 or negative POSIX errno (-5 EIO, -30 EROFS, -22 EINVAL)
  abstract write(lba: u64, count: u32, buf: usize): i32;
  abstract flush(): i32;
}

/** A disk image in one heap block: `bytes` long (a multiple of 512 is used; a tail is ignored). */
export class RamDisk extends BlockDev {
  base: usize;
  count: u64;
  ro: bool;
  reads: u64 = 0;          // device calls, for tests and benchmarks (plain counters: the file
  writes: u64 = 0;         // system's mutex serialises its calls)
  flushes: u64 = 0;
  outside: u64 = 0;        // calls refused for a range past the end (the file system never makes one)

  /** A zeroed image of `bytes` bytes. */
  static create(bytes: usize, ro: bool = false): RamDisk {
    let p = heapAlloc(bytes);
    memory.fill(p, 0, bytes);
    return new RamDisk(p, bytes, ro);
  }

  /** An image over `bytes` bytes at `base` (kept, not copied: the caller leaves them to the disk). */
  constructor(base: usize, bytes: usize, ro: bool = false) {
    super();
    this.base = base;
    this.count = <u64>(bytes / SECTOR);
    this.ro = ro;
  }

  sectors(): u64 { return this.count; }
  readOnly(): bool { return this.ro; }

  private inside(lba: u64, count: u32): bool {
    if (lba <= this.count && <u64>count <= this.count - lba) return true;
    this.outside++;
    return false;
  }

  read(lba: u64, count: u32, buf: usize): i32 {
    if (!this.inside(lba, count)) return -EINVAL;
    this.reads++;
    memory.copy(buf, this.base + <usize>lba * SECTOR, <usize>count * SECTOR);
    return 0;
  }

  write(lba: u64, count: u32, buf: usize): i32 {
    if (this.ro) return -EROFS;
    if (!this.inside(lba, count)) return -EINVAL;
    this.writes++;
    memory.copy(this.base + <usize>lba * SECTOR, buf, <usize>count * SECTOR);
    return 0;
  }

  flush(): i32 { this.flushes++; return 0; }

  /** The image's bytes [0, sectors·512). */
  get bytes(): usize { return <usize>this.count * SECTOR; }
}
