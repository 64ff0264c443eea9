// asyncify.ts: the link step that gives tasks lazy contexts (runtime/task/context.ts).
//
// Owns: (1) the Asyncify onlylist, computed by callgraph.ts from the unoptimised image, (2)
// running binaryen's Asyncify pass with that list, (3) the room check before each frame's
// save, (4) resolving the link-time imports `aam_link.*` that the runtime declares into the
// functions Asyncify generated, and (5) the size report. Not: what a context holds or when a
// task blocks (runtime/task/context.ts, sched.ts).
//
// The onlylist: every function that can reach the blocking point `aam_link.suspend`, walking the
// call graph backwards from it, where a call_indirect may call any function in the table, and
// where the dispatch of the scheduler (runtime/sched/dispatch.ts `dispatch`) is a wall: it is the bottom
// of every task's stack, so it and its callers are never instrumented. Computed, not hand-kept:
// a new blocking API is picked up by the next build. Rejected: instrumenting everything (+85%
// code, and the scheduler loop itself would be unwound) and a hand-kept list (goes stale
// silently; a missing entry corrupts a resumed task). Calls through the scheduler's hooks count
// as calls of the one function installed there (callgraph.ts HOOK_SITES).
//
// Why `aam_link.suspend` is an import during the pass: Asyncify treats a call to a listed import
// as the point where an unwind starts and a rewind ends, and saves nothing for the import itself.
// After the pass the import becomes a small function:
//   if asyncify_get_state() == REWINDING: asyncify_stop_rewind() else asyncify_start_unwind(ctx)
// (the "capture" pattern of host-side Asyncify, done inside the image).
//
// The room check: Asyncify itself checks the buffer only when the unwind ends (stop_unwind traps
// if `current` passed `end`), after the frames already wrote past the context into whatever heap
// block follows it. So before the save path of every instrumented function (the code after its
// `$__asyncify_unwind` block: push the call index, store the locals, each with an increment of
// `current`), this step inserts
//   if (current + N > end) ctxReserve(N)        N = the sum of those increments
// and runtime/task/context.ts ctxReserve moves the context to a bigger block (or fails the task:
// context overflow, out of memory) before a byte is written. It costs nothing outside an unwind.
// A save path of another shape stops the build: an unchecked frame could corrupt the heap.

import binaryen from "binaryen";
import { reachingWhy } from "./callgraph";

export interface AsyncifyReport {
  instrumented: number;
  functions: number;
  bytesBefore: number;
  bytesAfter: number;
}

const LINK_MODULE = "aam_link";
const RESERVE = "~lib/aam/task/context/ctxReserve";               // runtime/task/context.ts
const DATA = "__asyncify_data";                                   // Asyncify's global: {current, end}
const STATE = "__asyncify_state";                                 // Asyncify's global: 0 normal, 1 unwinding, 2 rewinding

function importName(mod: binaryen.Module, module: string, base: string): string | null {
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const f = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    if (f.module === module && f.base === base) return f.name;
  }
  return null;
}

function exportTarget(mod: binaryen.Module, name: string): string {
  for (let i = 0; i < mod.getNumExports(); i++) {
    const e = binaryen.getExportInfo(mod.getExportByIndex(i));
    if (e.name === name) return e.value;
  }
  throw new Error(`asyncify: the pass did not export ${name}`);
}

/** Run steps (1)–(4) on `mod` in place. No-op when nothing in the image can block. */
export function asyncify(mod: binaryen.Module): AsyncifyReport | null {
  const suspendImport = importName(mod, LINK_MODULE, "suspend");
  const bytesBefore = mod.emitBinary().length;
  const functions = mod.getNumFunctions();
  if (!suspendImport) { resolveWithoutAsyncify(mod); return null; }
  const { only, why } = reachingWhy(mod.emitText(), suspendImport);
  for (const ask of (process.env.AAM_ASYNCIFY_WHY ?? "").split(";").filter(Boolean)) {   // callgraph.ts
    const chain: string[] = [];
    for (let n: string | undefined = ask; n && chain.length < 64; n = why.get(n)) chain.push(n);
    console.error(`asyncify: ${ask} ${only.has(ask) ? "is instrumented: " + chain.join(" → calls ") : "is not instrumented"}`);
  }
  binaryen.setPassArgument("asyncify-imports", `${LINK_MODULE}.suspend`);
  binaryen.setPassArgument("asyncify-onlylist", [...only].join("\n"));   // names may hold commas
  mod.runPasses(["asyncify"]);
  binaryen.setPassArgument("asyncify-onlylist", null as unknown as string);
  binaryen.setPassArgument("asyncify-imports", null as unknown as string);
  checkRoom(mod, only);
  resetOnEntry(mod);
  resolveLinkImports(mod);
  return { instrumented: only.size, functions, bytesBefore, bytesAfter: mod.emitBinary().length };
}

// Step (3): the room check before the save path of every instrumented function (header).
function checkRoom(mod: binaryen.Module, only: Set<string>): void {
  if (!mod.getFunction(RESERVE)) throw new Error(`asyncify: the image has no ${RESERVE} (runtime/task/context.ts)`);
  const { i32 } = binaryen;
  const data = (): Ref => mod.global.get(DATA, i32);
  for (const name of only) {
    const f = mod.getFunction(name);
    if (!f) continue;
    const body = binaryen.getFunctionInfo(f).body;
    const at = savePath(body);
    if (at < 0) throw new Error(`asyncify: ${name}: no save path of the expected shape (binaryen changed?)`);
    let bytes = 0;
    for (let i = at; i < X.Block.getNumChildren(body); i++) bytes += increment(X.Block.getChildAt(body, i));
    if (bytes <= 0) throw new Error(`asyncify: ${name}: a save path that saves nothing`);
    X.Block.insertChildAt(body, at, mod.if(
      mod.i32.gt_u(mod.i32.add(mod.i32.load(0, 4, data()), mod.i32.const(bytes)), mod.i32.load(4, 4, data())),
      mod.drop(mod.call(RESERVE, [mod.i32.const(bytes)], i32))));
  }
}

// The exports a host calls after a trap (aam_resume, aam_trace_flush) start by setting Asyncify's
// state to normal: a trap in the middle of an unwind or a rewind leaves it UNWINDING or REWINDING,
// and an instrumented function entered in that state skips its code (recover, which leads to the
// core's loop, is instrumented). The failed task's context is dropped by recover, never resumed.
const RESET_ON_ENTRY = ["aam_resume", "aam_trace_flush"];
function resetOnEntry(mod: binaryen.Module): void {
  for (const name of RESET_ON_ENTRY) {
    let target: string | null = null;
    for (let i = 0; i < mod.getNumExports(); i++) {
      const e = binaryen.getExportInfo(mod.getExportByIndex(i));
      if (e.name === name) target = e.value;
    }
    if (!target) continue;
    const f = binaryen.getFunctionInfo(mod.getFunction(target));
    const wrapper = `${name}_reset`;
    mod.addFunction(wrapper, f.params, f.results, [], mod.block(null, [
      mod.global.set(STATE, mod.i32.const(0)),
      f.results === binaryen.none ? mod.call(target, [], binaryen.none) : mod.return(mod.call(target, [], f.results)),
    ], f.results));
    mod.removeExport(name);
    mod.addFunctionExport(wrapper, name);
  }
}

// binaryen.js's expression accessors, which its typings leave out.
type Ref = binaryen.ExpressionRef;
const X = binaryen as unknown as {
  Block: { getNumChildren(b: Ref): number; getChildAt(b: Ref, i: number): Ref; insertChildAt(b: Ref, i: number, c: Ref): void; getName(b: Ref): string | null };
  LocalSet: { getValue(e: Ref): Ref };
  Store: { getPtr(e: Ref): Ref; getValue(e: Ref): Ref; getOffset(e: Ref): number };
  Load: { getPtr(e: Ref): Ref };
  Binary: { getOp(e: Ref): number; getLeft(e: Ref): Ref; getRight(e: Ref): Ref };
  Const: { getValueI32(e: Ref): number };
  GlobalGet: { getName(e: Ref): string };
};

// Index of the first child of the function's body after `local.set (block $__asyncify_unwind …)`.
function savePath(body: Ref): number {
  if (binaryen.getExpressionId(body) !== binaryen.BlockId) return -1;
  for (let i = 0; i < X.Block.getNumChildren(body); i++) {
    const c = X.Block.getChildAt(body, i);
    if (binaryen.getExpressionId(c) !== binaryen.LocalSetId) continue;
    const v = X.LocalSet.getValue(c);
    if (binaryen.getExpressionId(v) === binaryen.BlockId && X.Block.getName(v) === "__asyncify_unwind") return i + 1;
  }
  return -1;
}

// N of `current += N` (a store of `load(DATA) + N` to DATA), else 0.
function increment(e: Ref): number {
  if (binaryen.getExpressionId(e) !== binaryen.StoreId) return 0;
  const ptr = X.Store.getPtr(e), v = X.Store.getValue(e);
  if (!isData(ptr) || X.Store.getOffset(e) !== 0 || binaryen.getExpressionId(v) !== binaryen.BinaryId) return 0;
  if (X.Binary.getOp(v) !== binaryen.AddInt32) return 0;
  const l = X.Binary.getLeft(v), r = X.Binary.getRight(v);
  if (binaryen.getExpressionId(l) !== binaryen.LoadId || !isData(X.Load.getPtr(l)) || binaryen.getExpressionId(r) !== binaryen.ConstId) return 0;
  return X.Const.getValueI32(r);
}
function isData(e: Ref): boolean {
  return binaryen.getExpressionId(e) === binaryen.GlobalGetId && X.GlobalGet.getName(e) === DATA;
}

// Replace each aam_link import by a function of the same internal name (calls stay valid).
function resolveLinkImports(mod: binaryen.Module): void {
  const fn = {
    getState: exportTarget(mod, "asyncify_get_state"),
    startUnwind: exportTarget(mod, "asyncify_start_unwind"),
    stopUnwind: exportTarget(mod, "asyncify_stop_unwind"),
    startRewind: exportTarget(mod, "asyncify_start_rewind"),
    stopRewind: exportTarget(mod, "asyncify_stop_rewind"),
  };
  for (const e of ["asyncify_start_unwind", "asyncify_stop_unwind", "asyncify_start_rewind", "asyncify_stop_rewind"]) mod.removeExport(e);
  const { i32, none } = binaryen;
  const state = (): binaryen.ExpressionRef => mod.call(fn.getState, [], i32);
  replace(mod, "suspend", i32, none, mod.if(mod.i32.eq(state(), mod.i32.const(2)),
    mod.call(fn.stopRewind, [], none), mod.call(fn.startUnwind, [mod.local.get(0, i32)], none)));
  replace(mod, "state", none, i32, state());
  replace(mod, "stop_unwind", none, none, mod.call(fn.stopUnwind, [], none));
  replace(mod, "start_rewind", i32, none, mod.call(fn.startRewind, [mod.local.get(0, i32)], none));
  replace(mod, "stop_rewind", none, none, mod.call(fn.stopRewind, [], none));
  replace(mod, "retarget", i32, none, mod.call(fn.startUnwind, [mod.local.get(0, i32)], none));
}

// Nothing can block: the dispatch's state check is always "normal".
function resolveWithoutAsyncify(mod: binaryen.Module): void {
  const { i32, none } = binaryen;
  replace(mod, "state", none, i32, mod.i32.const(0));
  for (const n of ["stop_unwind", "stop_rewind"]) replace(mod, n, none, none, mod.unreachable());
  replace(mod, "start_rewind", i32, none, mod.unreachable());
  replace(mod, "retarget", i32, none, mod.unreachable());
}

function replace(mod: binaryen.Module, base: string, params: binaryen.Type, results: binaryen.Type, body: binaryen.ExpressionRef): void {
  const name = importName(mod, LINK_MODULE, base);
  if (!name) return;
  mod.removeFunction(name);
  mod.addFunction(name, params, results, [], body);
}
