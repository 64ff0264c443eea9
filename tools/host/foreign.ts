// foreign.ts: the Node host's side of foreign machines: one instance per core (per worker) of each
// foreign module, all over the module's own shared memory, and the four platform imports
// foreign_open/fn/call/copy (runtime/rt/platform.ts; docs/ARCHITECTURE.md "Foreign machines").
//
// Owns: instantiating a module in a worker (its data is initialised once for all instances by
// wasm-ld's start function; `_initialize` runs once, in the first worker to get there), the WASI
// imports a module gets (no files, no environment: ENOSYS, except the clocks and entropy), calling
// an export with a trap turned into a status, bounds-checked copies between the two memories.
// Not: which modules an image uses (tools/build/foreign.ts, the manifest), serialising calls (the
// image does: runtime/service/foreign.ts).
//
// A module's instances share its memory but each has its own globals, so each has its own
// `__stack_pointer`, all starting at the same address: the calls are serialised by the image, and
// a call leaves the stack as it found it (a trap does not, and marks the module failed).

import { randomFillSync } from "node:crypto";
import { TRAP_NONE } from "./abi";
import { trapKind } from "./traps";

/** What node.ts gives every worker per foreign module. */
export interface ForeignModuleData {
  name: string;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  once: SharedArrayBuffer;          // one Int32 word: 0 → 1 (initialising) → 2 (done), for _initialize
}

const ENOSYS = 52;
const EBADF = 8;
const ESUCCESS = 0;

interface Loaded { name: string; memory: WebAssembly.Memory; fns: ((a: number) => number)[]; names: string[] }

// What a trap inside the module was (traps.ts); an error of the host itself is not the module's.
function trapOf(e: unknown): number {
  const k = trapKind(e);
  if (k === TRAP_NONE) throw e;
  return k;
}

// WASI for a foreign module: its own memory, no files or environment.
function wasiFor(mod: WebAssembly.Module, mem: () => WebAssembly.Memory, timeOriginMs: number): Record<string, (...a: number[]) => number> {
  const w: Record<string, (...a: number[]) => number> = {};
  for (const i of WebAssembly.Module.imports(mod)) {
    if (i.module !== "wasi_snapshot_preview1" || i.kind !== "function") continue;
    w[i.name] = () => ENOSYS;
  }
  const view = (): DataView => new DataView(mem().buffer);
  if (w.clock_time_get) w.clock_time_get = (id: number, _prec: number, out: number): number => {
    const ns = id === 0 ? BigInt(Date.now()) * 1000000n : BigInt(Math.round((performance.now() + timeOriginMs) * 1e6));
    view().setBigUint64(out, ns, true);
    return ESUCCESS;
  };
  if (w.random_get) w.random_get = (p: number, n: number): number => {
    const b = Buffer.alloc(n);
    randomFillSync(b);
    new Uint8Array(mem().buffer, p, n).set(b);
    return ESUCCESS;
  };
  if (w.environ_sizes_get) w.environ_sizes_get = (c: number, s: number): number => { view().setUint32(c, 0, true); view().setUint32(s, 0, true); return ESUCCESS; };
  if (w.args_sizes_get) w.args_sizes_get = (c: number, s: number): number => { view().setUint32(c, 0, true); view().setUint32(s, 0, true); return ESUCCESS; };
  if (w.environ_get) w.environ_get = (): number => ESUCCESS;
  if (w.args_get) w.args_get = (): number => ESUCCESS;
  if (w.fd_prestat_get) w.fd_prestat_get = (): number => EBADF;   // no preopened folders
  if (w.proc_exit) w.proc_exit = (code: number): number => { throw new WebAssembly.RuntimeError(`unreachable: the module called exit(${code})`); };
  return w;
}

/** The foreign imports of one worker: instantiates every module given (in order: the ids are the
 *  same on every core), returns the "aam" functions. `image` is the image's memory. */
export function foreignImports(list: ForeignModuleData[], image: WebAssembly.Memory, timeOriginMs: number): Record<string, (...a: number[]) => number> {
  const loaded: Loaded[] = list.map((f) => {
    const inst = new WebAssembly.Instance(f.module, {
      env: { memory: f.memory },
      wasi_snapshot_preview1: wasiFor(f.module, () => f.memory, timeOriginMs),
    });
    const once = new Int32Array(f.once);
    if (Atomics.compareExchange(once, 0, 0, 1) === 0) {
      (inst.exports._initialize as () => void)();
      Atomics.store(once, 0, 2);
      Atomics.notify(once, 0);
    } else {
      while (Atomics.load(once, 0) !== 2) Atomics.wait(once, 0, 1, 100);
    }
    const names = Object.keys(inst.exports).filter((k) => typeof inst.exports[k] === "function");
    return { name: f.name, memory: f.memory, names, fns: names.map((k) => inst.exports[k] as (a: number) => number) };
  });
  const utf16 = (p: number, n: number): string => Buffer.from(new Uint8Array(image.buffer, p, n)).toString("utf16le");
  return {
    foreign_open(p: number, n: number): number {
      return loaded.findIndex((l) => l.name === utf16(p, n));
    },
    foreign_fn(m: number, p: number, n: number): number {
      const l = loaded[m];
      return l ? l.names.indexOf(utf16(p, n)) : -1;
    },
    foreign_call(m: number, fn: number, arg: number): number {
      try {
        return (loaded[m].fns[fn](arg) ?? 0) | 0;
      } catch (e) {
        return -(1 + trapOf(e));
      }
    },
    foreign_copy(m: number, toModule: number, at: number, moduleAt: number, len: number): number {
      const fm = loaded[m].memory.buffer;
      if (len < 0 || moduleAt < 0 || moduleAt + len > fm.byteLength) return -1;
      const a = new Uint8Array(image.buffer, at, len), b = new Uint8Array(fm, moduleAt >>> 0, len);
      if (toModule) b.set(a); else a.set(b);
      return 0;
    },
  };
}
