// link.ts: step 2 of the build, unoptimised wasm → system image.
//
// Owns, in order: (1) the import check against the platform interface, (2) making every data
// segment passive behind a generated init-once function, (3) the single entry `aam_entry`,
// (4) Asyncify with a computed onlylist (asyncify.ts) and extra passes a caller asks for, all
// before optimisation, (5) binaryen -O3,
// (6) the manifest, embedded as the custom section "aam.manifest" and written beside the image.
// Not: compiling (compile.ts) or running (tools/host/).
//
// Why passive segments: the host instantiates one instance per core over one memory, and an
// active segment is copied again by every instantiation, overwriting static data an earlier core
// already changed. Rejected: instantiating every core before any runs (serialises start-up and
// still breaks a core added later) and asking hosts to copy the data (two hosts, two copies of
// the same logic).
//
// __aam_init_data, generated:
//   if cmpxchg(SCB_DATA_STATE, 0, 1) == 0:  memory.init each segment; data.drop; store 2
//   else: spin while load(SCB_DATA_STATE) != 2
// aam_entry, generated:  __aam_init_data(); __aam_heap_setup() (rt/index.ts, once);
//                        __aam_as_start() (module-level code, per core);
//                        return aam_main()   (runtime/boot.ts via the glue in compile.ts)

import binaryen from "binaryen";
import { writeFileSync } from "node:fs";
import { asyncify, type AsyncifyReport } from "./asyncify";
import { SCB_DATA_STATE, ABI_HASH, MANIFEST_MEMORY, MANIFEST_TRACE } from "../host/abi";

export const PLATFORM_IMPORTS = new Set([
  "env.memory",
  "aam.core_id", "aam.core_count", "aam.now_ns", "aam.park", "aam.wake", "aam.exit", "aam.fatal",
  "aam.foreign_open", "aam.foreign_fn", "aam.foreign_call", "aam.foreign_copy",
  "aam.dev_find", "aam.dev_read", "aam.dev_write", "aam.dev_addr", "aam.dev_route", "aam.run_inline",
  "wasi_snapshot_preview1.fd_write", "wasi_snapshot_preview1.fd_read", "wasi_snapshot_preview1.args_sizes_get",
  "wasi_snapshot_preview1.args_get", "wasi_snapshot_preview1.environ_sizes_get",
  "wasi_snapshot_preview1.environ_get", "wasi_snapshot_preview1.clock_time_get",
  "wasi_snapshot_preview1.random_get", "wasi_snapshot_preview1.proc_exit",
]);
export const FEATURES = binaryen.Features.MVP | binaryen.Features.Atomics | binaryen.Features.BulkMemory |
  binaryen.Features.BulkMemoryOpt | binaryen.Features.MutableGlobals | binaryen.Features.SignExt |
  binaryen.Features.NontrappingFPToInt;   // no SIMD128: the QEMU host (wasm2c, freestanding) has no SIMD support

// Functions -O3 must not inline into their caller: loops that V8 would otherwise run in its
// baseline code for good. V8 optimises a wasm function only for its next call (no on-stack
// replacement), so the body of a loop entered once per core (machine/core.ts coreLoop → serve)
// must be a function called each round. Binaryen's wildcard names ("*": any run of characters).
const NO_INLINE = ["*machine/core/serveRound"];

export interface LinkOptions {
  debug: boolean;
  passes?: { name: string; args?: Record<string, string> }[];  // run before -O3 (Asyncify …)
  optimize: boolean;
  manifestExtra?: Record<string, unknown>;
  trace?: boolean;                 // built with --trace: the manifest says where the rings are
}

export interface LinkResult {
  wasm: Uint8Array;
  manifest: Manifest;
}

/** Where a --trace image's rings are (runtime/abi.json draws them): each core record's word
 *  `ringWord` holds the ring's address; a ring is a `headerSize`-byte header, then slots of
 *  `slotSize` bytes. Written from runtime/abi.json (MANIFEST_TRACE); the hosts read the same
 *  numbers from tools/host/abi.ts once the image's `abi` matches theirs. */
export type TraceLayout = typeof MANIFEST_TRACE;

export interface Manifest {
  format: "aam-image/1";
  /** hash of the image↔host contract the image was built with (runtime/abi.json): a host runs
   *  only an image whose hash is its own (tools/host/manifest.ts) */
  abi: string;
  entry: string;
  imports: string[];
  exports: string[];
  memory: { initialPages: number; maximumPages: number; shared: true; heapBase: number } & typeof MANIFEST_MEMORY;
  dataSegments: number;
  dataBytes: number;
  build: Record<string, unknown>;
  /** function-table index → function name: task types, for trace viewers and runtime reports
   *  that say fn#N (the image has no symbol table of its own) */
  fns: Record<number, string>;
  /** set when built with --trace: where each core's ring is (runtime/sys/trace.ts) */
  trace?: TraceLayout;
}

export class LinkError extends Error { name = "LinkError"; }

// The function table's entries by index (asc puts every function used as a value in one
// segment at a constant offset).
function tableNames(mod: binaryen.Module): Record<number, string> {
  const out: Record<number, string> = {};
  for (let i = 0; i < mod.getNumElementSegments(); i++) {
    const seg = binaryen.getElementSegmentInfo(mod.getElementSegmentByIndex(i));
    const off = seg.offset ? binaryen.getExpressionInfo(seg.offset) as { id: number; value?: number } : null;
    if (!off || off.id !== binaryen.ConstId || typeof off.value !== "number") continue;
    seg.data.forEach((name, k) => { out[off.value! + k] = name; });
  }
  return out;
}

export function link(input: Uint8Array, opts: LinkOptions): LinkResult {
  const mod = binaryen.readBinary(input);
  try {
    mod.setFeatures(FEATURES);
    const imports = checkImports(mod);
    const heapBase = globalValue(mod, "~lib/memory/__heap_base");
    const targets = takeExports(mod);       // before the memory is replaced: one export names it
    // AAM_LINK_ACTIVE_DATA=1 keeps the segments active: only for the test that shows why they must not be.
    const { count, bytes } = process.env.AAM_LINK_ACTIVE_DATA === "1" ? keepSegmentsActive(mod) : makeSegmentsPassive(mod);
    addEntry(mod, targets.heap, targets.start, targets.main);
    mod.addFunctionExport(targets.resume, "aam_resume");   // re-entry after a trapped task
    mod.addFunctionExport(targets.inline, "aam_inline");     // an inline join's nested call (run_inline)
    if (targets.traceFlush) mod.addFunctionExport(targets.traceFlush, "aam_trace_flush");   // --trace: publish the ring after a trap
    const asy = asyncify(mod);                 // lazy contexts; resolves the aam_link imports
    checkResolved(mod);
    for (const p of opts.passes ?? []) {
      for (const [k, v] of Object.entries(p.args ?? {})) binaryen.setPassArgument(k, v);
      mod.runPasses([p.name]);
    }
    if (process.env.AAM_LINK_DUMP) writeFileSync(process.env.AAM_LINK_DUMP, mod.emitText());
    if (!mod.validate()) throw new LinkError("link: the image does not validate before optimisation");
    binaryen.setDebugInfo(true);            // keep function names: traps are reported by name
    if (opts.optimize) {
      binaryen.setOptimizeLevel(3);
      binaryen.setShrinkLevel(0);
      // A debug image keeps every function, so a trap names the function the source names.
      const inline = opts.debug ? 0 : -1;
      if (inline === 0) { binaryen.setAlwaysInlineMaxSize(0); binaryen.setFlexibleInlineMaxSize(0); binaryen.setOneCallerInlineMaxSize(0); }
      else { binaryen.setAlwaysInlineMaxSize(2); binaryen.setFlexibleInlineMaxSize(20); binaryen.setOneCallerInlineMaxSize(-1); }
      for (const f of NO_INLINE) { binaryen.setPassArgument("no-inline", f); mod.runPasses(["no-inline"]); }
      mod.optimize();
    }
    if (!mod.validate()) throw new LinkError("link: the image does not validate after the post-link passes");
    const mem = mod.getMemoryInfo();
    const manifest: Manifest = {
      format: "aam-image/1",
      abi: ABI_HASH,
      entry: "aam_entry",
      imports,
      exports: listExports(mod),
      memory: { initialPages: mem.initial, maximumPages: mem.max ?? mem.initial, shared: true, heapBase, ...MANIFEST_MEMORY },
      dataSegments: count,
      dataBytes: bytes,
      build: { debug: opts.debug, binaryen: "132", asyncify: asy, ...(opts.manifestExtra ?? {}) },
      fns: tableNames(mod),
      ...(opts.trace ? { trace: MANIFEST_TRACE } : {}),
    };
    mod.addCustomSection("aam.manifest", new TextEncoder().encode(JSON.stringify(manifest)));
    return { wasm: mod.emitBinary(), manifest };
  } finally {
    mod.dispose();
  }
}

function checkImports(mod: binaryen.Module): string[] {
  const found: string[] = [];
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const f = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    if (f.module) found.push(`${f.module}.${f.base}`);
  }
  for (let i = 0; i < mod.getNumGlobals(); i++) {
    const g = binaryen.getGlobalInfo(mod.getGlobalByIndex(i));
    if (g.module) found.push(`${g.module}.${g.base}`);
  }
  const mem = mod.getMemoryInfo();
  if (mem.module) found.push(`${mem.module}.${mem.base}`);
  const bad = found.filter((n) => !PLATFORM_IMPORTS.has(n) && !n.startsWith("aam_link."));
  if (bad.length) {
    throw new LinkError(`link: the image imports ${bad.join(", ")}, which ${bad.length > 1 ? "are" : "is"} not part of the platform interface (runtime/rt/platform.ts); ` +
      "a program reaches the host only through it");
  }
  if (!mem.shared) throw new LinkError("link: the image's memory is not shared");
  return found.filter((n) => !n.startsWith("aam_link.")).sort();
}

// The aam_link imports are the build's own (asyncify.ts); none may reach a host.
function checkResolved(mod: binaryen.Module): void {
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const f = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    if (f.module === "aam_link") throw new LinkError(`link: aam_link.${f.base} was not resolved`);
  }
}

function globalValue(mod: binaryen.Module, name: string): number {
  const g = binaryen.getGlobalInfo(mod.getGlobal(name));
  const init = binaryen.getExpressionInfo(g.init) as binaryen.ConstInfo;
  return Number(init.value);
}

function keepSegmentsActive(mod: binaryen.Module): { count: number; bytes: number } {
  mod.addFunction("__aam_init_data", binaryen.none, binaryen.none, [], mod.nop());
  mod.addMemoryExport(memoryName(mod), "memory");
  return { count: mod.getNumDataSegments(), bytes: 0 };
}

function makeSegmentsPassive(mod: binaryen.Module): { count: number; bytes: number } {
  const n = mod.getNumDataSegments();
  const segs: { name: string; offset: number; data: Uint8Array }[] = [];
  for (let i = 0; i < n; i++) {
    const ref = mod.getDataSegmentByIndex(i);
    const info = mod.getDataSegmentInfo(ref) as unknown as { name: string; offset: number; data: ArrayBuffer; passive: boolean };
    if (info.passive) throw new LinkError(`link: data segment ${info.name} is already passive`);
    segs.push({ name: info.name, offset: info.offset, data: new Uint8Array(info.data) });
  }
  const mem = mod.getMemoryInfo();
  const name = memoryName(mod);            // instructions refer to the memory by this name
  mod.setMemory(mem.initial, mem.max ?? mem.initial, null,
    segs.map((s) => ({ passive: true, offset: 0 as unknown as binaryen.ExpressionRef, data: s.data, name: s.name })),
    true, false, name);
  mod.addMemoryImport(name, "env", "memory", true);
  mod.addMemoryExport(name, "memory");     // WASI implementations look for the memory here
  const st = SCB_DATA_STATE;
  const i32 = binaryen.i32;
  const body: binaryen.ExpressionRef[] = [];
  segs.forEach((s, i) => {
    body.push(mod.memory.init(String(i), mod.i32.const(s.offset), mod.i32.const(0), mod.i32.const(s.data.length)));
    body.push(mod.data.drop(String(i)));
  });
  body.push(mod.i32.atomic.store(0, mod.i32.const(st), mod.i32.const(2)));
  const fn = mod.if(
    mod.i32.eqz(mod.i32.atomic.rmw.cmpxchg(0, mod.i32.const(st), mod.i32.const(0), mod.i32.const(1))),
    mod.block(null, body, binaryen.none),
    mod.loop("wait", mod.br("wait", mod.i32.ne(mod.i32.atomic.load(0, mod.i32.const(st)), mod.i32.const(2)))),
  );
  mod.addFunction("__aam_init_data", binaryen.none, binaryen.none, [], fn);
  void i32;
  return { count: segs.length, bytes: segs.reduce((a, s) => a + s.data.length, 0) };
}

// Remember the functions behind the exports the entry needs, then drop every export: an image
// exports aam_entry, aam_resume, aam_inline (the nested call of an inline join: runtime/rt/platform.ts
// run_inline), aam_trace_flush (--trace) and its memory (re-added later).
function takeExports(mod: binaryen.Module): { heap: string; start: string; main: string; resume: string; inline: string; traceFlush?: string } {
  const heap = exportTarget(mod, "__aam_heap_setup");
  const resume = exportTarget(mod, "aam_resume");
  const inline = exportTarget(mod, "aam_inline");
  const traceFlush = listExports(mod).includes("aam_trace_flush") ? exportTarget(mod, "aam_trace_flush") : undefined;
  const start = exportTarget(mod, "__aam_as_start");
  const main = exportTarget(mod, "aam_main");
  for (const e of listExports(mod)) mod.removeExport(e);
  return { heap, start, main, resume, inline, traceFlush };
}

// binaryen.js does not expose a memory's internal name; the text form shows it.
function memoryName(mod: binaryen.Module): string {
  const m = /\(import "env" "memory" \(memory \$(\S+)/.exec(mod.emitText().slice(0, 1 << 16));
  if (!m) throw new LinkError("link: cannot find the imported memory env.memory");
  return m[1];
}

function addEntry(mod: binaryen.Module, heap: string, start: string, main: string): void {
  mod.addFunction("aam_entry", binaryen.none, binaryen.i32, [], mod.block(null, [
    mod.call("__aam_init_data", [], binaryen.none),
    mod.call(heap, [], binaryen.none),
    mod.call(start, [], binaryen.none),
    mod.return(mod.call(main, [], binaryen.i32)),
  ], binaryen.i32));
  mod.addFunctionExport("aam_entry", "aam_entry");
}

function exportTarget(mod: binaryen.Module, name: string): string {
  for (let i = 0; i < mod.getNumExports(); i++) {
    const e = binaryen.getExportInfo(mod.getExportByIndex(i));
    if (e.name === name) return e.value;
  }
  throw new LinkError(`link: the compiled program has no export ${name}`);
}

function listExports(mod: binaryen.Module): string[] {
  const out: string[] = [];
  for (let i = 0; i < mod.getNumExports(); i++) out.push(binaryen.getExportInfo(mod.getExportByIndex(i)).name);
  return out;
}
