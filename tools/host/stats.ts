// stats.ts: the counters a host reads out of shared memory for `aam run --stats`.
//
// Owns: the host's view of the per-core record and the framework words (runtime/rt/layout.ts)
// and their printout. Not: the counters themselves (written by the image; layout.ts says who
// writes which word).

import type { ImageManifest } from "./node";

// Keep in step with runtime/rt/layout.ts.
const ALLOC_COUNT = 8, ALLOC_BYTES = 16, FREE_COUNT = 24, FREE_BYTES = 32, RFREE_COUNT = 40, RFREE_BYTES = 48;
const FC = 1216;   // CORE_FRAMEWORK
const FC_TASKS_RUN = FC + 0, FC_STOLEN = FC + 8, FC_CTX_ALLOCS = FC + 16, FC_CTX_FREES = FC + 24,
  FC_PARKS = FC + 32, FC_SPAWNS = FC + 40, FC_SUSPENDS = FC + 48;
const FW = 0x1100;
const FW_NARENAS = FW + 32, FW_ARENAS = FW + 64, ARENA_STRIDE = 1024;
const FW_CTX_LIVE = FW + 0, FW_CTX_PEAK = FW + 4, FW_BLOCKED_PEAK = FW + 12, FW_TASKS_LIVE = FW + 20;

export interface CoreStats {
  core: number;
  tasksRun: number;            // dispatches: a task resumed twice counts three times
  tasksStolen: number;         // steals that brought work to this core
  spawns: number;
  suspends: number;            // times a task blocked on this core
  ctxAllocs: number;           // contexts allocated on this core (one per block)
  ctxFrees: number;            // contexts freed on this core (one per resume)
  parks: number;               // times this core went to sleep
  heapBlocksInUse: number;     // small blocks this core allocated and nobody freed yet
  heapBytesInUse: number;
  heapAllocs: number;
  heapRemoteFrees: number;     // of this core's blocks, freed by other cores
}

export interface SystemStats {
  cores: CoreStats[];
  machines: MachineStats[];
  ticks: number;
  contextsLive: number;
  contextsPeak: number;
  blockedPeak: number;
  tasksLive: number;
}

export function readStats(memory: WebAssembly.Memory, manifest: ImageManifest, cores: number): SystemStats {
  const view = new DataView(memory.buffer);
  const out: CoreStats[] = [];
  // heap counters: the core's record (arena 0) plus its block in every machine's arena
  const arenas = [0, ...Array.from({ length: view.getUint32(FW_NARENAS, true) }, (_, a) => view.getUint32(FW_ARENAS + 4 * a, true))];
  for (let c = 0; c < cores; c++) {
    const rec = manifest.memory.coreBase + c * manifest.memory.coreRecSize;
    const u64 = (off: number): number => Number(view.getBigUint64(rec + off, true));
    const heap = (off: number): number => arenas.reduce((sum, base) =>
      sum + Number(view.getBigUint64((base ? base + c * ARENA_STRIDE : rec) + off, true)), 0);
    out.push({
      core: c,
      tasksRun: u64(FC_TASKS_RUN), tasksStolen: u64(FC_STOLEN), spawns: u64(FC_SPAWNS),
      suspends: u64(FC_SUSPENDS), ctxAllocs: u64(FC_CTX_ALLOCS), ctxFrees: u64(FC_CTX_FREES),
      parks: u64(FC_PARKS),
      heapBlocksInUse: heap(ALLOC_COUNT) - heap(FREE_COUNT) - heap(RFREE_COUNT),
      heapBytesInUse: heap(ALLOC_BYTES) - heap(FREE_BYTES) - heap(RFREE_BYTES),
      heapAllocs: heap(ALLOC_COUNT),
      heapRemoteFrees: heap(RFREE_COUNT),
    });
  }
  const ms = readMachines(memory, manifest, cores);
  return {
    cores: out, machines: ms.machines, ticks: ms.ticks,
    contextsLive: view.getUint32(FW_CTX_LIVE, true),
    contextsPeak: view.getUint32(FW_CTX_PEAK, true),
    blockedPeak: view.getUint32(FW_BLOCKED_PEAK, true),
    tasksLive: view.getUint32(FW_TASKS_LIVE, true),
  };
}

export function formatStats(s: SystemStats): string {
  const head = ["core", "tasks run", "stolen", "spawned", "blocked", "ctx alloc", "ctx free", "parks", "heap allocs", "remote frees", "blocks in use", "bytes in use"];
  const rows = s.cores.map((c) => [c.core, c.tasksRun, c.tasksStolen, c.spawns, c.suspends, c.ctxAllocs, c.ctxFrees, c.parks,
    c.heapAllocs, c.heapRemoteFrees, c.heapBlocksInUse, c.heapBytesInUse].map(String));
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]): string => r.map((v, i) => v.padStart(w[i])).join("  ");
  return [fmt(head), ...rows.map(fmt),
    `contexts: ${s.contextsLive} in use, peak ${s.contextsPeak}; peak blocked tasks ${s.blockedPeak}; task records live ${s.tasksLive}`].join("\n") + "\n" +
    formatMachines({ ticks: s.ticks, machines: s.machines });
}

// ── machines (runtime/machine/record.ts layouts) ──
const FW_MANAGER = FW + 28;
const G_NMACH = 4, G_MACH = 32, G_TICKS = 8;
const M_NAME = 36, M_CORES = 20, M_TASKS_RUN = 64, M_CALLS_IN = 72, M_CALLS_OUT = 80, M_IMS_SENT = 88, M_IMS_RECV = 96,
  M_SWITCHES_IN = 104, M_GRANTS = 112, M_REVOKES = 120, M_NOCORE_NS = 128, M_ID = 0;
const FC_MACHINE = FC + 60, FC_MACH_PENDING = FC + 72;

// An AssemblyScript string at p: UTF-16, its byte length in the object header's rtSize (p − 4).
/** The AssemblyScript string at `p` (its byte length is in the object header, 4 bytes before). */
export function asString(buffer: ArrayBufferLike, p: number): string {
  return p ? Buffer.from(new Uint8Array(buffer, p, new DataView(buffer).getUint32(p - 4, true))).toString("utf16le") : "?";
}

/** Machine id → name (0: "idle"), from the Machine Manager's table in `buffer` (the shared memory,
 *  or the QEMU host's copy of those records). For trace viewers, which need no counters. */
export function machineNames(buffer: ArrayBufferLike): Record<number, string> {
  const v = new DataView(buffer);
  const out: Record<number, string> = { 0: "idle" };
  const g = v.getUint32(FW_MANAGER, true);
  if (!g) return out;
  for (let i = 0; i < v.getUint32(g + G_NMACH, true); i++) {
    const m = v.getUint32(g + G_MACH + 4 * i, true);
    out[v.getUint32(m + M_ID, true)] = asString(buffer, v.getUint32(m + M_NAME, true));
  }
  return out;
}

export interface MachineStats {
  id: number; name: string; cores: number; tasksRun: number; callsIn: number; callsOut: number;
  imsSent: number; imsRecv: number; switchesIn: number; grants: number; revokes: number; noCoreMs: number;
}

export function readMachines(memory: WebAssembly.Memory, manifest: ImageManifest, cores: number): { ticks: number; machines: MachineStats[] } {
  const v = new DataView(memory.buffer);
  const g = v.getUint32(FW_MANAGER, true);
  if (!g) return { ticks: 0, machines: [] };
  const u64 = (a: number): number => Number(v.getBigUint64(a, true));
  const str = (p: number): string => asString(memory.buffer, p);
  const out: MachineStats[] = [];
  for (let i = 0; i < v.getUint32(g + G_NMACH, true); i++) {
    const m = v.getUint32(g + G_MACH + 4 * i, true);
    const id = v.getUint32(m + M_ID, true);
    let pending = 0;
    for (let c = 0; c < cores; c++) {
      const rec = manifest.memory.coreBase + c * manifest.memory.coreRecSize;
      if (v.getUint32(rec + FC_MACHINE, true) === id) pending += u64(rec + FC_MACH_PENDING);
    }
    out.push({ id, name: str(v.getUint32(m + M_NAME, true)), cores: v.getUint32(m + M_CORES, true),
      tasksRun: u64(m + M_TASKS_RUN) + pending, callsIn: u64(m + M_CALLS_IN), callsOut: u64(m + M_CALLS_OUT),
      imsSent: u64(m + M_IMS_SENT), imsRecv: u64(m + M_IMS_RECV), switchesIn: u64(m + M_SWITCHES_IN),
      grants: u64(m + M_GRANTS), revokes: u64(m + M_REVOKES), noCoreMs: u64(m + M_NOCORE_NS) / 1e6 });
  }
  return { ticks: v.getUint32(g + G_TICKS, true), machines: out };
}

export function formatMachines(r: { ticks: number; machines: MachineStats[] }): string {
  if (!r.machines.length) return "";
  const head = ["machine", "cores", "tasks run", "calls in", "calls out", "IMS sent", "IMS recv", "switches in", "grants", "revokes", "no-core ms"];
  const rows = r.machines.map((m) => [m.name, m.cores, m.tasksRun, m.callsIn, m.callsOut, m.imsSent, m.imsRecv, m.switchesIn,
    m.grants, m.revokes, m.noCoreMs.toFixed(1)].map(String));
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const fmt = (x: string[]): string => x.map((s, i) => (i ? s.padStart(w[i]) : s.padEnd(w[i]))).join("  ");
  return [fmt(head), ...rows.map(fmt), `manager ticks: ${r.ticks}`].join("\n") + "\n";
}
