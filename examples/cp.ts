// cp.ts: copy a file within the disk attached with --disk, through the file-system machine
// (aams/fs) on the block machine (aams/block), then sync so the copy is on the image file.
//
//   aam run examples/cp.ts --disk d.img -- /SRC /DST    (the same with aam boot)
//
// DST is created or truncated. Errors (a missing SRC, a full disk, a read-only disk) end with the
// file system's message on stderr and status 1.
import { args, eprintln, heapAlloc, heapFree } from "aam";
import { defineDiskFs, connectFs, FsClient, FS_O_RDONLY, FS_O_WRONLY, FS_O_CREAT, FS_O_TRUNC } from "../aams/fs";

export function machines(): void { defineDiskFs(); }

// @ts-ignore: decorator
@inline const BUF: u32 = 65536;

function openPath(fs: FsClient, p: string, flags: u32): i32 {
  let b = String.UTF8.encode(p);
  let c = fs.open(changetype<usize>(b), <u32>b.byteLength, flags);
  c.wait();
  let fd = c.failed ? -1 : c.result;
  if (c.failed) eprintln("cp: " + c.error);
  c.release();
  return fd;
}

export function main(): i32 {
  let a = args();
  if (a.length != 3) { eprintln("usage: cp /SRC /DST (with --disk IMAGE)"); return 2; }
  let fs = connectFs();
  let src = openPath(fs, a[1], FS_O_RDONLY);
  if (src < 0) return 1;
  let dst = openPath(fs, a[2], FS_O_WRONLY | FS_O_CREAT | FS_O_TRUNC);
  if (dst < 0) return 1;
  let buf = heapAlloc(BUF);
  let status = 0;
  while (status == 0) {
    let r = fs.read(src, buf, BUF);
    r.wait();
    if (r.failed) { eprintln("cp: " + r.error); status = 1; r.release(); break; }
    let n = r.result;
    r.release();
    if (n == 0) break;
    let w = fs.write(dst, buf, <u32>n);
    w.wait();
    if (w.failed) { eprintln("cp: " + w.error); status = 1; }
    w.release();
  }
  fs.closeSync(src);
  fs.closeSync(dst);
  let s = fs.sync();
  s.wait();
  if (s.failed) { eprintln("cp: " + s.error); status = 1; }
  s.release();
  heapFree(buf);
  return status;
}
