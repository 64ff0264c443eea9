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
  contextsLive: number;
  contextsPeak: number;
  blockedPeak: number;
  tasksLive: number;
}

export function readStats(memory: WebAssembly.Memory, manifest: ImageManifest, cores: number): SystemStats {
  const view = new DataView(memory.buffer);
  const out: CoreStats[] = [];
  for (let c = 0; c < cores; c++) {
    const rec = manifest.memory.coreBase + c * manifest.memory.coreRecSize;
    const u64 = (off: number): number => Number(view.getBigUint64(rec + off, true));
    out.push({
      core: c,
      tasksRun: u64(FC_TASKS_RUN), tasksStolen: u64(FC_STOLEN), spawns: u64(FC_SPAWNS),
      suspends: u64(FC_SUSPENDS), ctxAllocs: u64(FC_CTX_ALLOCS), ctxFrees: u64(FC_CTX_FREES),
      parks: u64(FC_PARKS),
      heapBlocksInUse: u64(ALLOC_COUNT) - u64(FREE_COUNT) - u64(RFREE_COUNT),
      heapBytesInUse: u64(ALLOC_BYTES) - u64(FREE_BYTES) - u64(RFREE_BYTES),
      heapAllocs: u64(ALLOC_COUNT),
      heapRemoteFrees: u64(RFREE_COUNT),
    });
  }
  return {
    cores: out,
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
    `contexts: ${s.contextsLive} in use, peak ${s.contextsPeak}; peak blocked tasks ${s.blockedPeak}; task records live ${s.tasksLive}`].join("\n") + "\n";
}
