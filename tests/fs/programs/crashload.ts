// crashload.ts: a write workload for tests/fs/crash.test.mjs, which kills the system while it
// runs. Round i: write /W<i>.BIN (4000 + 1500·i bytes of pattern(seed i), as images.mjs makes
// them) in 1000-byte writes, sync, print "synced i"; then write /T<i>.BIN and delete /T<i-1>.BIN
// without a sync, so that a kill finds the device between syncs as often as inside one.
// Usage: crashload N [forever]. With "forever" the rounds are followed by unsynced writes and
// deletes of /T files until the system is killed (never "done"): a kill that comes late, on a busy
// machine, still lands inside the workload.
import { args, println, heapAlloc } from "aam";
import { defineDiskFs, connectFs, FsClient, FS_O_WRONLY, FS_O_CREAT, FS_O_TRUNC } from "../../../aams/fs";

export function machines(): void { defineDiskFs(); }

function path(fs: FsClient, p: string): ArrayBuffer { return String.UTF8.encode(p); }

// Writes n bytes of pattern(seed) to p (images.mjs pattern: xorshift32, the top byte of each step).
// (The buffer is heap memory: a kernel-level machine takes only the caller's heap blocks.)
function put(fs: FsClient, buf: usize, p: string, n: i32, seed: u32): bool {
  let b = path(fs, p);
  let fd = fs.openSync(changetype<usize>(b), <u32>b.byteLength, FS_O_WRONLY | FS_O_CREAT | FS_O_TRUNC);
  let x: u32 = seed | 1;
  for (let off = 0; off < n; off += 1000) {
    let k = min(1000, n - off);
    for (let i = 0; i < k; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; store<u8>(buf + i, <u8>(x >> 24)); }
    fs.writeSync(fd, buf, <u32>k);
  }
  fs.closeSync(fd);
  return true;
}

export function main(): i32 {
  let n = I32.parseInt(args()[1]);
  let fs = connectFs();
  let buf = heapAlloc(1000);
  for (let i = 0; i < n; i++) {
    put(fs, buf, "/W" + i.toString() + ".BIN", 4000 + 1500 * i, <u32>i + 1);
    fs.syncSync();
    println("synced " + i.toString());
    put(fs, buf, "/T" + i.toString() + ".BIN", 3000, <u32>i + 1000);
    if (i > 0) {
      let t = path(fs, "/T" + (i - 1).toString() + ".BIN");
      fs.unlinkSync(changetype<usize>(t), <u32>t.byteLength);
    }
  }
  if (args().length > 2 && args()[2] == "forever") {
    for (let i = n; ; i++) {
      put(fs, buf, "/T" + i.toString() + ".BIN", 3000, <u32>i + 1000);
      let t = path(fs, "/T" + (i - 1).toString() + ".BIN");
      fs.unlinkSync(changetype<usize>(t), <u32>t.byteLength);
    }
  }
  println("done");
  return 0;
}
