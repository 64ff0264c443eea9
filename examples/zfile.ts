// zfile.ts: compress a file of the disk into another (gzip), or back: the file-system machine
// (aams/fs) reads and writes, the zlib machine (aams/zlib) compresses, each on its own cores.
//
//   aam run examples/zfile.ts --disk d.img -- -c /SRC /DST.gz     (gunzip reads DST.gz)
//   aam run examples/zfile.ts --disk d.img -- -d /DST.gz /BACK
//
// Then the disk is synced. Errors end with the machine's message on stderr and status 1.
import { args, eprintln, heapAlloc, heapFree } from "aam";
import { defineDiskFs, connectFs, FsClient, FS_O_RDONLY, FS_O_WRONLY, FS_O_CREAT, FS_O_TRUNC } from "../aams/fs";
import { zlibMachine, ZStream, ZLIB_DEFLATE, ZLIB_INFLATE, ZLIB_FORMAT_GZIP } from "../aams/zlib";

export function machines(): void { defineDiskFs(); zlibMachine(); }

// @ts-ignore: decorator
@inline const BUF: u32 = 65536;

// The destination and whether a write failed, for the sink (static: the sink has no closure).
const OUT = memory.data(16);           // +0 fs client, +4 fd, +8 failed

function openPath(fs: FsClient, p: string, flags: u32): i32 {
  let b = String.UTF8.encode(p);
  let c = fs.open(changetype<usize>(b), <u32>b.byteLength, flags);
  c.wait();
  let fd = c.failed ? -1 : c.result;
  if (c.failed) eprintln("zfile: " + c.error);
  c.release();
  return fd;
}

function toFile(p: usize, n: i32, arg: u64): void {
  if (load<u32>(OUT, 8)) return;
  let fs = changetype<FsClient>(<usize>load<u32>(OUT));
  let w = fs.write(load<i32>(OUT, 4), p, <u32>n);
  w.wait();
  if (w.failed) { eprintln("zfile: " + w.error); store<u32>(OUT, 1, 8); }
  w.release();
}

export function main(): i32 {
  let a = args();
  if (a.length != 4 || (a[1] != "-c" && a[1] != "-d")) { eprintln("usage: zfile -c|-d /SRC /DST (with --disk IMAGE)"); return 2; }
  let fs = connectFs();
  let src = openPath(fs, a[2], FS_O_RDONLY);
  if (src < 0) return 1;
  let dst = openPath(fs, a[3], FS_O_WRONLY | FS_O_CREAT | FS_O_TRUNC);
  if (dst < 0) return 1;
  store<u32>(OUT, changetype<u32>(fs)); store<i32>(OUT, dst, 4); store<u32>(OUT, 0, 8);
  let z = ZStream.open(a[1] == "-c" ? ZLIB_DEFLATE : ZLIB_INFLATE, ZLIB_FORMAT_GZIP, a[1] == "-c" ? 6 : -1);
  if (!z) { eprintln("zfile: " + ZStream.lastError); return 1; }
  let buf = heapAlloc(BUF);
  let status = 0, ended = false;
  while (status == 0 && !ended) {
    let r = fs.read(src, buf, BUF);
    r.wait();
    if (r.failed) { eprintln("zfile: " + r.error); status = 1; r.release(); break; }
    let n = r.result;
    r.release();
    let last = n < <i32>BUF;
    if (!z!.push(buf, <u32>n, last, toFile)) { eprintln("zfile: " + z!.error); status = 1; }
    if (last) ended = true;
    if (load<u32>(OUT, 8)) status = 1;
  }
  z!.close();
  fs.closeSync(src);
  fs.closeSync(dst);
  let s = fs.sync();
  s.wait();
  if (s.failed) { eprintln("zfile: " + s.error); status = 1; }
  s.release();
  heapFree(buf);
  return status;
}
