// worker.ts: one core of the Node host, a worker_threads worker running one instance of the image.
//
// Owns: this core's side of the platform interface (runtime/rt/platform.ts): park/wake over the
// host's control words, now_ns, exit, fatal, the console and binary stdout (buffered per core up
// to a newline and written straight to the process's fds, so that a line is out before the core
// goes on), stdin reads (fd_read of fd 0, through the channel of stdio.ts), the device imports
// (virtio.ts: registers of the devices node.ts serves), and WASI's
// args/environ/clock/random through @wasmer/wasi. Reports how the core ended to node.ts.
// Not: the system's lifetime (node.ts decides when everything stops).
//
// Control words (Int32Array over workerData.ctl, host-only, not in wasm memory): core c's park
// token at [c], then STOP and HOST at [cores + CTL_*]; runtime/abi.json draws them (enum ctl).
// wake(cores), a core number past the last, is the image waking the host (runtime/service/host.ts steps
// 7, 9).

import { workerData, parentPort } from "node:worker_threads";
import * as fs from "node:fs";
import { init, WASI } from "@wasmer/wasi";
import { symbolize, sourcePath, type SourceRoots } from "./symbols";
import { asString } from "./stats";
import { foreignImports, type ForeignModuleData } from "./foreign";
import { trapKind } from "./traps";
import { stdinRead } from "./stdio";
import { devImports, type DeviceData } from "./virtio";
import {
  CORE_BASE, CORE_REC_SIZE, FC_CURRENT, FC_LOCKS, FC_LOCK_NAME, FC_TRAP, CTL_STOP, CTL_HOST, EXIT_TRAP, EXIT_PIPE,
  TRAP_NONE, TRAP_STACK,
} from "./abi";

interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctl: SharedArrayBuffer;
  core: number;
  cores: number;
  args: string[];
  env: Record<string, string>;
  timeOrigin: number;       // node.ts's performance.timeOrigin: one clock for every core
  fds: [number, number];    // where fd 1 and 2 of the image go
  stdin: SharedArrayBuffer; // the stdin channel (stdio.ts), answered by node.ts's StdinPump
  fns?: Record<number, string>;   // function-table names (manifest): runtime reports say fn#N
  sources?: SourceRoots;          // what the image's file names are relative to (manifest)
  foreign: ForeignModuleData[];   // the foreign modules the image uses (tools/host/foreign.ts)
  devices: DeviceData[];          // the virtio devices (tools/host/virtio.ts), by handle
}

export interface CoreEnd {
  t: "exit" | "done" | "trap" | "error" | "tasktrap" | "up";
  core: number;
  code?: number;
  message?: string;
  func?: string;
  frames?: string[];
  fatal?: boolean;         // exit: main failed (the image ended the system with EXIT_TRAP)
}

class Unwind extends Error {}      // thrown through wasm frames to stop this core
class PipeClosed extends Error {}  // stdout's reader went away (EPIPE)

const d = workerData as WorkerData;
const ctl = new Int32Array(d.ctl);
const STOP = d.cores + CTL_STOP;
const HOST = d.cores + CTL_HOST;
const coreAddr = CORE_BASE + d.core * CORE_REC_SIZE;              // this core's record
const currentTaskAddr = coreAddr + FC_CURRENT;                      // set while a task runs
const clockOffsetMs = performance.timeOrigin - d.timeOrigin;
const lines: Uint8Array[][] = [[], [], []];
let fatal: { message: string; where: string } | null = null;
let failing = false;       // inside the first aam_resume after a task trap: an exit now is main failing

function post(m: CoreEnd): void { parentPort!.postMessage(m); }

function bytes(ptr: number, len: number): Uint8Array {
  return new Uint8Array(d.memory.buffer, ptr, len);
}

function utf16(ptr: number, len: number): string {
  if (!ptr || len <= 0) return "";
  return Buffer.from(bytes(ptr, len)).toString("utf16le");
}

// A closed pipe on fd 1 throws PipeClosed (the system then ends with EXIT_PIPE, quietly); on fd 2
// the bytes are dropped: there is nobody left to tell.
function writeAll(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EPIPE") { if (fd === d.fds[0]) throw new PipeClosed(); return; }
      if (code !== "EAGAIN") throw e;
      Atomics.wait(ctl, STOP, 0, 1);           // pipe full: let the reader catch up
    }
  }
}

// Console and binary stdout: keep bytes until a newline, then write everything up to the last
// newline in one write(2), so a line is never cut by another core's bytes. Stdout that holds more
// than FLUSH_AT bytes without a newline (binary data) goes out anyway: the host keeps at most
// that much of it. Stderr goes line by line: runtime reports get their function names.
const FLUSH_AT = 65536;
const pendingBytes = [0, 0, 0];
function consoleWrite(fd: 1 | 2, data: Uint8Array): void {
  const pending = lines[fd];
  if (fd === 1) {
    const last = data.lastIndexOf(10);
    if (last < 0 && pendingBytes[1] + data.length < FLUSH_AT) { pending.push(data.slice()); pendingBytes[1] += data.length; return; }
    const cut = last < 0 ? data.length : last + 1;
    pending.push(data.subarray(0, cut));
    const out = Buffer.concat(pending);
    pending.length = 0;
    pendingBytes[1] = 0;
    if (cut < data.length) { pending.push(data.slice(cut)); pendingBytes[1] = data.length - cut; }
    writeAll(d.fds[0], out);
    return;
  }
  let start = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== 10) continue;
    pending.push(data.slice(start, i + 1));
    writeAll(d.fds[fd - 1], symbolizeLine(Buffer.concat(pending)));
    pending.length = 0;
    start = i + 1;
  }
  if (start < data.length) pending.push(data.slice(start));
}

// Stdout's reader went away: end the system quietly with EXIT_PIPE (a shell's 128 + SIGPIPE).
function pipeClosed(): never {
  lines[1].length = 0;
  post({ t: "exit", core: d.core, code: EXIT_PIPE });
  throw new Unwind("stdout closed");
}

// Runtime reports ("aam: stall: … fn#12 …") name task functions by table index; put the name in.
function symbolizeLine(line: Buffer): Buffer {
  if (line.length < 5 || !line.subarray(0, 5).equals(AAM_PREFIX)) return line;
  return Buffer.from(symbolize(line.toString("utf8"), d.fns, d.sources), "utf8");
}
const AAM_PREFIX = Buffer.from("aam: ");
const WASI_EFAULT = 21;

function flushConsole(): void {
  for (const fd of [1, 2] as const) {
    const out = Buffer.concat(lines[fd]);
    lines[fd].length = 0;
    pendingBytes[fd] = 0;
    try { if (out.length) writeAll(d.fds[fd - 1], out); } catch (e) { if (!(e instanceof PipeClosed)) throw e; }
  }
}

function stopIfEnding(): void {
  if (Atomics.load(ctl, STOP)) throw new Unwind("system stopped");
}

// aam.run_inline (runtime/rt/platform.ts): the export aam_inline and what a trap under it does,
// set once the instance exists (main below).
let inlineRun: (op: number, t: number, j: number) => void = () => { throw new Error("run_inline before the instance"); };
let inlineTrap: (e: unknown, t: number, j: number) => void = (e) => { throw e; };
const aam = {
  core_id: d.core,
  core_count: d.cores,
  now_ns: (): number => (performance.now() + clockOffsetMs) * 1e6,
  park(timeoutNs: number): number {
    stopIfEnding();
    if (Atomics.exchange(ctl, d.core, 0) === 1) return 1;
    Atomics.wait(ctl, d.core, 0, timeoutNs < 0 ? Infinity : timeoutNs / 1e6);
    stopIfEnding();
    return Atomics.exchange(ctl, d.core, 0);
  },
  // inline join (runtime/sched/sched.ts i2): this call is the catch frame of task t, run on the
  // stack of task j
  run_inline(t: number, j: number): void {
    try { inlineRun(0, t, j); } catch (e) { inlineTrap(e, t, j); }
  },
  wake(core: number): void {
    if (core === d.cores) { Atomics.add(ctl, HOST, 1); Atomics.notify(ctl, HOST); return; }
    if (core < 0 || core >= d.cores) throw new RangeError(`wake: no core ${core}`);
    Atomics.store(ctl, core, 1);
    Atomics.notify(ctl, core, 1);
  },
  exit(code: number): never {
    flushConsole();         // a closed stdout drops the rest: the program chose its status
    // An exit status is 0..255: the image refuses others itself (runtime/sys/sys.ts exitWith);
    // this is the same refusal for whatever else reaches the import.
    if ((code | 0) < 0 || (code | 0) > 255) {
      writeAll(d.fds[1], Buffer.from(`aam: exit(${code | 0}) on core ${d.core}: an exit status is 0..255; the system ends with status ${EXIT_TRAP}\n`));
      code = EXIT_TRAP;
    }
    post({ t: "exit", core: d.core, code: code | 0, fatal: failing });
    throw new Unwind("exit");
  },
  fatal(msg: number, msgLen: number, file: number, fileLen: number, line: number, col: number): void {
    const f = utf16(file, fileLen);
    fatal = { message: utf16(msg, msgLen) || "abort", where: f ? `${sourcePath(f, d.sources)}:${line}:${col}` : "" };
  },
};

// The first wasm frame that is not the runtime's own error path names the failing function.
function framesOf(e: Error): string[] {
  const out: string[] = [];
  for (const line of String(e.stack ?? "").split("\n")) {
    const m = /^\s*at (?:(.+?) \()?wasm:\/\/wasm\/[^:]*:wasm-function\[(\d+)\]/.exec(line);
    if (m) out.push(m[1] ?? `wasm-function[${m[2]}]`);
  }
  return out;
}

async function main(): Promise<void> {
  // @wasmer/wasi refuses a module that imports nothing from WASI; such an image needs none.
  const usesWasi = WebAssembly.Module.imports(d.module).some((i) => i.module === "wasi_snapshot_preview1");
  let wasi: WASI | null = null;
  let imports: Record<string, Record<string, unknown>> = {};
  if (usesWasi) {
    await init();
    wasi = new WASI({ args: d.args, env: d.env });
    imports = wasi.getImports(d.module) as Record<string, Record<string, unknown>>;
    const w = imports.wasi_snapshot_preview1;
    const wasiFdWrite = w.fd_write as (...a: number[]) => number;
    w.fd_write = (fd: number, iovs: number, n: number, nwritten: number): number => {
      if (fd !== 1 && fd !== 2) return wasiFdWrite(fd, iovs, n, nwritten);
      const dv = new DataView(d.memory.buffer);
      if (fd === 1 && n === 0) {               // stdoutWrite's flush (runtime/sys/stdio.ts)
        if (lines[1].length) {
          try { writeAll(d.fds[0], Buffer.concat(lines[1])); } catch (e) { if (e instanceof PipeClosed) pipeClosed(); throw e; }
          lines[1].length = 0;
          pendingBytes[1] = 0;
        }
        dv.setUint32(nwritten, 0, true);
        return 0;
      }
      let total = 0;
      for (let i = 0; i < n; i++) {
        const p = dv.getUint32(iovs + i * 8, true), len = dv.getUint32(iovs + i * 8 + 4, true);
        if (p + len > d.memory.buffer.byteLength) return WASI_EFAULT;
        try { consoleWrite(fd, bytes(p, len)); } catch (e) { if (e instanceof PipeClosed) pipeClosed(); throw e; }
        total += len;
      }
      dv.setUint32(nwritten, total, true);
      return 0;
    };
    // fd 0: the stdin channel (stdio.ts); one iovec per call is filled (a read(2) may return less).
    const wasiFdRead = w.fd_read as (...a: number[]) => number;
    w.fd_read = (fd: number, iovs: number, n: number, nread: number): number => {
      if (fd !== 0) return wasiFdRead(fd, iovs, n, nread);
      const dv = new DataView(d.memory.buffer);
      let got = 0;
      for (let i = 0; i < n && got === 0; i++) {
        const p = dv.getUint32(iovs + i * 8, true), len = dv.getUint32(iovs + i * 8 + 4, true);
        if (p + len > d.memory.buffer.byteLength) return WASI_EFAULT;
        if (!len) continue;
        const r = stdinRead(d.stdin, bytes(p, len), stopIfEnding);
        if (r < 0) return -r;
        if (r === 0) break;
        got = r;
      }
      dv.setUint32(nread, got, true);
      return 0;
    };
    w.proc_exit = (code: number): never => aam.exit(code);
  }
  imports.env = { memory: d.memory };
  let instance: WebAssembly.Instance;
  try {
    imports.aam = { ...aam, ...foreignImports(d.foreign, d.memory, d.timeOrigin - performance.timeOrigin + clockOffsetMs), ...devImports(d.devices) };
    instance = new WebAssembly.Instance(d.module, imports as WebAssembly.Imports);
    wasi?.instantiate(instance, {});
  } catch (e) {
    post({ t: "error", core: d.core, message: `cannot instantiate the image: ${(e as Error).message}` });
    return;
  }
  Error.stackTraceLimit = 64;
  const resume = instance.exports.aam_resume as () => number;
  const inline = instance.exports.aam_inline as (op: number, t: number, j: number) => void;
  const traceFlush = instance.exports.aam_trace_flush as (() => void) | undefined;
  // A task trapped: tell the image what it was and re-enter it (runtime/boot.ts recover): the
  // first aam_resume fails the task and writes the report (core, task function, machine, reason:
  // the same text on both hosts), then node.ts prints the flight recorder (this message comes
  // before anything the failure causes, such as main's exit). If the task was main, that call
  // ends the system: a fatal end.
  const failTask = (trap: Caught): void => {
    new DataView(d.memory.buffer).setUint32(coreAddr + FC_TRAP, trap.kind, true);
    failing = true;
    resume();
    failing = false;
    post({ t: "tasktrap", core: d.core, func: trap.func, message: trap.message, frames: trap.frames });
  };
  // Inline join (aam.run_inline above): a trap of t fails t and returns to j; any other goes on
  // to the loop below.
  inlineRun = inline;
  inlineTrap = (e: unknown, t: number, j: number): void => {
    const current = new DataView(d.memory.buffer).getUint32(currentTaskAddr, true);
    if (current !== t || trapKind(e) === TRAP_NONE || lockHeld()) throw e;
    failTask(caught(e, traceFlush));
    inline(1, t, j);
  };
  post({ t: "up", core: d.core });
  let enter = instance.exports.aam_entry as () => number;
  while (true) {
    try {
      const code = enter();
      flushConsole();
      post({ t: "done", core: d.core, code });
      return;
    } catch (e) {
      flushConsole();
      if (e instanceof Unwind) return;
      const trap = caught(e, traceFlush);
      if (trap.kind === TRAP_NONE) {
        post({ t: "error", core: d.core, func: trap.func, message: `host error: ${(e as Error).message}`, frames: trap.frames });
        return;
      }
      if (!trap.held && taskRunning()) {
        // the second aam_resume completes the task's future and goes back to the core's scheduler
        enter = () => { failTask(trap); return resume(); };
        continue;
      }
      if (trap.held) trap.message += ` (while holding the ${trap.held} lock: the system stops)`;
      post({ t: "trap", core: d.core, func: trap.held ? innermost(trap.frames) : trap.func, message: trap.message, frames: trap.frames });
      return;
    }
  }
}

interface Caught { kind: number; func: string; message: string; frames: string[]; held: string }

// What a trap was (the rule below): its kind, the function to name, its message, and the lock
// the core held. --trace: the events this core wrote since its last published one go out first,
// before the host reads the rings.
function caught(e: unknown, traceFlush: (() => void) | undefined): Caught {
  try { traceFlush?.(); } catch { /* the report matters more */ }
  const err = e as Error;
  const frames = framesOf(err);
  // Name the innermost frame of the program itself: the runtime's and the standard library's
  // frames (~lib/…) say how it failed, the program's frame says where.
  const func = frames.find((f) => !f.startsWith("~lib/")) ?? frames[0] ?? "(host)";
  const kind = trapKind(err);
  const message = kind === TRAP_STACK ? "call stack exhausted" : fatal ? fatal.message + (fatal.where ? ` (${fatal.where})` : "") : err.message;
  if (kind !== TRAP_NONE) fatal = null;
  return { kind, func, message, frames, held: kind === TRAP_NONE ? "" : lockHeld() };
}


// The trap rule (docs/ARCHITECTURE.md "Traps"), the same on both hosts: a trap while a task runs
// (FC_CURRENT ≠ 0) fails only that task, unless the core holds a system lock (FC_LOCKS ≠ 0): the
// data it guards may be half-updated, so the system stops, naming the lock. A trap with no task
// running (the scheduler's and the manager's loops, boot) always stops the system. A trap in main
// fails it as any task; the image then ends the system with EXIT_TRAP (runtime/boot.ts recover).
function taskRunning(): boolean {
  const v = new DataView(d.memory.buffer);
  return v.getUint32(currentTaskAddr, true) !== 0;
}

/** The name of the lock this core holds, or "" when it holds none. */
function lockHeld(): string {
  const v = new DataView(d.memory.buffer);
  const rec = CORE_BASE + d.core * CORE_REC_SIZE;
  if (v.getUint32(rec + FC_LOCKS, true) === 0) return "";
  return asString(d.memory.buffer, v.getUint32(rec + FC_LOCK_NAME, true));
}

// The innermost frame past the runtime's own error path (~lib/rt/trap): where it went wrong.
function innermost(frames: string[]): string {
  return frames.find((f) => !f.startsWith("~lib/rt/trap/")) ?? frames[0] ?? "(host)";
}

main().catch((e) => post({ t: "error", core: d.core, message: String(e?.stack ?? e) }));
