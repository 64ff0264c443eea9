// fs_bench.ts: the file-system machine on the disk given with --disk, for tools/bench/fs.ts:
// sequential write of MIB mebibytes in 64 KiB writes then sync, sequential read of it back in
// 64 KiB reads, and SMALL files of 4 KiB each created, written and closed, then one sync.
// Prints one JSON line: [write ns, read ns, small ns]. Arguments: MIB SMALL (fresh image each run).
import { args, println, now, heapAlloc } from "aam";
import { defineDiskFs, connectFs, FsClient, FS_O_RDONLY, FS_O_WRONLY, FS_O_CREAT, FS_O_TRUNC } from "../../../aams/fs";

export function machines(): void { defineDiskFs(); }

function open(fs: FsClient, p: string, flags: u32): i32 {
  let b = String.UTF8.encode(p);
  return fs.openSync(changetype<usize>(b), <u32>b.byteLength, flags);
}

export function main(): i32 {
  let a = args();
  let mib = I32.parseInt(a[1]), small = I32.parseInt(a[2]);
  let fs = connectFs();
  let buf = heapAlloc(65536);
  for (let i = 0; i < 65536; i++) store<u8>(buf + i, <u8>(i * 7 + (i >> 8)));
  fs.mountSync();
  let t0 = now();
  let fd = open(fs, "/SEQ.BIN", FS_O_WRONLY | FS_O_CREAT | FS_O_TRUNC);
  for (let k = 0; k < mib * 16; k++) fs.writeSync(fd, buf, 65536);
  fs.closeSync(fd);
  fs.syncSync();
  let t1 = now();
  fd = open(fs, "/SEQ.BIN", FS_O_RDONLY);
  let total: i64 = 0;
  while (true) { let n = fs.readSync(fd, buf, 65536); if (n <= 0) break; total += n; }
  fs.closeSync(fd);
  let t2 = now();
  if (total != <i64>mib << 20) { println("read back " + total.toString() + " bytes of " + (<i64>mib << 20).toString()); return 1; }
  let dir = String.UTF8.encode("/SMALL");
  fs.mkdirSync(changetype<usize>(dir), <u32>dir.byteLength);
  let t3 = now();
  for (let i = 0; i < small; i++) {
    let f = open(fs, "/SMALL/F" + i.toString() + ".DAT", FS_O_WRONLY | FS_O_CREAT | FS_O_TRUNC);
    fs.writeSync(f, buf, 4096);
    fs.closeSync(f);
  }
  fs.syncSync();
  let t4 = now();
  println("[" + (<i64>(t1 - t0)).toString() + "," + (<i64>(t2 - t1)).toString() + "," + (<i64>(t4 - t3)).toString() + "]");
  return 0;
}
