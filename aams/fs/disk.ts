// disk.ts: the disk attached with `--disk` as the file system's device: a BlockDev over machine
// "block" (aams/block's BlockClient), and defineDiskFs(), which defines both machines.
//
// Owns: connecting to the block machine lazily, from the first task of machine "fs" that touches
// the device. The kernel checks every buffer of a call against the calling machine's memory, so
// the connection must be the fs machine's own (one made by main would have its buffers refused).
// Not: the device (aams/block), the file system (machine.ts and below).
import { fail } from "aam";
import { BlockClient, defineBlock } from "../block";
import { BlockDev } from "./blockdev";
import { defineFs } from "./machine";

export class BlockDisk extends BlockDev {
  private client: BlockClient | null = null;

  // The block machine's client, connected on first use (a heap object: every core sees it).
  private dev(): BlockClient {
    if (!this.client) {
      this.client = BlockClient.open();
      if (!this.client) fail("fs: no disk attached (aam run|boot … --disk IMAGE)");
    }
    return this.client!;
  }

  sectors(): u64 { return this.dev().sectors(); }
  readOnly(): bool { return this.dev().readOnly(); }
  read(lba: u64, count: u32, buf: usize): i32 { return this.dev().read(lba, count, buf); }
  write(lba: u64, count: u32, buf: usize): i32 { return this.dev().write(lba, count, buf); }
  flush(): i32 { return this.dev().flush(); }
}

/** From machines(): machine "block" (the disk given with --disk) and machine "fs" serving the
 *  FAT volume on it. Programs then use connectFs() (aams/fs/fs_igen_client.ts). */
export function defineDiskFs(): void {
  defineBlock();
  defineFs(new BlockDisk());
}
