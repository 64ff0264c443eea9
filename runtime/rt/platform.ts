// platform.ts: the platform interface, the only imports of a system image besides its memory.
//
// Owns: the declaration of every import, and the contract each host (tools/host/ on Node,
// boot/ on QEMU) implements. Nothing else in the image may declare an import; a build that finds
// another import fails (tools/build/link.ts checks the import list against PLATFORM_IMPORTS).
// Not: any policy. Parking, waking and exiting are mechanisms; the scheduler decides when.
//
// Module "aam" (the project's own):
//   core_id       global i32, immutable  this instance's core, 0 .. core_count-1
//   core_count    global i32, immutable  number of cores (instances) sharing the memory
//   now_ns()      -> f64                 monotonic clock in nanoseconds since an arbitrary origin.
//                                        f64 and not i64: an i64 crosses the JS boundary as a
//                                        BigInt (~100 ns); f64 holds integer ns exactly for 104 days.
//   park(timeout_ns: f64) -> i32         sleep this core until a wake token arrives or the timeout
//                                        passes (timeout < 0: no timeout). Returns 1 if a token was
//                                        consumed, 0 on timeout. A token posted before park is not
//                                        lost: park consumes it and returns 1 at once. Tokens do not
//                                        accumulate (binary semaphore). Spurious returns are allowed.
//   wake(core: i32)                      post a wake token to `core` (any core, itself included).
//                                        wake(core_count) wakes the host itself (runtime/host.ts:
//                                        a host call finished); a host without host calls ignores it.
//   exit(code: i32)                      end the whole system (every core) with this status; the
//                                        host flushes every core's console output first. No return.
//   fatal(msg, msgLen, file, fileLen, line, col)
//                                        report why this core is about to trap (UTF-16LE strings,
//                                        lengths in bytes). The image executes `unreachable` right
//                                        after; the host reports core, function and message once.
//   foreign_open(name, nameLen) -> i32   the host's id (>= 0) of the foreign module called `name`
//                                        (UTF-16LE), or -1 (docs/ARCHITECTURE.md "Foreign machines")
//   foreign_fn(module, name, nameLen) -> i32
//                                        the id (>= 0) of the module's export `name`, or -1
//   foreign_call(module, fn, arg) -> i32 run export fn(arg) on this core's instance of the module;
//                                        its i32 result (>= 0 by the modules' convention), or
//                                        -(1 + trap kind) (enum trap) if it trapped
//   foreign_copy(module, toModule, at, moduleAt, len) -> i32
//                                        copy len bytes between the image's memory at `at` and the
//                                        module's at `moduleAt` (toModule 1: into the module);
//                                        0, or -1 if the module's range is outside its memory
//   dev_find(kind, index) -> i32        devices (docs/ARCHITECTURE.md "Devices"): the handle
//                                        (0 .. VIRTIO_MAX_DEVICES-1) of the index-th virtio-mmio
//                                        device (version 2) whose DEVICE_ID is `kind`, in the order
//                                        the host attached them (QEMU: command-line order; Node: the
//                                        --disk options), or -1. Handles are stable for the run.
//   dev_read(dev, reg) -> i32            the 32-bit register at byte offset reg (0 .. 0x1fc, a
//                                        multiple of 4) of device dev (runtime/abi.json enum virtio).
//                                        A bad handle or offset reads 0 (and the driver's checks
//                                        of MAGIC and VERSION refuse the device).
//   dev_write(dev, reg, value)           write that register; a bad handle or offset is ignored.
//   dev_addr(at: usize) -> f64           the bus address a device uses for the image's byte `at`
//                                        (QEMU: the guest-physical address of the wasm memory
//                                        plus at; Node: at). f64, as now_ns, holds it exactly.
//   dev_route(dev, core)                 deliver dev's interrupts to `core` from now on: the host
//                                        sets bit dev of that core's FC_IRQ_PENDING word and wakes
//                                        it (QEMU: the IOAPIC's entry for the device points at the
//                                        core's LAPIC). Before the first route nothing is delivered.
//   run_inline(t, j)                     call the export aam_inline(0, t, j) and return: task j
//                                        runs task t on its stack (sched/sched.ts inline join).
//                                        The call is a catch frame: a trap in it while FC_CURRENT
//                                        is t and FC_LOCKS is 0 fails t alone, as a trap at the
//                                        stack's bottom does, then aam_resume() (the report),
//                                        aam_inline(1, t, j) (the completion), and run_inline
//                                        returns. Any other trap goes on to the host's outer
//                                        handler as if the call were not there.
//
// Module "wasi_snapshot_preview1" (a subset, same signatures as WASI preview 1):
//   fd_write            console: fd 1 and 2, line-buffered per core by the host so lines of
//                       different cores never mix; the bytes as written (no \n → \r\n)
//   fd_read             fd 0 only: the program's standard input (sys/stdio.ts). Blocks the calling
//                       core until at least one byte or the end of input is there; nread 0 = end.
//                       Each call is atomic: calls of several cores get disjoint pieces.
//   args_sizes_get, args_get, environ_sizes_get, environ_get   the command line after `--`
//   clock_time_get      realtime and monotonic clocks
//   random_get          entropy
//   proc_exit           same as aam.exit
//
// Host protocol, per core: instantiate the image with these imports and the shared memory, then
// call the export `aam_entry()` exactly once. It returns the core's status when the core stops
// without aam.exit; a host ends the system when every core has returned (status of core 0) or when
// any core calls exit or traps outside a task. A trap inside a task (the core's FC_CURRENT word,
// abi.ts, is non-zero and its FC_LOCKS word zero) is not the end: the host writes what it caught
// into FC_TRAP (enum trap) and calls the export `aam_resume()` on that core, which fails the task,
// reports it and returns; a second call goes back to the core's scheduler
// (docs/ARCHITECTURE.md §10, runtime/boot.ts recover).

// @ts-ignore: decorator
@external("aam", "core_id") export declare const CORE_ID: i32;
// @ts-ignore: decorator
@external("aam", "core_count") export declare const CORE_COUNT: i32;

export declare namespace platform {
  // @ts-ignore: decorator
  @external("aam", "now_ns") export function now_ns(): f64;
  // @ts-ignore: decorator
  @external("aam", "park") export function park(timeout_ns: f64): i32;
  // @ts-ignore: decorator
  @external("aam", "wake") export function wake(core: i32): void;
  // @ts-ignore: decorator
  @external("aam", "exit") export function exit(code: i32): void;
  // @ts-ignore: decorator
  @external("aam", "fatal") export function fatal(msg: usize, msgLen: i32, file: usize, fileLen: i32, line: i32, col: i32): void;
  // @ts-ignore: decorator
  @external("aam", "foreign_open") export function foreign_open(name: usize, nameLen: i32): i32;
  // @ts-ignore: decorator
  @external("aam", "foreign_fn") export function foreign_fn(module: i32, name: usize, nameLen: i32): i32;
  // @ts-ignore: decorator
  @external("aam", "foreign_call") export function foreign_call(module: i32, fn: i32, arg: i32): i32;
  // @ts-ignore: decorator
  @external("aam", "foreign_copy") export function foreign_copy(module: i32, toModule: i32, at: usize, moduleAt: i32, len: i32): i32;
  // @ts-ignore: decorator
  @external("aam", "dev_find") export function dev_find(kind: i32, index: i32): i32;
  // @ts-ignore: decorator
  @external("aam", "dev_read") export function dev_read(dev: i32, reg: i32): i32;
  // @ts-ignore: decorator
  @external("aam", "dev_write") export function dev_write(dev: i32, reg: i32, value: i32): void;
  // @ts-ignore: decorator
  @external("aam", "dev_addr") export function dev_addr(at: usize): f64;
  // @ts-ignore: decorator
  @external("aam", "dev_route") export function dev_route(dev: i32, core: i32): void;
  // @ts-ignore: decorator
  @external("aam", "run_inline") export function run_inline(t: u32, j: u32): void;
}

export declare namespace wasi {
  // @ts-ignore: decorator
  @external("wasi_snapshot_preview1", "fd_write") export function fd_write(fd: i32, iovs: usize, iovsLen: i32, nwritten: usize): i32;
  // @ts-ignore: decorator
  @external("wasi_snapshot_preview1", "fd_read") export function fd_read(fd: i32, iovs: usize, iovsLen: i32, nread: usize): i32;
  // @ts-ignore: decorator
  @external("wasi_snapshot_preview1", "args_sizes_get") export function args_sizes_get(argc: usize, argvBufSize: usize): i32;
  // @ts-ignore: decorator
  @external("wasi_snapshot_preview1", "args_get") export function args_get(argv: usize, argvBuf: usize): i32;
  // @ts-ignore: decorator
  @external("wasi_snapshot_preview1", "environ_sizes_get") export function environ_sizes_get(count: usize, bufSize: usize): i32;
  // @ts-ignore: decorator
  @external("wasi_snapshot_preview1", "environ_get") export function environ_get(env: usize, envBuf: usize): i32;
  // @ts-ignore: decorator
  @external("wasi_snapshot_preview1", "clock_time_get") export function clock_time_get(id: i32, precision: i64, time: usize): i32;
  // @ts-ignore: decorator
  @external("wasi_snapshot_preview1", "random_get") export function random_get(buf: usize, len: i32): i32;
  // @ts-ignore: decorator
  @external("wasi_snapshot_preview1", "proc_exit") export function proc_exit(code: i32): void;
}

