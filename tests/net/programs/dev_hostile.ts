// dev_hostile.ts: transmit chains that no virtio-net driver should make, added to queue 1 by hand
// through "aam/dev" (not nic.ts), for Node's device model (tests/net/dev_hostile.test.mjs).
// argv[1] names the chain: `short` (a 5-byte buffer: no room for the 12-byte header and a frame),
// `writable` (a device-writable transmit buffer), `outside` (a buffer past the end of memory),
// `long` (header + 2000 bytes), `good` (header + a 60-byte frame, for comparison); and receive
// buffers on queue 0 for the frame the peer sends: `rxread` (device-readable), `rxshort` (20
// bytes), `rxgood`. main polls the used ring (no interrupt handler) and prints what the device
// returned: every chain comes back, only `good` reaches the link, only `rxgood` gets the frame.
import { println, args, sleep, heapAlloc } from "aam";
import { virtioFind, virtioBegin, virtioDriverOk, Virtqueue, DESC_WRITE } from "aam/dev";

export function main(): i32 {
  let a = args();
  let kind = a.length > 1 ? a[1] : "good";
  let dev = virtioFind(1, 0);
  if (dev < 0) { println("dev_hostile: no network device"); return 3; }
  virtioBegin(dev, 0);
  let rxq = Virtqueue.create(dev, 0, 16);
  let txq = Virtqueue.create(dev, 1, 16);
  virtioDriverOk(dev);
  let buf = heapAlloc(4096);
  memory.fill(buf, 0, 4096);
  memory.fill(buf + 12, 0xff, 6);                      // a broadcast frame after the header
  store<u8>(buf + 24, 0x88); store<u8>(buf + 25, 0xb5);
  let seg = heapAlloc(16);
  let len: u32 = 12 + 60, flags: u32 = 0, at = <u32>buf;
  if (kind == "short") len = 5;
  else if (kind == "writable") flags = DESC_WRITE;
  else if (kind == "outside") at = 0xfffff000;
  else if (kind == "long") len = 12 + 2000;
  let q = txq;
  if (kind.startsWith("rx")) {
    q = rxq;
    memory.fill(buf, 0, 4096);
    len = kind == "rxshort" ? 20 : 2048;
    flags = kind == "rxread" ? 0 : DESC_WRITE;
  }
  store<u32>(seg, at); store<u32>(seg + 4, len); store<u32>(seg + 8, flags);
  if (!q.add(seg, 1, 7)) { println("dev_hostile: add refused"); return 4; }
  let x: u64 = 0;
  while ((x = q.take()) == 0) sleep(1e6);   // 1 ms: the core parks (under QEMU a spinning core starves the others)
  if (kind == "rxgood") {                               // the peer's frame: a 60-byte frame of 0x5a after the header
    let same = load<u16>(buf + 10) == 1;                // num_buffers
    for (let i: usize = 0; i < 60; i++) if (load<u8>(buf + 12 + i) != 0x5a) same = false;
    println("dev_hostile: the frame arrived " + (same ? "intact" : "changed"));
  }
  println("dev_hostile: " + kind + " chain returned, token " + (<u32>x).toString() + ", length " + (<u32>(x >> 32)).toString());
  return 0;
}
