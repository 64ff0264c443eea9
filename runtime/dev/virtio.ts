// virtio.ts: the system image's virtio driver core: the virtio-mmio transport (version 2) and
// split virtqueues, for every device class and on both hosts.
//
// Owns: finding a device (platform.dev_find), the status/feature handshake (virtio 1.2 §3.1.1),
// creating a split virtqueue in the image's own memory (descriptor table, available ring, used
// ring: §2.7) and handing its bus addresses to the device, adding descriptor chains and
// notifying, and taking used buffers back. Not: what a device class puts in its buffers (the
// machine that drives it, e.g. aams/block), interrupt delivery (machine/irq.ts), the devices
// themselves (QEMU's; tools/host/virtio.ts on Node).
//
// The same code runs on both hosts: it only reads and writes registers (platform.dev_read/write,
// offsets in runtime/abi.json enum virtio) and memory. The device sees image memory at
// platform.dev_addr(at): QEMU's wasm memory is one physically contiguous block, so a heap block
// is contiguous for the device too.
//
// A virtqueue is a heap record shared by every core of the owning machine (module-level lets are
// per core: nothing lives in them). Its lock (rt/atomic.ts order 7, "virtqueue") guards the free
// descriptor list, the shadow available index and the used-ring cursor, for a few dozen
// instructions; nothing is allocated under it. Protocol:
//  add:   1. under the lock take n descriptors from the free list (none left: return false;
//            callers bound their requests in flight so that this does not happen);
//         2. fill them (address, length, WRITE for device-written, NEXT chaining), remember the
//            token at the head's index, put the head in the available ring;
//         3. publish: atomic store of avail.idx + 1 (the device reads the ring entry only after
//            it sees the index), unlock, then write QUEUE_NOTIFY.
//  take:  1. under the lock: used.idx (atomic load) != our cursor → read the used element (id,
//            len), check id, return the chain's descriptors to the free list, cursor + 1;
//         2. unlock, give (token, len) to the caller. A hostile id (outside the table, or not
//            a chain head we made) stops the system with a message naming queue, id and size.
//
// ╒════════ virtqueue record (64 bytes) ════════╕
//  +0  LOCK     spinlock            +4  DEV      device handle      +8  INDEX   queue number
//  +12 SIZE     descriptors (2^k)   +16 DESC     descriptor table   +20 AVAIL   available ring
//  +24 USED     used ring           +28 FREE     free list head (0xffff: empty)
//  +32 NFREE    free descriptors    +36 NEXT     next avail.idx (u16 counter)
//  +40 SEEN     used entries taken (u16 counter)                   +44 TOKENS  u32 per descriptor
// ╒═ descriptor (16 bytes) ═╕  +0 addr u64  +8 len u32  +12 flags u16 (1 NEXT, 2 WRITE)  +14 next u16
// ╒═ available ring ═╕  +0 flags u16  +2 idx u16  +4 ring[SIZE] u16  then used_event u16
// ╒═ used ring ═╕       +0 flags u16  +2 idx u16  +4 ring[SIZE] {id u32, len u32}  then avail_event u16

import { platform } from "~lib/rt/platform";
import { DEBUG } from "~lib/rt/layout";
import { lock, unlock, load16, store16 } from "~lib/rt/atomic";
import { heapAlloc } from "~lib/rt/heap";
import { fail } from "~lib/rt/trap";
import { VIRTIO_MAGIC, VIRTIO_VERSION, VIRTIO_DEVICE_FEATURES, VIRTIO_DEVICE_FEATURES_SEL,
  VIRTIO_DRIVER_FEATURES, VIRTIO_DRIVER_FEATURES_SEL, VIRTIO_QUEUE_SEL, VIRTIO_QUEUE_NUM_MAX, VIRTIO_QUEUE_NUM,
  VIRTIO_QUEUE_READY, VIRTIO_QUEUE_NOTIFY, VIRTIO_INTERRUPT_STATUS, VIRTIO_INTERRUPT_ACK, VIRTIO_STATUS,
  VIRTIO_QUEUE_DESC_LOW, VIRTIO_QUEUE_AVAIL_LOW, VIRTIO_QUEUE_USED_LOW, VIRTIO_CONFIG, VIRTIO_CONFIG_GENERATION, VIRTIO_STATUS_ACKNOWLEDGE,
  VIRTIO_STATUS_DRIVER, VIRTIO_STATUS_DRIVER_OK, VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_FAILED } from "~lib/rt/abi";

// @ts-ignore: decorator
@inline const MAGIC_VALUE: u32 = 0x74726976;       // "virt"
// @ts-ignore: decorator
@inline export const DESC_NEXT: u16 = 1;
// @ts-ignore: decorator
@inline export const DESC_WRITE: u16 = 2;            // the device writes this buffer
// @ts-ignore: decorator
@inline const NONE: u32 = 0xffff;

// @ts-ignore: decorator
@inline const Q_LOCK: usize = 0;
// @ts-ignore: decorator
@inline const Q_DEV: usize = 4;
// @ts-ignore: decorator
@inline const Q_INDEX: usize = 8;
// @ts-ignore: decorator
@inline const Q_SIZE: usize = 12;
// @ts-ignore: decorator
@inline const Q_DESC: usize = 16;
// @ts-ignore: decorator
@inline const Q_AVAIL: usize = 20;
// @ts-ignore: decorator
@inline const Q_USED: usize = 24;
// @ts-ignore: decorator
@inline const Q_FREE: usize = 28;
// @ts-ignore: decorator
@inline const Q_NFREE: usize = 32;
// @ts-ignore: decorator
@inline const Q_NEXT: usize = 36;
// @ts-ignore: decorator
@inline const Q_SEEN: usize = 40;
// @ts-ignore: decorator
@inline const Q_TOKENS: usize = 44;
// @ts-ignore: decorator
@inline const Q_RECORD: usize = 64;

/** The handle of the index-th virtio device of class `kind` (2 block, 1 network), or -1. */
export function virtioFind(kind: u32, index: i32 = 0): i32 { return platform.dev_find(<i32>kind, index); }

/** Register `reg` of device `dev`. */
// @ts-ignore: decorator
@inline export function virtioRead(dev: i32, reg: u32): u32 { return <u32>platform.dev_read(dev, <i32>reg); }
/** Write register `reg` of device `dev`. */
// @ts-ignore: decorator
@inline export function virtioWrite(dev: i32, reg: u32, v: u32): void { platform.dev_write(dev, <i32>reg, <i32>v); }

/** A 32-bit word of the device's configuration space at byte offset `off`. */
export function virtioConfig32(dev: i32, off: u32): u32 { return virtioRead(dev, VIRTIO_CONFIG + off); }
/** A 64-bit field of the configuration space, read again while CONFIG_GENERATION changes under
 *  the two reads (the device updated it between them: §4.2.2.2). */
export function virtioConfig64(dev: i32, off: u32): u64 {
  while (true) {
    let g = virtioRead(dev, VIRTIO_CONFIG_GENERATION);
    let v = <u64>virtioConfig32(dev, off) | <u64>virtioConfig32(dev, off + 4) << 32;
    if (virtioRead(dev, VIRTIO_CONFIG_GENERATION) == g) return v;
  }
}

/** Device initialisation (virtio 1.2 §3.1.1) up to FEATURES_OK: reset, acknowledge, offer the
 *  driver's features (the 64 bits of `want` the device also has, plus VERSION_1, required).
 *  Returns the features agreed on; fails naming the device when it is not a version-2 virtio
 *  device or refuses them. The driver then creates its queues and calls virtioDriverOk. */
export function virtioBegin(dev: i32, want: u64): u64 {
  if (virtioRead(dev, VIRTIO_MAGIC) != MAGIC_VALUE) fail("virtio: device " + dev.toString() + " has no virtio magic value");
  let version = virtioRead(dev, VIRTIO_VERSION);
  if (version != 2) fail("virtio: device " + dev.toString() + " speaks transport version " + version.toString() + ", not 2 (QEMU: -global virtio-mmio.force-legacy=false)");
  virtioWrite(dev, VIRTIO_STATUS, 0);                                   // reset
  virtioWrite(dev, VIRTIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
  virtioWrite(dev, VIRTIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
  virtioWrite(dev, VIRTIO_DEVICE_FEATURES_SEL, 0);
  let has = <u64>virtioRead(dev, VIRTIO_DEVICE_FEATURES);
  virtioWrite(dev, VIRTIO_DEVICE_FEATURES_SEL, 1);
  has |= <u64>virtioRead(dev, VIRTIO_DEVICE_FEATURES) << 32;
  if (!(has & (<u64>1 << 32))) { virtioFailed(dev); fail("virtio: device " + dev.toString() + " does not offer VIRTIO_F_VERSION_1"); }
  let agreed = (has & want) | (<u64>1 << 32);
  virtioWrite(dev, VIRTIO_DRIVER_FEATURES_SEL, 0);
  virtioWrite(dev, VIRTIO_DRIVER_FEATURES, <u32>agreed);
  virtioWrite(dev, VIRTIO_DRIVER_FEATURES_SEL, 1);
  virtioWrite(dev, VIRTIO_DRIVER_FEATURES, <u32>(agreed >> 32));
  let s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
  virtioWrite(dev, VIRTIO_STATUS, s);
  if (!(virtioRead(dev, VIRTIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) { virtioFailed(dev); fail("virtio: device " + dev.toString() + " refused the features offered"); }
  return agreed;
}

/** The last step of initialisation: the device may use its queues from now on. */
export function virtioDriverOk(dev: i32): void {
  virtioWrite(dev, VIRTIO_STATUS, virtioRead(dev, VIRTIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
}

function virtioFailed(dev: i32): void { virtioWrite(dev, VIRTIO_STATUS, virtioRead(dev, VIRTIO_STATUS) | VIRTIO_STATUS_FAILED); }

/** Read and acknowledge the device's interrupt status (bit 0: used buffers, bit 1: config). */
export function virtioAck(dev: i32): u32 {
  let s = virtioRead(dev, VIRTIO_INTERRUPT_STATUS);
  if (s) virtioWrite(dev, VIRTIO_INTERRUPT_ACK, s);
  return s;
}

// Split the bus address of image byte `at` into the register pair at `reg` (low, then high).
function writeAddr(dev: i32, reg: u32, at: usize): void {
  let a = platform.dev_addr(at);
  let hi = Math.floor(a / 4294967296.0);
  virtioWrite(dev, reg, <u32>(a - hi * 4294967296.0));
  virtioWrite(dev, reg + 4, <u32>hi);
}

/** A split virtqueue (the record drawn above); shared by every core of the owning machine. */
@unmanaged
export class Virtqueue {
  /** Queue `index` of device `dev` with at most `maxSize` descriptors (rounded down to a power
   *  of two and to the device's QUEUE_NUM_MAX). Between virtioBegin and virtioDriverOk. */
  static create(dev: i32, index: u32, maxSize: u32): Virtqueue {
    virtioWrite(dev, VIRTIO_QUEUE_SEL, index);
    let max = virtioRead(dev, VIRTIO_QUEUE_NUM_MAX);
    if (max == 0) fail("virtio: device " + dev.toString() + " has no queue " + index.toString());
    if (virtioRead(dev, VIRTIO_QUEUE_READY)) fail("virtio: device " + dev.toString() + " queue " + index.toString() + " is in use already");
    let n = min<u32>(min<u32>(maxSize, max), 32768);
    n = 1 << (31 - clz(n));                                            // a power of two
    let q = heapAlloc(Q_RECORD);
    memory.fill(q, 0, Q_RECORD);
    let descBytes = <usize>n << 4;
    let availBytes = (6 + (<usize>n << 1) + 3) & ~3;
    let usedBytes = 6 + (<usize>n << 3);
    let rings = heapAlloc(descBytes + availBytes + usedBytes);         // 16-byte aligned (heap blocks)
    memory.fill(rings, 0, descBytes + availBytes + usedBytes);
    let tokens = heapAlloc(<usize>n << 2);
    memory.fill(tokens, 0, <usize>n << 2);
    store<u32>(q + Q_DEV, <u32>dev);
    store<u32>(q + Q_INDEX, index);
    store<u32>(q + Q_SIZE, n);
    store<u32>(q + Q_DESC, <u32>rings);
    store<u32>(q + Q_AVAIL, <u32>(rings + descBytes));
    store<u32>(q + Q_USED, <u32>(rings + descBytes + availBytes));
    store<u32>(q + Q_TOKENS, <u32>tokens);
    for (let i: u32 = 0; i < n; i++) store<u16>(rings + (<usize>i << 4) + 14, <u16>(i + 1 < n ? i + 1 : NONE));
    store<u32>(q + Q_FREE, 0);
    store<u32>(q + Q_NFREE, n);
    virtioWrite(dev, VIRTIO_QUEUE_NUM, n);
    writeAddr(dev, VIRTIO_QUEUE_DESC_LOW, rings);
    writeAddr(dev, VIRTIO_QUEUE_AVAIL_LOW, rings + descBytes);
    writeAddr(dev, VIRTIO_QUEUE_USED_LOW, rings + descBytes + availBytes);
    virtioWrite(dev, VIRTIO_QUEUE_READY, 1);
    return changetype<Virtqueue>(q);
  }

  /** Descriptors in the queue. */
  get size(): u32 { return load<u32>(changetype<usize>(this) + Q_SIZE); }

  /** Add steps 1–3: a chain of `n` buffers described at `segs` (n × 12 bytes: address u32,
   *  length u32, flags u32 with DESC_WRITE for buffers the device writes), with `token` given
   *  back by take(). False if fewer than n descriptors are free (nothing added). */
  add(segs: usize, n: u32, token: u32): bool {
    let q = changetype<usize>(this);
    if (DEBUG) assert(n > 0 && n <= load<u32>(q + Q_SIZE), "virtio: a chain of no buffers or more than the queue holds");
    lock(q + Q_LOCK, "virtqueue");
    if (load<u32>(q + Q_NFREE) < n) { unlock(q + Q_LOCK); return false; }
    let desc = <usize>load<u32>(q + Q_DESC);
    let head = load<u32>(q + Q_FREE);
    let d = head;
    for (let i: u32 = 0; i < n; i++) {                                   // step 1, 2
      let e = desc + (<usize>d << 4);
      let s = segs + <usize>i * 12;
      let a = platform.dev_addr(<usize>load<u32>(s));
      store<u64>(e, <u64>a);
      store<u32>(e + 8, load<u32>(s + 4));
      let next = <u32>load<u16>(e + 14);
      store<u16>(e + 12, <u16>(load<u32>(s + 8) & DESC_WRITE) | (i + 1 < n ? DESC_NEXT : 0));
      if (i + 1 < n) d = next;
      else store<u32>(q + Q_FREE, next);
    }
    store<u32>(q + Q_NFREE, load<u32>(q + Q_NFREE) - n);
    store<u32>(<usize>load<u32>(q + Q_TOKENS) + (<usize>head << 2), token);
    let avail = <usize>load<u32>(q + Q_AVAIL);
    let idx = load<u32>(q + Q_NEXT);
    store<u16>(avail + 4 + (<usize>(idx & (load<u32>(q + Q_SIZE) - 1)) << 1), <u16>head);
    store<u32>(q + Q_NEXT, (idx + 1) & 0xffff);
    store16(avail + 2, <u16>(idx + 1));                                  // step 3: publish
    unlock(q + Q_LOCK);
    virtioWrite(<i32>load<u32>(q + Q_DEV), VIRTIO_QUEUE_NOTIFY, load<u32>(q + Q_INDEX));
    return true;
  }

  /** Take steps 1–2: the next used chain's token (low 32 bits) and the bytes the device wrote
   *  into it (high 32 bits), or 0 when the device has returned nothing new. Tokens are non-zero. */
  take(): u64 {
    let q = changetype<usize>(this);
    lock(q + Q_LOCK, "virtqueue");
    let used = <usize>load<u32>(q + Q_USED);
    let seen = load<u32>(q + Q_SEEN);
    if (<u32>load16(used + 2) == seen) { unlock(q + Q_LOCK); return 0; }
    let size = load<u32>(q + Q_SIZE);
    let el = used + 4 + (<usize>(seen & (size - 1)) << 3);
    let id = load<u32>(el);
    let tokens = <usize>load<u32>(q + Q_TOKENS);
    let token = id < size ? load<u32>(tokens + (<usize>id << 2)) : 0;
    if (token == 0) {
      unlock(q + Q_LOCK);
      fail("virtio: device " + load<u32>(q + Q_DEV).toString() + " queue " + load<u32>(q + Q_INDEX).toString() +
        " returned descriptor " + id.toString() + ", which is not a chain in flight (queue size " + size.toString() + ")");
    }
    let len = load<u32>(el + 4);
    store<u32>(tokens + (<usize>id << 2), 0);
    let desc = <usize>load<u32>(q + Q_DESC);
    let d = id, k: u32 = 1;                                              // the chain back to the free list
    while (load<u16>(desc + (<usize>d << 4) + 12) & DESC_NEXT) { d = <u32>load<u16>(desc + (<usize>d << 4) + 14); k++; }
    store<u16>(desc + (<usize>d << 4) + 14, <u16>load<u32>(q + Q_FREE));
    store<u32>(q + Q_FREE, id);
    store<u32>(q + Q_NFREE, load<u32>(q + Q_NFREE) + k);
    store<u32>(q + Q_SEEN, (seen + 1) & 0xffff);
    unlock(q + Q_LOCK);
    return <u64>token | <u64>len << 32;
  }
}
