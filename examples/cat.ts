// cat.ts: print a file of the disk attached with --disk, through the file-system machine (aams/fs,
// FAT16/FAT32) on the block machine (aams/block, virtio), to standard output, byte for byte.
//
//   aam mkdisk d.img --size 32M --from somedir
//   aam run examples/cat.ts --disk d.img -- /FILE        (the same with aam boot)
//
// A missing file or a bad path ends with the file system's error on stderr and status 1.
import { args, eprintln, heapAlloc, heapFree, stdoutWrite } from "aam";
import { defineDiskFs, connectFs, FS_O_RDONLY } from "../aams/fs";

export function machines(): void { defineDiskFs(); }

// @ts-ignore: decorator
@inline const BUF: u32 = 65536;

export function main(): i32 {
  let a = args();
  if (a.length != 2) { eprintln("usage: cat /PATH (with --disk IMAGE)"); return 2; }
  let fs = connectFs();
  let path = String.UTF8.encode(a[1]);
  let open = fs.open(changetype<usize>(path), <u32>path.byteLength, FS_O_RDONLY);
  open.wait();
  if (open.failed) { eprintln("cat: " + open.error); return 1; }
  let fd = open.result;
  open.release();
  let buf = heapAlloc(BUF);
  let status = 0;
  while (true) {
    let r = fs.read(fd, buf, BUF);
    r.wait();
    if (r.failed) { eprintln("cat: " + r.error); status = 1; r.release(); break; }
    let n = r.result;
    r.release();
    if (n == 0) break;
    stdoutWrite(buf, n);
  }
  fs.closeSync(fd);
  heapFree(buf);
  return status;
}
