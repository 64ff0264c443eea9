// irq.ts: device interrupts, delivered to the machine that owns the device as a signal (IMS).
//
// Owns: the device table (FW DEVICES: which machine owns each device handle, what handles its
// interrupts, which core they are routed to), taking a core's pending interrupts between tasks
// (irqPoll), running the owner's handler when the signal arrives (irqOnSignal), and following
// the owner's cores when the manager moves them (irqReroute). Not: what a device is or how it
// is driven (dev/virtio.ts and the machine's own driver), the platform side of delivery
// (runtime/rt/platform.ts dev_route; tools/host/virtio.ts, boot/virtio.c).
//
// Interrupt path (docs/ARCHITECTURE.md "Devices"):
//  1. attach: the driver names the owning machine and a handler; the device is routed to a core
//     the manager gave that machine (platform.dev_route), or, while it has none, to the
//     attaching core.
//  2. the device completes something: the host sets bit `dev` of the routed core's
//     FC_IRQ_PENDING and wakes that core (QEMU: the IOAPIC sends the vector to its LAPIC; the
//     kernel's handler sets the bit).
//  3. that core, between two tasks or when idle (core.ts), takes the word whole (xchg 0), counts
//     the interrupts (FC_IRQS) and sends each owner an IMS SIG_IRQ with the handle: a core of the
//     owner handles it between tasks like every signal; an owner with no core gets one from the
//     manager (ims.ts step 1), as for calls.
//  4. the owner's core runs the handler (irqOnSignal) outside any task: it must not block; it
//     acknowledges the device and makes the tasks that waited for it ready.
//  5. whenever the manager changes an assignment (cores.ts assignIn), every device whose route
//     is no longer a core of its owner is routed to the owner's lowest core. Between the move and
//     the new route an interrupt may still land on the old core; step 3 sends it to the owner all
//     the same (nothing is lost; that core counts it).
// Cores of other machines see no interrupt while the owner holds a core: the route names one of
// the owner's cores, and only routed cores get a bit.
//
// ╒════════ device table entry (32 bytes, VIRTIO_MAX_DEVICES of them) ════════╕
//  +0 OWNER  machine id, 0 = free        (written once at attach, before the route)
//  +4 FN     handler's table index: fn(arg, dev) (written once at attach)
//  +8 ARG    the handler's argument      (written once at attach)
//  +12 ROUTE core the interrupts go to, plus 1 (0: none yet): under the manager lock, or at attach
//  +16 ROUTER table index of the function that calls platform.dev_route (written once at attach):
//            step 5 runs in every image (cores.ts), and reaching the import only through the
//            table keeps an image without a driver free of it (it imports what it uses).

import { CORE_ID, CORE_COUNT, platform } from "~lib/rt/platform";
import { coreRec, DEBUG } from "~lib/rt/layout";
import { load32, store32, cas32, xchg32, ownerAdd64 } from "~lib/rt/atomic";
import { heapAlloc, heapFree } from "~lib/rt/heap";
import { fail } from "~lib/rt/trap";
import { FW_DEVICES, FC_IRQ_PENDING, FC_IRQS, MGR_ASSIGN, M_ID, VIRTIO_MAX_DEVICES } from "~lib/rt/abi";
import { TRACE, trace } from "../sys/trace";
import { EV_IRQ } from "../sys/trace_events";
import { managerRecord, machineAt } from "./record";
import { imsSend, SIG_IRQ } from "./ims";

// @ts-ignore: decorator
@inline const E_OWNER: usize = 0;
// @ts-ignore: decorator
@inline const E_FN: usize = 4;
// @ts-ignore: decorator
@inline const E_ARG: usize = 8;
// @ts-ignore: decorator
@inline const E_ROUTE: usize = 12;
// @ts-ignore: decorator
@inline const E_ROUTER: usize = 16;
// @ts-ignore: decorator
@inline const ENTRY: usize = 32;

/** An interrupt handler: runs on a core of the owning machine, between tasks, never blocks. */
export type IrqHandler = (arg: u32, dev: u32) => void;

// The one caller of platform.dev_route (see ROUTER above).
function route(dev: i32, core: i32): void { platform.dev_route(dev, core); }

// The table, created by the first attach (cmpxchg, so two machines attaching at once agree).
function table(): usize {
  let t = <usize>load32(FW_DEVICES);
  if (t) return t;
  let n = heapAlloc(<usize>VIRTIO_MAX_DEVICES * ENTRY);
  memory.fill(n, 0, <usize>VIRTIO_MAX_DEVICES * ENTRY);
  let seen = cas32(FW_DEVICES, 0, <u32>n);
  if (seen == 0) return n;
  heapFree(n);
  return <usize>seen;
}

// The lowest core the manager assigned machine `id` to, or -1.
function coreOf(id: u32): i32 {
  let g = managerRecord();
  if (!g) return -1;
  for (let c = 0; c < CORE_COUNT; c++) if (load32(g + MGR_ASSIGN + (<usize>c << 2)) == id) return c;
  return -1;
}

/** Step 1: machine `owner` (a machine record) takes device `dev`'s interrupts; `fn(arg, dev)`
 *  runs on one of its cores for each (step 4). A device has one owner for the run. */
export function irqAttach(dev: i32, owner: usize, fn: IrqHandler, arg: u32): void {
  if (dev < 0 || <u32>dev >= VIRTIO_MAX_DEVICES) fail("irq: device handle " + dev.toString() + " outside 0.." + (VIRTIO_MAX_DEVICES - 1).toString());
  let e = table() + <usize>dev * ENTRY;
  let id = load<u32>(owner + M_ID);
  if (load32(e + E_OWNER)) fail("irq: device " + dev.toString() + " is attached twice");
  store<u32>(e + E_FN, fn.index);
  store<u32>(e + E_ARG, arg);
  store<u32>(e + E_ROUTER, route.index);
  let core = coreOf(id);
  if (core < 0) core = CORE_ID;
  store32(e + E_ROUTE, <u32>core + 1);
  store32(e + E_OWNER, id);              // published last: irqPoll reads OWNER first
  route(dev, core);
}

/** The core interrupts of device `dev` go to now (-1: not attached). */
export function irqRoute(dev: u32): i32 {
  let t = <usize>load32(FW_DEVICES);
  if (!t || dev >= VIRTIO_MAX_DEVICES) return -1;
  return <i32>load32(t + <usize>dev * ENTRY + E_ROUTE) - 1;
}

/** Device interrupts core `core` took so far (its FC_IRQS; --stats shows the same column). */
export function irqCount(core: i32): u64 {
  if (core < 0 || core >= CORE_COUNT) return 0;
  return load<u64>(coreRec(core) + FC_IRQS);
}

/** Does this core have interrupts to take? (one load; the idle check) */
// @ts-ignore: decorator
@inline export function irqPending(): bool { return load32(coreRec(CORE_ID) + FC_IRQ_PENDING) != 0; }

/** Step 3, by any core between tasks: take this core's pending interrupts and signal each
 *  device's owner. Returns the number taken. */
export function irqPoll(): u32 {
  let rec = coreRec(CORE_ID);
  if (load32(rec + FC_IRQ_PENDING) == 0) return 0;
  let bits = xchg32(rec + FC_IRQ_PENDING, 0);
  let t = <usize>load32(FW_DEVICES);
  let k: u32 = 0;
  while (bits) {
    let dev = ctz(bits);
    bits &= bits - 1;
    k++;
    let owner = t ? load32(t + <usize>dev * ENTRY + E_OWNER) : 0;
    if (TRACE) trace(EV_IRQ, owner, dev, <u32>CORE_ID);
    if (DEBUG) assert(owner != 0, "irq: an interrupt of a device nobody attached");
    if (owner) imsSend(0, machineAt(owner), SIG_IRQ, dev);
  }
  ownerAdd64(rec + FC_IRQS, k);
  return k;
}

/** Step 4: the owner's core handles SIG_IRQ for device `dev`. */
export function irqOnSignal(dev: u32): void {
  let t = <usize>load32(FW_DEVICES);
  if (!t || dev >= VIRTIO_MAX_DEVICES) return;
  let e = t + <usize>dev * ENTRY;
  call_indirect<void>(load<u32>(e + E_FN), load<u32>(e + E_ARG), dev);
}

/** Step 5, by the manager after it changed an assignment (its lock held): route every device
 *  whose route left its owner to the owner's lowest core. An owner with no core keeps its route
 *  (step 3 still signals it, and the signal activates it). */
export function irqReroute(): void {
  let t = <usize>load32(FW_DEVICES);
  if (!t) return;
  let g = managerRecord();
  for (let dev: u32 = 0; dev < VIRTIO_MAX_DEVICES; dev++) {
    let e = t + <usize>dev * ENTRY;
    let owner = load32(e + E_OWNER);
    if (!owner) continue;
    let route = <i32>load32(e + E_ROUTE) - 1;
    if (route >= 0 && load32(g + MGR_ASSIGN + (<usize>route << 2)) == owner) continue;
    let core = coreOf(owner);
    if (core < 0 || core == route) continue;
    store32(e + E_ROUTE, <u32>core + 1);
    call_indirect<void>(load<u32>(e + E_ROUTER), <i32>dev, core);
  }
}
