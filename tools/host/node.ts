// node.ts: the Node host, one worker_threads worker per core over one shared memory.
//
// Owns: the system's lifetime on Node: loading and checking an image, creating the shared memory
// and the control words, starting a worker per core (worker.ts), and ending everything on the
// first exit, trap or error, or when every core has returned. Reports traps (core, function,
// message) and turns the end into one exit status.
// Not: the platform calls themselves (worker.ts), building images (tools/build/).
//
// End protocol:
//  1. The first end message wins: exit(code) → code; a trap → EXIT_TRAP with the report on
//     stderr; a host error → EXIT_HOST_ERROR; all cores returned → core 0's status.
//  2. STOP is set and every core's park word notified, so parked cores unwind at once; so do
//     cores waiting for stdin (stdio.ts), and the stdin pump stops asking for more.
//  3. Every worker is terminated (a core spinning in wasm is interrupted by V8); then, with every
//     core stopped, the counters (--stats) and the last of the trace rings are read.
//  4. runImage resolves with the status; the CLI exits the process with it.
//
// startImage is the long-running variant: the same system, plus `call` (host → machine calls,
// calls.ts and runtime/service/host.ts) and `stop` (the image's hostServe() returns the code). On the end
// (step 2) every host call still pending is rejected.

import { Worker } from "node:worker_threads";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { CoreEnd } from "./worker";
import { readStats, formatStats, formatHang, type SystemStats } from "./stats";
import { TraceCollector, rawStats, FLIGHT_TASK_TRAPS } from "./trace";
import type { RawTrace } from "../trace/raw";
import { HostPort, type HostCall, type HostCallResult } from "./calls";
import { abiProblem, type ImageManifest } from "./manifest";
import { sourceRootsOf } from "./symbols";
import { findForeign, manifestRecipes } from "../build/foreign";
import type { ForeignModuleData } from "./foreign";
import { stdinChannel, stdinWakeAll, StdinPump } from "./stdio";
import { BlockDevice, DiskError, type DiskSpec } from "./virtio";
import { NetDevice, NetError, type NetSpec } from "./net";
import { MAX_CORES, CTL_STOP, CTL_EXTRA, EXIT_TRAP, EXIT_HOST_ERROR, EXIT_INTERRUPT } from "./abi";

export type { HostCall, HostCallResult, ImageManifest };

export interface RunOptions {
  module: WebAssembly.Module;
  manifest: ImageManifest;
  cores?: number;
  args?: string[];               // argv as the image sees it, argv[0] first
  env?: Record<string, string>;
  fds?: [number, number];
  stdin?: number;                // the fd the image's stdin reads (default 0), read only when it asks
  stats?: boolean;
  workerPath?: string;
  staggerMs?: number;            // testing aid: start core c after c × staggerMs (AAM_HOST_STAGGER_MS)
  traceDrainMs?: number;         // how often the trace rings are drained (images built with --trace)
  foreign?: { name: string; wasm: string }[];   // the image's foreign modules (default: built ones its manifest names)
  disks?: DiskSpec[];            // virtio block devices backed by these files (--disk), handles 0, 1, …
  net?: NetSpec;                 // a virtio-net device on this link (--net), the handle after the disks'
  relay?: string;                // the TAP relay (build/net/taprelay) for a tap link
}

export interface RunResult {
  code: number;
  end: CoreEnd;
  stats?: SystemStats;
  report?: string;               // what was printed about a trap or error
  trace?: RawTrace;              // images built with --trace: every event the cores recorded
}

export class HostError extends Error { name = "HostError"; }

/** A running system (startImage). */
export interface AamSystem {
  done: Promise<RunResult>;                     // resolves when the system stops (as runImage's promise)
  call(req: HostCall): Promise<HostCallResult>; // rejects with Error(message) on refusal/trap/unknown machine/system stopped
  stop(code?: number): Promise<RunResult>;      // the image's hostServe() returns `code`; resolves with the run result
}

/** Compile an image file and read its manifest; a wasm without one is not an image. */
export function loadImage(file: string): { module: WebAssembly.Module; manifest: ImageManifest } {
  let bytes: Buffer;
  try { bytes = fs.readFileSync(file); } catch { throw new HostError(`${file}: no such file`); }
  let module: WebAssembly.Module;
  try { module = new WebAssembly.Module(bytes); } catch (e) {
    throw new HostError(`${file}: not a WebAssembly module (${(e as Error).message})`);
  }
  const sec = WebAssembly.Module.customSections(module, "aam.manifest");
  if (!sec.length) throw new HostError(`${file}: not an AAM system image (no aam.manifest section; build it with \`aam build\`)`);
  const manifest = JSON.parse(Buffer.from(sec[0]).toString("utf8")) as ImageManifest;
  if (manifest.format !== "aam-image/1") throw new HostError(`${file}: unsupported image format ${manifest.format}`);
  const bad = abiProblem(manifest);
  if (bad) throw new HostError(`${file}: ${bad}`);
  return { module, manifest };
}

export function defaultCores(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

export function runImage(o: RunOptions): Promise<RunResult> {
  return startImage(o).done;
}

/** Start a system and keep it running: call machines of it, stop it (see AamSystem). */
export function startImage(o: RunOptions): AamSystem {
  const cores = o.cores ?? defaultCores();
  const m = o.manifest.memory;
  const bad = !Number.isInteger(cores) || cores < 1 || cores > MAX_CORES ? `--cores must be 1..${MAX_CORES}, got ${o.cores}` : abiProblem(o.manifest);
  if (bad) {
    const err = new HostError(bad);
    return { done: Promise.reject(err), call: () => Promise.reject(err), stop: () => Promise.reject(err) };
  }
  let foreign: ForeignModuleData[];
  try { foreign = foreignModules(o); } catch (e) {
    const err = e instanceof HostError ? e : new HostError((e as Error).message);
    return { done: Promise.reject(err), call: () => Promise.reject(err), stop: () => Promise.reject(err) };
  }
  const memory = new WebAssembly.Memory({ initial: m.initialPages, maximum: m.maximumPages, shared: true });
  const ctl = new SharedArrayBuffer(4 * (cores + CTL_EXTRA));    // park words, then the CTL_* words (worker.ts)
  const ctlWords = new Int32Array(ctl);
  let disks: BlockDevice[];                                       // the device models (virtio.ts, net.ts)
  let nic: NetDevice | null = null;
  try {
    disks = (o.disks ?? []).map((spec, i) => new BlockDevice(spec, i, memory, ctlWords, o.fds?.[1] ?? 2));
    if (o.net) {
      try { nic = new NetDevice(o.net, disks.length, memory, ctlWords, o.fds?.[1] ?? 2, o.relay); } catch (e) { for (const d of disks) d.stop(); throw e; }
    }
  } catch (e) {
    const err = e instanceof DiskError || e instanceof NetError ? new HostError(e.message) : e as Error;
    return { done: Promise.reject(err), call: () => Promise.reject(err), stop: () => Promise.reject(err) };
  }
  const devices = [...disks.map((d) => d.data), ...(nic ? [nic.data] : [])];
  const port = new HostPort(memory, ctlWords, cores);
  const stdin = stdinChannel();
  const pump = new StdinPump(stdin, o.stdin ?? 0);
  const workerPath = o.workerPath ?? path.join(path.dirname(new URL(import.meta.url).pathname), "worker.mjs");
  const workers: Worker[] = [];
  let returned = 0;
  let finished = false;
  // Tracing: the main thread drains the rings while the cores run (tools/host/trace.ts).
  const tracer = o.manifest.trace ? new TraceCollector(memory, o.manifest, cores) : null;
  const drainTimer = tracer ? setInterval(() => tracer.drain(), o.traceDrainMs ?? 2) : null;
  drainTimer?.unref();                     // the workers keep the process alive, not the timer
  // The flight recorder follows every fatal report, and the first FLIGHT_TASK_TRAPS task traps
  // (a machine failing request after request would bury its output under copies of the rings).
  let taskTraps = 0;
  const flight = (taskTrap = false, drain = true): string => {
    if (!tracer) return "";
    if (taskTrap && ++taskTraps > FLIGHT_TASK_TRAPS) {
      if (taskTraps === FLIGHT_TASK_TRAPS + 1) fs.writeSync(o.fds?.[1] ?? 2, `aam: flight recorder: shown for the first ${FLIGHT_TASK_TRAPS} task traps only\n`);
      return "";
    }
    const text = tracer.flightRecorder(12, drain);
    fs.writeSync(o.fds?.[1] ?? 2, text);
    return text;
  };

  const done = new Promise<RunResult>((resolve) => {
    // withFlight: a fatal end; its flight recorder is printed once every core has stopped, so that
    // it has what each core wrote (runtime/sys/trace.ts step 4), not only what they had published.
    const finish = (code: number, end: CoreEnd, report?: string, withFlight = false): void => {
      if (finished) return;
      finished = true;
      port.end(code);
      Atomics.store(ctlWords, cores + CTL_STOP, 1);                        // step 2
      for (let c = 0; c < cores; c++) { Atomics.store(ctlWords, c, 1); Atomics.notify(ctlWords, c); }
      pump.stop();
      for (const d of disks) d.stop();
      const nicDone = nic?.stop();                                         // the link flushes what was sent
      stdinWakeAll(stdin);                                                 // cores waiting for input
      if (drainTimer) clearInterval(drainTimer);
      Promise.allSettled([...workers.map((w) => w.terminate()), nicDone]).then(() => {   // step 3
        // The cores have stopped: the counters are final, and the trace rings give up what their
        // cores wrote but had not published yet (runtime/sys/trace.ts step 4).
        const stats = o.stats || tracer ? readStats(memory, cores) : undefined;
        let trace: RawTrace | undefined;
        if (tracer) {
          tracer.finish((performance.now()) * 1e6);
          if (withFlight) report = (report ?? "") + flight(false, false);
          trace = tracer.raw(stats && rawStats(stats));
        }
        process.removeListener("SIGINT", onInt);
        process.removeListener("SIGUSR2", onDump);
        resolve({ code, end, stats: o.stats ? stats : undefined, report, trace });   // step 4
      });
    };
    const onInt = (): void => finish(EXIT_INTERRUPT, { t: "error", core: -1, message: "interrupted" });
    nic?.onFatal((message) => {                                          // the network link failed
      const report = `aam: ${message}\n`;
      fs.writeSync(o.fds?.[1] ?? 2, report);
      finish(EXIT_HOST_ERROR, { t: "error", core: -1, message }, report);
    });
    process.on("SIGINT", onInt);
    // A hang report, and the run goes on: what every core is doing (tests/lib/aam.mjs sends it
    // to a run that hung before it kills it).
    const onDump = (): void => {
      const text = `aam: SIGUSR2 at ${performance.now().toFixed(0)} ms: the state of ${cores} cores\n` +
        formatHang(memory, cores, (c) => `park token ${Atomics.load(ctlWords, c)}`) + (tracer ? flight(false) : "");
      fs.writeSync(o.fds?.[1] ?? 2, text);
    };
    process.on("SIGUSR2", onDump);

    let upHook: ((core: number) => void) | null = null;
    const onMessage = (e: CoreEnd): void => {                              // step 1
      if (finished) return;
      switch (e.t) {
        case "up": upHook?.(e.core); break;
        case "exit": finish(e.code ?? 0, e, undefined, !!e.fatal); break;   // main failed: a fatal end
        case "done":
          if (++returned === cores) finish(e.core === 0 ? e.code ?? 0 : 0, e);
          break;
        // the image wrote the report (runtime/sched/dispatch.ts failCurrent, in the first
        // aam_resume: the trap event is recorded too); the flight recorder follows it
        case "tasktrap": flight(true); break;
        case "trap": {
          const report = `aam: trap on core ${e.core} in ${e.func}: ${e.message}\n` +
            (e.frames?.length ? `  stack: ${e.frames.slice(0, 12).join(" <- ")}\n` : "");
          fs.writeSync(o.fds?.[1] ?? 2, report);
          finish(EXIT_TRAP, e, report, true);
          break;
        }
        case "error": {
          const report = `aam: core ${e.core}: ${e.message}\n`;
          fs.writeSync(o.fds?.[1] ?? 2, report);
          finish(EXIT_HOST_ERROR, e, report, true);
          break;
        }
      }
    };
    // Testing aid: with a stagger, core c starts N ms after core c−1 reported its instance up.
    const stagger = o.staggerMs ?? Number(process.env.AAM_HOST_STAGGER_MS ?? 0);
    const start = (core: number): void => {
      if (finished) return;
      const w = new Worker(workerPath, {
        workerData: {
          module: o.module, memory, ctl, core, cores,
          args: o.args ?? ["image"], env: o.env ?? {},
          timeOrigin: performance.timeOrigin, fds: o.fds ?? [1, 2], stdin, fns: o.manifest.fns, sources: sourceRootsOf(o.manifest),
          foreign, devices,
        },
        stdout: false, stderr: false,
      });
      w.on("message", onMessage);
      w.on("error", (err) => onMessage({ t: "error", core, message: `worker failed: ${err.message}` }));
      w.on("exit", (code) => {
        if (!finished) onMessage({ t: "error", core, message: `worker exited unexpectedly (${code})` });
      });
      workers.push(w);
    };
    if (stagger > 0) upHook = (core) => { if (core + 1 < cores) setTimeout(() => start(core + 1), stagger); };
    for (let core = 0; core < (stagger > 0 ? 1 : cores); core++) start(core);
  });
  return {
    done,
    call: (req) => port.call(req),
    stop: (code = 0) => { port.stop(code); return done; },
  };
}

// Every foreign module of the image, compiled, each with its own shared memory (its declared
// minimum and maximum) and its once-word (tools/host/foreign.ts).
function foreignModules(o: RunOptions): ForeignModuleData[] {
  let list = o.foreign;
  if (!list) {
    const b = o.manifest.build as Record<string, unknown> | undefined;
    const root = typeof b?.runtime === "string" ? path.dirname(b.runtime) : process.cwd();
    list = manifestRecipes(o.manifest as { build?: Record<string, unknown> }).map((d) => {
      const f = findForeign(root, d);
      if (!f) throw new HostError(`foreign module ${d} is not built: run \`aam build\` on the program first`);
      return { name: f.name, wasm: f.node };
    });
  }
  return list.map((f) => {
    const module = new WebAssembly.Module(fs.readFileSync(f.wasm));
    const mi = WebAssembly.Module.imports(module).find((i) => i.module === "env" && i.name === "memory");
    if (!mi) throw new HostError(`${f.wasm}: the foreign module imports no memory`);
    const lim = memoryLimits(fs.readFileSync(f.wasm));
    return { name: f.name, module, memory: new WebAssembly.Memory({ initial: lim.initial, maximum: lim.maximum, shared: true }), once: new SharedArrayBuffer(4) };
  });
}

// The limits of the imported memory, read from the import section (the JS API does not give them).
function memoryLimits(wasm: Uint8Array): { initial: number; maximum: number } {
  let i = 8;
  const u = (): number => { let r = 0, s = 0, b: number; do { b = wasm[i++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r >>> 0; };
  const str = (): string => { const n = u(); const t = Buffer.from(wasm.subarray(i, i + n)).toString("utf8"); i += n; return t; };
  while (i < wasm.length) {
    const id = wasm[i++], size = u(), end = i + size;
    if (id === 2) {
      for (let n = u(); n > 0; n--) {
        const mod = str(), name = str(), kind = wasm[i++];
        if (kind === 0) u();
        else if (kind === 1) { i++; const f = u(); u(); if (f & 1) u(); }
        else if (kind === 3) { i += 2; }
        else if (kind === 2) {
          const f = u(), initial = u(), maximum = f & 1 ? u() : 65536;
          if (mod === "env" && name === "memory") return { initial, maximum };
        }
      }
    }
    i = end;
  }
  throw new HostError("a foreign module without an imported memory");
}

export { formatStats };
