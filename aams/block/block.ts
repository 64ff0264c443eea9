// block.ts: machine "block", a kernel-level machine serving block.idl over the virtio block
// device the host attached (`aam run|boot prog.ts --disk img[:ro]`), and its virtio-blk driver.
//
// Owns: defineBlock(), which a program (or a machine built on it, such as a file system) calls
// from its machines() export; the handlers: each checks its request (count, range, read-only)
// and runs it through the driver; the answer is 0 or a negative POSIX errno (block.idl), never a
// failed call, so a caller can tell a refusal from a device error by its number. Pointer
// arguments are checked and copied by the kernel before a handler runs (the IDL declares the
// machine [[kernel]]): a buffer outside the caller's memory fails the call itself, and the device
// reads and writes the kernel's copy. And the driver: one device, one request queue, several
// requests in flight, completions from the device's interrupt.
// Not: the transport and the rings (runtime/dev/virtio.ts, "aam/dev"), interrupt delivery
// (runtime/machine/irq.ts), the client API programs use (client.ts: BlockClient).
//
// Several requests are in flight at once: every call is a task of the machine, and a request
// blocks only its task (step 3 below), never the core.
//
// A request (virtio 1.2 §5.2.6), run by a task of the machine:
//  1. take a slot (a Signal with one unit per request the queue can hold: a full queue blocks the
//     task, never the core, and add() never finds the ring full);
//  2. build the request record: header {type, 0, sector}, status byte, its own Signal;
//  3. add the chain header → data (device-writable for a read) → status (device-writable) and
//     notify the device; wait on the request's Signal;
//  4. the device completes it; the interrupt reaches a core of the machine as an IMS and runs
//     onInterrupt there (between tasks): acknowledge, take every used chain, signal its request;
//  5. the task wakes, reads the status byte (0 ok, else EIO), frees the record, gives the slot
//     back.
// A request is signalled once per used chain, and a used chain's token is cleared when taken
// (virtio.ts take), so each request completes exactly once; a token the driver never made stops
// the system with a message (a hostile or broken device).
//
// ╒════════ driver record (32 bytes) ════════╕
//  +0 DEV handle  +4 QUEUE Virtqueue  +8 SLOTS Signal  +12 READ_ONLY  +16 SECTORS u64
// ╒════════ request record (64 bytes) ════════╕
//  +0 header: type u32, reserved u32, sector u64   +16 status u8   +20 DONE Signal   +24 segs (3 × 12)

import { Machine, MachineOptions, Signal, defineMachine, heapAlloc, heapFree } from "aam";
import { virtioFind, virtioBegin, virtioDriverOk, virtioAck, virtioConfig64, Virtqueue, DESC_WRITE, irqAttach } from "aam/dev";
import { BlockInfo } from "./block_igen_client";
import { offerBlock } from "./block_igen_server";

// @ts-ignore: decorator
@inline export const SECTOR: u32 = 512;
// @ts-ignore: decorator
@inline export const MAX_SECTORS: u32 = 2048;
// @ts-ignore: decorator
@inline export const EIO: i32 = -5;
// @ts-ignore: decorator
@inline export const ENODEV: i32 = -19;
// @ts-ignore: decorator
@inline export const EINVAL: i32 = -22;
// @ts-ignore: decorator
@inline export const EROFS: i32 = -30;

function info$(info: BlockInfo): void {
  info.sectors = diskSectors();
  info.read_only = diskReadOnly() ? 1 : 0;
  info.max_sectors = MAX_SECTORS;
}

// The checks every read and write makes, then the request.
function transfer(type: u32, lba: u64, count: u32, buf: usize, bytes: u32): i32 {
  let sectors = diskSectors();
  if (sectors == 0) return ENODEV;
  if (count == 0 || count > MAX_SECTORS || <u64>bytes != <u64>count * SECTOR) return EINVAL;
  if (lba >= sectors || <u64>count > sectors - lba) return EINVAL;
  if (type == T_OUT && diskReadOnly()) return EROFS;
  return blockRequest(type, lba, buf, bytes) == 0 ? 0 : EIO;
}

function read$(lba: u64, count: u32, buf: usize, bytes: u32): i32 { return transfer(T_IN, lba, count, buf, bytes); }
function write$(lba: u64, count: u32, buf: usize, bytes: u32): i32 { return transfer(T_OUT, lba, count, buf, bytes); }

function flush$(): i32 {
  if (diskSectors() == 0) return ENODEV;
  if (diskReadOnly()) return 0;                 // nothing was written
  return blockRequest(T_FLUSH, 0, 0, 0) == 0 ? 0 : EIO;
}

/** Defines machine `name` (default "block") serving block.idl and brings up the first virtio
 *  block device, if the host attached one (without one, every task answers ENODEV and
 *  BlockClient.open() returns null). Kernel-level, always; by default it holds no core while
 *  idle and at most one (the driver takes an interrupt on whichever core it holds). Call from
 *  machines(). */
export function defineBlock(options: MachineOptions = { minCores: 0, maxCores: 1, kernel: true, steal: true }, name: string = "block"): Machine {
  options.kernel = true;
  let m = offerBlock(defineMachine(name, options), info$, read$, write$, flush$);
  blockDriverInit(m);
  return m;
}

// ──── the driver ────

// @ts-ignore: decorator
@inline const VIRTIO_ID_BLOCK: u32 = 2;
// @ts-ignore: decorator
@inline const F_RO: u64 = 1 << 5;
// @ts-ignore: decorator
@inline const F_FLUSH: u64 = 1 << 9;
// @ts-ignore: decorator
@inline const T_IN: u32 = 0;
// @ts-ignore: decorator
@inline const T_OUT: u32 = 1;
// @ts-ignore: decorator
@inline const T_FLUSH: u32 = 4;
// @ts-ignore: decorator
@inline const QUEUE_SIZE: u32 = 128;                // descriptors asked for (the device may offer fewer)

// @ts-ignore: decorator
@inline const D_DEV: usize = 0;
// @ts-ignore: decorator
@inline const D_QUEUE: usize = 4;
// @ts-ignore: decorator
@inline const D_SLOTS: usize = 8;
// @ts-ignore: decorator
@inline const D_RO: usize = 12;
// @ts-ignore: decorator
@inline const D_SECTORS: usize = 16;
// @ts-ignore: decorator
@inline const R_STATUS: usize = 16;
// @ts-ignore: decorator
@inline const R_DONE: usize = 20;
// @ts-ignore: decorator
@inline const R_SEGS: usize = 24;

// The driver record, written once by blockDriverInit (machines(), core 0, before any core
// serves a machine), read by every core: static data is shared, a module-level let is not.
const DRIVER = memory.data(4);

/** The driver record, or 0 when no block device was found. */
// @ts-ignore: decorator
@inline function driver(): usize { return <usize>load<u32>(DRIVER); }

/** The disk's size in sectors (0: no disk). */
function diskSectors(): u64 { let d = driver(); return d ? load<u64>(d + D_SECTORS) : 0; }
/** Whether the disk refuses writes. */
function diskReadOnly(): bool { let d = driver(); return d ? load<u32>(d + D_RO) != 0 : false; }

/** Bring up the first virtio block device, if there is one, for machine `m` (from machines()). */
function blockDriverInit(m: Machine): void {
  let dev = virtioFind(VIRTIO_ID_BLOCK, 0);
  if (dev < 0) return;
  let features = virtioBegin(dev, F_RO | F_FLUSH);
  let q = Virtqueue.create(dev, 0, QUEUE_SIZE);
  let d = heapAlloc(32);
  memory.fill(d, 0, 32);
  store<u32>(d + D_DEV, <u32>dev);
  store<u32>(d + D_QUEUE, changetype<u32>(q));
  store<u32>(d + D_SLOTS, changetype<u32>(Signal.create(<i32>(q.size / 3))));
  store<u32>(d + D_RO, (features & F_RO) ? 1 : 0);
  store<u64>(d + D_SECTORS, virtioConfig64(dev, 0));
  irqAttach(dev, changetype<usize>(m), onInterrupt, <u32>d);          // before the device may complete anything
  virtioDriverOk(dev);
  store<u32>(DRIVER, <u32>d);
}

/** Steps 1–5: one request of `type` for `count` sectors at `lba` with `buf` (bytes long; T_FLUSH:
 *  none). Returns the device's status byte (0: done), or 0xff when there is no device. Blocks the
 *  calling task (a task of machine block) until the device answered. */
function blockRequest(type: u32, lba: u64, buf: usize, bytes: u32): u32 {
  let d = driver();
  if (!d) return 0xff;
  let slots = changetype<Signal>(load<u32>(d + D_SLOTS));
  slots.wait();                                                          // step 1
  let r = heapAlloc(64);                                                 // step 2
  store<u32>(r, type);
  store<u32>(r + 4, 0);
  store<u64>(r + 8, lba);
  store<u8>(r + R_STATUS, 0xff);
  let done = Signal.create(0);
  store<u32>(r + R_DONE, changetype<u32>(done));
  let s = r + R_SEGS;                                                    // step 3
  let n: u32 = 0;
  store<u32>(s, <u32>r); store<u32>(s + 4, 16); store<u32>(s + 8, 0); n++;
  if (bytes) {
    store<u32>(s + 12, <u32>buf); store<u32>(s + 16, bytes); store<u32>(s + 20, type == T_IN ? DESC_WRITE : 0); n++;
  }
  let st = s + <usize>n * 12;
  store<u32>(st, <u32>(r + R_STATUS)); store<u32>(st + 4, 1); store<u32>(st + 8, DESC_WRITE); n++;
  let q = changetype<Virtqueue>(load<u32>(d + D_QUEUE));
  if (!q.add(s, n, <u32>r)) {
    // Cannot happen while every request holds a slot (a third of the queue's descriptors each).
    done.dispose(); heapFree(r); slots.signal();
    return 0xfe;
  }
  done.wait();                                                           // step 5
  let status = <u32>load<u8>(r + R_STATUS);
  done.dispose();
  heapFree(r);
  slots.signal();
  return status;
}

// Step 4: on a core of machine block, between tasks (runtime/machine/irq.ts step 4).
function onInterrupt(arg: u32, dev: u32): void {
  let d = <usize>arg;
  virtioAck(<i32>dev);
  let q = changetype<Virtqueue>(load<u32>(d + D_QUEUE));
  while (true) {
    let x = q.take();
    if (!x) break;
    let r = <usize>(<u32>x);
    changetype<Signal>(load<u32>(r + R_DONE)).signal();
  }
}
