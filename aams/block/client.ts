// client.ts: BlockClient, how a task of any machine uses machine "block" (block.ts): sync calls
// that block the calling task, never its core, answering 0 or a negative POSIX errno.
//
// Owns: the connection (one interface per BlockClient: open once per machine and share it; an
// interface serves every task of the machine that opened it), the disk's size and mode read at
// open, splitting a transfer into calls of at most MAX_SECTORS, and the text of the last error.
// Not: the checks (the machine makes them; the client's own are only there to name the error),
// the device (block.ts, its driver part).
//
// A BlockClient is a heap object: every core sees the same one (module-level lets would not be).
// It is never freed (interfaces are never disconnected, docs/ARCHITECTURE.md "Known limits").

import { Machine, findMachine } from "aam";
import { BlockClient as BlockInterface, BlockInfo, connectBlock } from "./block_igen_client";
import { SECTOR, MAX_SECTORS, EIO, EINVAL, EROFS, ENODEV } from "./block";

export class BlockClient {
  private iface: BlockInterface;
  private size: u64;
  private ro: bool;
  /** Why the last call that did not answer 0 failed ("" after a success): names the request
   *  (lba, count) and the disk's size. */
  error: string = "";

  private constructor(iface: BlockInterface, size: u64, ro: bool) { this.iface = iface; this.size = size; this.ro = ro; }

  /** Connect to the machine named "block"; null if there is none or no disk is attached. */
  static open(): BlockClient | null {
    let m = findMachine("block");
    if (!m) return null;
    let iface = connectBlock(64, 0, changetype<Machine>(m));
    let info = BlockInfo.alloc();
    iface.infoSync(info);
    let size = info.sectors, ro = info.read_only != 0;
    info.free();
    if (size == 0) return null;
    return new BlockClient(iface, size, ro);
  }

  /** The disk's size in 512-byte sectors. */
  sectors(): u64 { return this.size; }
  /** Whether writes are refused (EROFS). */
  readOnly(): bool { return this.ro; }

  /** Sectors lba .. lba+count-1 into buf (count × 512 bytes, inside one heap block of the
   *  calling machine). 0, or -5 EIO, -22 EINVAL (outside the disk, count 0, a bad buffer). */
  read(lba: u64, count: u32, buf: usize): i32 { return this.transfer(false, lba, count, buf); }
  /** buf (count × 512 bytes) onto sectors lba .. lba+count-1. 0, or -5 EIO, -30 EROFS, -22 EINVAL. */
  write(lba: u64, count: u32, buf: usize): i32 { return this.transfer(true, lba, count, buf); }

  /** Everything written before has reached the disk file. 0, or -5 EIO. */
  flush(): i32 {
    let call = this.iface.flush();
    call.wait();
    let r = call.failed ? EIO : call.result;
    this.error = r == 0 ? "" : call.failed ? "block.flush: " + call.error : "block.flush: the device failed (EIO)";
    call.release();
    return r;
  }

  private transfer(write: bool, lba: u64, count: u32, buf: usize): i32 {
    let what = write ? "block.write" : "block.read";
    if (count == 0 || lba >= this.size || <u64>count > this.size - lba) {
      this.error = what + ": lba " + lba.toString() + " + " + count.toString() + " sectors is outside the disk (" + this.size.toString() + " sectors) (EINVAL)";
      return EINVAL;
    }
    if (write && this.ro) {
      this.error = what + ": lba " + lba.toString() + " + " + count.toString() + " sectors: the disk is read-only (EROFS)";
      return EROFS;
    }
    let done: u32 = 0;
    while (done < count) {
      let n = min<u32>(count - done, MAX_SECTORS);
      let at = buf + <usize>done * SECTOR;
      let r: i32;
      let failed = false, why = "";
      if (write) {
        let call = this.iface.write(lba + done, n, at, n * SECTOR);
        call.wait(); failed = call.failed; if (failed) why = call.error; r = call.result; call.release();
      } else {
        let call = this.iface.read(lba + done, n, at, n * SECTOR);
        call.wait(); failed = call.failed; if (failed) why = call.error; r = call.result; call.release();
      }
      if (failed) { this.error = what + ": " + why + " (EINVAL)"; return EINVAL; }
      if (r != 0) {
        this.error = what + ": lba " + (lba + done).toString() + " + " + n.toString() + " sectors: " +
          (r == EIO ? "the device reported an error (EIO)" : r == EROFS ? "the disk is read-only (EROFS)" : r == ENODEV ? "no disk (ENODEV)" :
           "refused (" + r.toString() + ") on a disk of " + this.size.toString() + " sectors");
        return r;
      }
      done += n;
    }
    this.error = "";
    return 0;
  }
}
