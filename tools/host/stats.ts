// stats.ts: the per-core counters a host reads out of shared memory for `aam run --stats`.
//
// Owns: the host's view of the per-core record (runtime/rt/layout.ts) and its printout.
// Not: the counters themselves (written by the image; see layout.ts for who writes which word).

import type { ImageManifest } from "./node";

// Offsets in the per-core record: keep in step with runtime/rt/layout.ts.
const ALLOC_COUNT = 8, ALLOC_BYTES = 16, FREE_COUNT = 24, FREE_BYTES = 32, RFREE_COUNT = 40, RFREE_BYTES = 48;

export interface CoreStats {
  core: number;
  heapBlocksInUse: number;     // small blocks this core allocated and nobody freed yet
  heapBytesInUse: number;
  heapAllocs: number;
  heapRemoteFrees: number;     // of this core's blocks, freed by other cores
}

export function readCoreStats(memory: WebAssembly.Memory, manifest: ImageManifest, cores: number): CoreStats[] {
  const view = new DataView(memory.buffer);
  const out: CoreStats[] = [];
  for (let c = 0; c < cores; c++) {
    const rec = manifest.memory.coreBase + c * manifest.memory.coreRecSize;
    const u64 = (off: number): number => Number(view.getBigUint64(rec + off, true));
    out.push({
      core: c,
      heapBlocksInUse: u64(ALLOC_COUNT) - u64(FREE_COUNT) - u64(RFREE_COUNT),
      heapBytesInUse: u64(ALLOC_BYTES) - u64(FREE_BYTES) - u64(RFREE_BYTES),
      heapAllocs: u64(ALLOC_COUNT),
      heapRemoteFrees: u64(RFREE_COUNT),
    });
  }
  return out;
}

export function formatStats(stats: CoreStats[]): string {
  const head = ["core", "heap allocs", "remote frees", "blocks in use", "bytes in use"];
  const rows = stats.map((s) => [s.core, s.heapAllocs, s.heapRemoteFrees, s.heapBlocksInUse, s.heapBytesInUse].map(String));
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]): string => r.map((v, i) => v.padStart(w[i])).join("  ");
  return [fmt(head), ...rows.map(fmt)].join("\n") + "\n";
}
