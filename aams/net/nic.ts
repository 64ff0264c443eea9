// nic.ts: the virtio-net driver: the first network device the host attached (`aam run|boot
// prog.ts --net …`), for the TCP/IP machine (stack.ts) or any program that sends raw frames.
//
// Owns: bringing the device up for one machine (nicOpen, from machines()), the receive ring
// (RX_BUFS buffers posted on queue 0, each handed to the machine's rx callback when the device
// fills it, then posted again), the transmit pool (TX_BUFS buffers, a spinlock-guarded free
// stack; nicSend copies a frame into one and adds it to queue 1; used ones come back to the pool
// in the interrupt handler and in nicSend when the pool runs dry), the MAC address and counters.
// Not: the transport and the rings (runtime/dev/virtio.ts, "aam/dev"), interrupt delivery
// (runtime/machine/irq.ts), anything above Ethernet (stack.ts and the rest of aams/net), the
// devices (QEMU's virtio-net-device; tools/host/net.ts on Node).
//
// No offload is negotiated (no CSUM, GSO, MRG_RXBUF, CTRL_VQ, MQ): one rx queue, one tx queue,
// every buffer holds a whole frame behind the 12-byte virtio_net_hdr of VIRTIO_F_VERSION_1
// (virtio 1.2 §5.1.6), which is all zeros on transmit and ignored on receive. Features asked for:
// F_MAC only (the address in the configuration space); without it the MAC is the fixed locally
// administered 02:aa:4d:00:00:01 (FALLBACK_MAC).
//
// Receive (virtio 1.2 §5.1.6.3), per frame:
//  1. at nicOpen every rx buffer is added to queue 0 as one device-writable descriptor
//     (2032 bytes: header + the largest frame, 1526, fits);
//  2. the device writes header + frame and returns the buffer; the interrupt reaches a core of
//     the machine and runs onInterrupt there, between tasks (irq.ts step 4);
//  3. onInterrupt acknowledges, takes every used rx buffer, checks its length (header + 14 ..
//     header + 1514; anything else is counted as a bad frame and dropped) and calls rx(frame,
//     len) with the frame after the header. While fewer than TX_LOW tx buffers are free (after
//     taking back what the device returned) it stops: the rest stay in the used ring until the
//     device returns tx buffers, which interrupts again (after this handler's acknowledgement, so
//     that interrupt is not lost). A burst of frames that each get an answer (ARP, ICMP, ACKs)
//     then waits for the answers to leave instead of having them dropped;
//  4. the buffer is added to queue 0 again (queue 0 has a descriptor for every rx buffer, so the
//     add cannot fail). The frame's memory is the device's again from here: rx must copy what it
//     keeps.
// Transmit, nicSend on any core of the machine:
//  1. pop a buffer from the free stack (lock "nic tx"); empty → take used tx buffers back from
//     queue 1 (step 4 done early) and try once more; still empty → count a drop, return false;
//  2. zero the header, copy the frame after it;
//  3. add it to queue 1 as one device-readable descriptor, token = buffer index + 1, and notify
//     (queue 1 has a descriptor for every tx buffer: the add cannot fail);
//  4. the device sends it and returns it; onInterrupt (or step 1 of a later send) pushes it back
//     on the free stack.
// Lock order: the stack's own lock ("net", held around nicSend and around rx) → "nic tx" →
// "virtqueue" (rt/atomic.ts); nothing is allocated under "nic tx" and no lock of the stack is
// taken under it.
//
// ╒════════ driver record (64 bytes, heap; DRIVER points at it) ════════╕
//  +0  DEV handle        +4  RXQ Virtqueue     +8  TXQ Virtqueue      +12 RX fn index
//  +16 RXBUF base        +20 TXBUF base        +24 TXLOCK spinlock    +28 TXTOP free entries
//  +32 TXFREE → u16 × TX_BUFS (the free stack's entries; TXTOP of them are free)   +36 MAC[6]
//  TXLOCK guards TXTOP and the entries; onInterrupt also reads TXTOP without it (atomic load,
//  a hint: a stale value only pauses or resumes receive one frame early or late)
//  +48 counters: RXF rx frames, RXBAD bad rx, TXF tx frames, TXDROP tx drops (u32 each, atomic)
// ╒═ rx / tx buffer (BUF = 2048 bytes each, back to back) ═╕
//  +0 seg {addr u32, len u32, flags u32}   +16 virtio_net_hdr (12 bytes)   +28 frame (≤ 1514)

import { Machine, heapAlloc, fail } from "aam";
import { lock, unlock, add32, load32 } from "aam/atomic";
import { virtioFind, virtioBegin, virtioDriverOk, virtioAck, virtioConfig32, Virtqueue, DESC_WRITE, irqAttach } from "aam/dev";

// @ts-ignore: decorator
@inline export const NIC_MIN_FRAME: u32 = 14;            // an Ethernet header
// @ts-ignore: decorator
@inline export const NIC_MAX_FRAME: u32 = 1514;          // header + 1500 bytes of payload, no FCS
/** nicStats writes NIC_STATS u32 counters: rx frames, rx bad, tx frames, tx drops. */
// @ts-ignore: decorator
@inline export const NIC_STATS: u32 = 4;

// @ts-ignore: decorator
@inline const VIRTIO_ID_NET: u32 = 1;
// @ts-ignore: decorator
@inline const F_MAC: u64 = 1 << 5;
// @ts-ignore: decorator
@inline const HDR: u32 = 12;                             // virtio_net_hdr with VERSION_1
// @ts-ignore: decorator
@inline const RX_BUFS: u32 = 128;
// @ts-ignore: decorator
@inline const TX_BUFS: u32 = 256;
// @ts-ignore: decorator
@inline const TX_LOW: u32 = 8;                            // receive pauses below this many free tx buffers
// @ts-ignore: decorator
@inline const BUF: usize = 2048;
// @ts-ignore: decorator
@inline const B_HDR: usize = 16;                          // the device's part of a buffer starts here
// @ts-ignore: decorator
@inline const QUEUE_SIZE: u32 = 256;                      // ≥ RX_BUFS and TX_BUFS: adds never fail

// @ts-ignore: decorator
@inline const D_DEV: usize = 0;
// @ts-ignore: decorator
@inline const D_RXQ: usize = 4;
// @ts-ignore: decorator
@inline const D_TXQ: usize = 8;
// @ts-ignore: decorator
@inline const D_RXFN: usize = 12;
// @ts-ignore: decorator
@inline const D_RXBUF: usize = 16;
// @ts-ignore: decorator
@inline const D_TXBUF: usize = 20;
// @ts-ignore: decorator
@inline const D_TXLOCK: usize = 24;
// @ts-ignore: decorator
@inline const D_TXTOP: usize = 28;
// @ts-ignore: decorator
@inline const D_TXFREE: usize = 32;
// @ts-ignore: decorator
@inline const D_MAC: usize = 36;
// @ts-ignore: decorator
@inline const D_STATS: usize = 48;
// @ts-ignore: decorator
@inline const S_RXF: usize = 0;
// @ts-ignore: decorator
@inline const S_RXBAD: usize = 4;
// @ts-ignore: decorator
@inline const S_TXF: usize = 8;
// @ts-ignore: decorator
@inline const S_TXDROP: usize = 12;

// The driver record, written once by nicOpen (machines(), core 0, before any core serves a
// machine), read by every core: static data is shared, a module-level let is per core.
const DRIVER = memory.data(4);
// The MAC without F_MAC: locally administered (bit 1 of the first byte), unicast.
const FALLBACK_MAC = memory.data<u8>([0x02, 0xaa, 0x4d, 0x00, 0x00, 0x01]);

// @ts-ignore: decorator
@inline function driver(): usize { return <usize>load<u32>(DRIVER); }

/** Bring up the first virtio-net device for machine `m` (call from machines(), once). `rx(frame,
 *  len)` runs on a core of m between tasks for every frame received: Ethernet header first, no
 *  virtio header, 14..1514 bytes, no FCS; the memory is valid only during the call; rx must not
 *  block. False if the host attached no network device. */
export function nicOpen(m: Machine, rx: (frame: usize, len: u32) => void): bool {
  if (driver()) return true;
  let dev = virtioFind(VIRTIO_ID_NET, 0);
  if (dev < 0) return false;
  let features = virtioBegin(dev, F_MAC);
  let rxq = Virtqueue.create(dev, 0, QUEUE_SIZE);
  let txq = Virtqueue.create(dev, 1, QUEUE_SIZE);
  if (rxq.size < RX_BUFS || txq.size < TX_BUFS) {
    // QEMU offers 256 and Node's model 256; a device offering fewer gets fewer buffers in
    // flight than we have: refuse rather than have an add fail later.
    fail("nic: the device's queues hold " + rxq.size.toString() + " and " + txq.size.toString() + " descriptors, fewer than the " + RX_BUFS.toString() + " buffers");
  }
  let d = heapAlloc(64);
  memory.fill(d, 0, 64);
  store<u32>(d + D_DEV, <u32>dev);
  store<u32>(d + D_RXQ, changetype<u32>(rxq));
  store<u32>(d + D_TXQ, changetype<u32>(txq));
  store<u32>(d + D_RXFN, rx.index);
  let rxb = heapAlloc(<usize>RX_BUFS * BUF);
  let txb = heapAlloc(<usize>TX_BUFS * BUF);
  memory.fill(rxb, 0, <usize>RX_BUFS * BUF);
  memory.fill(txb, 0, <usize>TX_BUFS * BUF);
  store<u32>(d + D_RXBUF, <u32>rxb);
  store<u32>(d + D_TXBUF, <u32>txb);
  let free = heapAlloc(<usize>TX_BUFS * 2);
  for (let i: u32 = 0; i < TX_BUFS; i++) store<u16>(free + (<usize>i << 1), <u16>i);
  store<u32>(d + D_TXFREE, <u32>free);
  store<u32>(d + D_TXTOP, TX_BUFS);
  if (features & F_MAC) {
    let lo = virtioConfig32(dev, 0), hi = virtioConfig32(dev, 4);
    store<u32>(d + D_MAC, lo);
    store<u16>(d + D_MAC + 4, <u16>hi);
  } else {
    memory.copy(d + D_MAC, FALLBACK_MAC, 6);
  }
  irqAttach(dev, changetype<usize>(m), onInterrupt, <u32>d);    // before the device may return anything
  virtioDriverOk(dev);
  for (let i: u32 = 0; i < RX_BUFS; i++) post(rxq, rxb + <usize>i * BUF, i);   // receive step 1
  store<u32>(DRIVER, <u32>d);
  return true;
}

/** Frames handed to the device and not yet returned by it (after taking back what it returned).
 *  A program that must know its last frames left (before exit: QEMU stops at once, with frames
 *  still in its queue) waits until this is 0. */
export function nicTxPending(): u32 {
  let d = driver();
  if (!d) return 0;
  reclaim(d);
  return TX_BUFS - load32(d + D_TXTOP);
}

/** A device is attached and running. */
export function nicUp(): bool { return driver() != 0; }

/** The 6-byte MAC address at `out` (F_MAC's, or FALLBACK_MAC; zeros without a device). */
export function nicMac(out: usize): void {
  let d = driver();
  if (d) memory.copy(out, d + D_MAC, 6);
  else memory.fill(out, 0, 6);
}

/** NIC_STATS u32 counters at `out`: frames received, received frames dropped as malformed,
 *  frames sent, frames dropped for want of a tx buffer. */
export function nicStats(out: usize): void {
  let d = driver();
  for (let i: usize = 0; i < NIC_STATS; i++) store<u32>(out + (i << 2), d ? load32(d + D_STATS + (i << 2)) : 0);
}

/** Send one frame (Ethernet header + payload, 14..1514 bytes, no FCS): copied, so `frame` is
 *  the caller's again on return. False if there is no device, the length is out of range, or no
 *  tx buffer is free (the frame is dropped). Any core of the machine, any task or the rx
 *  callback; never blocks. */
export function nicSend(frame: usize, len: u32): bool {
  let d = driver();
  if (!d || len < NIC_MIN_FRAME || len > NIC_MAX_FRAME) return false;
  let i = txPop(d);                                                        // step 1
  if (i < 0) { reclaim(d); i = txPop(d); }
  if (i < 0) { add32(d + D_STATS + S_TXDROP, 1); return false; }
  let b = <usize>load<u32>(d + D_TXBUF) + <usize>i * BUF;
  memory.fill(b + B_HDR, 0, HDR);                                          // step 2
  memory.copy(b + B_HDR + HDR, frame, len);
  store<u32>(b, <u32>(b + B_HDR));
  store<u32>(b + 4, HDR + len);
  store<u32>(b + 8, 0);
  let ok = changetype<Virtqueue>(load<u32>(d + D_TXQ)).add(b, 1, <u32>i + 1);   // step 3
  assert(ok, "nic: queue 1 is full with a tx buffer in hand");
  add32(d + D_STATS + S_TXF, 1);
  return true;
}

// Receive step 1 / 4: buffer `i` at `b` to the device, token i + 1.
function post(rxq: Virtqueue, b: usize, i: u32): void {
  store<u32>(b, <u32>(b + B_HDR));
  store<u32>(b + 4, <u32>(BUF - B_HDR));
  store<u32>(b + 8, DESC_WRITE);
  let ok = rxq.add(b, 1, i + 1);
  assert(ok, "nic: queue 0 is full with an rx buffer in hand");
}

function txPop(d: usize): i32 {
  lock(d + D_TXLOCK, "nic tx");
  let top = load<u32>(d + D_TXTOP);
  let i: i32 = -1;
  if (top) {
    top--;
    i = <i32>load<u16>(<usize>load<u32>(d + D_TXFREE) + (<usize>top << 1));
    store<u32>(d + D_TXTOP, top);
  }
  unlock(d + D_TXLOCK);
  return i;
}

function txPush(d: usize, i: u32): void {
  lock(d + D_TXLOCK, "nic tx");
  let top = load<u32>(d + D_TXTOP);
  assert(top < TX_BUFS, "nic: more tx buffers returned than exist");
  store<u16>(<usize>load<u32>(d + D_TXFREE) + (<usize>top << 1), <u16>i);
  store<u32>(d + D_TXTOP, top + 1);
  unlock(d + D_TXLOCK);
}

// Transmit step 4: every tx buffer the device has returned, back on the free stack. Tokens come
// from our own adds (virtio.ts take stops the system on one we never made), so they are 1..TX_BUFS.
function reclaim(d: usize): void {
  let q = changetype<Virtqueue>(load<u32>(d + D_TXQ));
  while (true) {
    let x = q.take();
    if (!x) break;
    txPush(d, <u32>x - 1);
  }
}

// Receive steps 2–4 and transmit step 4: on a core of the machine, between tasks.
function onInterrupt(arg: u32, dev: u32): void {
  let d = <usize>arg;
  virtioAck(<i32>dev);
  let rxq = changetype<Virtqueue>(load<u32>(d + D_RXQ));
  let rxb = <usize>load<u32>(d + D_RXBUF);
  let fn = load<u32>(d + D_RXFN);
  while (true) {
    if (load32(d + D_TXTOP) < TX_LOW) {
      reclaim(d);
      if (load32(d + D_TXTOP) < TX_LOW) break;             // step 3: the tx interrupt resumes
    }
    let x = rxq.take();
    if (!x) break;
    let i = <u32>x - 1;
    let len = <u32>(x >> 32);
    let b = rxb + <usize>i * BUF;
    if (len < HDR + NIC_MIN_FRAME || len > HDR + NIC_MAX_FRAME) add32(d + D_STATS + S_RXBAD, 1);
    else {
      add32(d + D_STATS + S_RXF, 1);
      call_indirect<void>(fn, b + B_HDR + HDR, len - HDR);
    }
    post(rxq, b, i);
  }
  reclaim(d);
}
