// stats.ts: the counters a host reads out of shared memory for `aam run --stats`, and the Node
// host's hang report (SIGUSR2).
//
// Owns: the host's reading of the per-core records, the framework words, the machine and manager
// records, and their printout. Not: the counters themselves (written by the image) nor where they
// are (runtime/abi.json, which says who writes which word; tools/host/abi.ts).

import {
  CORE_BASE, CORE_REC_SIZE, CORE_ALLOC_COUNT, CORE_ALLOC_BYTES, CORE_FREE_COUNT, CORE_FREE_BYTES, CORE_RFREE_COUNT,
  CORE_RFREE_BYTES, FC_TASKS_RUN, FC_TASKS_STOLEN, FC_CTX_ALLOCS, FC_CTX_FREES, FC_PARKS, FC_SPAWNS, FC_SUSPENDS, FC_INLINE_JOINS,
  FC_MACHINE, FC_CURRENT, FC_LOCKS, FC_LOCK_NAME, FC_MACH_PENDING, FC_CALLS_IN_PENDING, FC_CALLS_OUT_PENDING, FC_IRQS, FC_TASKS_LIVE, FW_NARENAS, FW_ARENAS, ARENA_STRIDE, FW_CTX_LIVE, FW_CTX_PEAK, FW_BLOCKED_PEAK,
  FW_MANAGER, MGR_NMACH, MGR_MACH, MGR_TICKS, M_ID, M_NAME, M_CORES, M_TASKS_RUN, M_CALLS_IN, M_CALLS_OUT,
  M_IMS_SENT, M_IMS_RECV, M_SWITCHES_IN, M_GRANTS, M_REVOKES, M_NOCORE_NS, OBJ_HEADER, OBJ_RT_SIZE,
} from "./abi";

const coreRec = (c: number): number => CORE_BASE + c * CORE_REC_SIZE;

export interface CoreStats {
  core: number;
  tasksRun: number;            // dispatches: a task resumed twice counts three times
  tasksStolen: number;         // steals that brought work to this core
  spawns: number;
  suspends: number;            // times a task blocked on this core
  inlineJoins: number;         // unstarted tasks a waiting task ran on its own stack (no block)
  ctxAllocs: number;           // contexts allocated on this core (one per block)
  ctxFrees: number;            // contexts freed on this core (one per resume)
  parks: number;               // times this core went to sleep
  irqs: number;                // device interrupts this core took (runtime/machine/irq.ts)
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

/** The counters of `cores` cores from `memory` (the shared memory, or the QEMU host's copy of
 *  the records). */
export function readStats(memory: { buffer: ArrayBufferLike }, cores: number): SystemStats {
  const view = new DataView(memory.buffer);
  const out: CoreStats[] = [];
  // heap counters: the core's record (arena 0) plus its block in every machine's arena
  const arenas = [0, ...Array.from({ length: view.getUint32(FW_NARENAS, true) }, (_, a) => view.getUint32(FW_ARENAS + 4 * a, true))];
  for (let c = 0; c < cores; c++) {
    const rec = coreRec(c);
    const u64 = (off: number): number => Number(view.getBigUint64(rec + off, true));
    const heap = (off: number): number => arenas.reduce((sum, base) =>
      sum + Number(view.getBigUint64((base ? base + c * ARENA_STRIDE : rec) + off, true)), 0);
    out.push({
      core: c,
      tasksRun: u64(FC_TASKS_RUN), tasksStolen: u64(FC_TASKS_STOLEN), spawns: u64(FC_SPAWNS),
      suspends: u64(FC_SUSPENDS), inlineJoins: u64(FC_INLINE_JOINS), ctxAllocs: u64(FC_CTX_ALLOCS), ctxFrees: u64(FC_CTX_FREES),
      parks: u64(FC_PARKS), irqs: u64(FC_IRQS),
      heapBlocksInUse: heap(CORE_ALLOC_COUNT) - heap(CORE_FREE_COUNT) - heap(CORE_RFREE_COUNT),
      heapBytesInUse: heap(CORE_ALLOC_BYTES) - heap(CORE_FREE_BYTES) - heap(CORE_RFREE_BYTES),
      heapAllocs: heap(CORE_ALLOC_COUNT),
      heapRemoteFrees: heap(CORE_RFREE_COUNT),
    });
  }
  const ms = readMachines(memory, cores);
  return {
    cores: out, machines: ms.machines, ticks: ms.ticks,
    contextsLive: view.getUint32(FW_CTX_LIVE, true),
    contextsPeak: view.getUint32(FW_CTX_PEAK, true),
    blockedPeak: view.getUint32(FW_BLOCKED_PEAK, true),
    tasksLive: tasksLive(view, cores),
  };
}

// Task records live: the sum of the cores' two's-complement counts (runtime/task/task.ts tasksLive).
function tasksLive(view: DataView, cores: number): number {
  let k = 0n;
  for (let c = 0; c < cores; c++) k += BigInt.asIntN(64, view.getBigUint64(coreRec(c) + FC_TASKS_LIVE, true));
  return Number(k);
}

/** What each core is doing right now, for a hang report (node.ts on SIGUSR2; tests/lib/aam.mjs
 *  sends it before killing a run that hung): the machine it serves, the task it runs (0: none),
 *  the spinlocks it holds and the last one taken, what `parked` says of it (node.ts: its park
 *  token, 1 while a wake is posted and not yet taken), then --stats' tables. Read without stopping the
 *  cores: the figures are a moment's, not a consistent cut. */
export function formatHang(memory: { buffer: ArrayBufferLike }, cores: number, parked: (c: number) => string): string {
  const v = new DataView(memory.buffer);
  const lines = [];
  for (let c = 0; c < cores; c++) {
    const rec = coreRec(c);
    const locks = v.getUint32(rec + FC_LOCKS, true);
    lines.push(`core ${c}: machine ${v.getUint32(rec + FC_MACHINE, true)}, task 0x${v.getUint32(rec + FC_CURRENT, true).toString(16)}, ` +
      `locks held ${locks}${locks ? ` (last taken: ${asString(memory.buffer, v.getUint32(rec + FC_LOCK_NAME, true))})` : ""}, ${parked(c)}`);
  }
  return lines.join("\n") + "\n" + formatStats(readStats(memory, cores));
}

export function formatStats(s: SystemStats): string {
  const head = ["core", "tasks run", "stolen", "spawned", "blocked", "inline", "ctx alloc", "ctx free", "parks", "irqs", "heap allocs", "remote frees", "blocks in use", "bytes in use"];
  const rows = s.cores.map((c) => [c.core, c.tasksRun, c.tasksStolen, c.spawns, c.suspends, c.inlineJoins, c.ctxAllocs, c.ctxFrees, c.parks,
    c.irqs, c.heapAllocs, c.heapRemoteFrees, c.heapBlocksInUse, c.heapBytesInUse].map(String));
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]): string => r.map((v, i) => v.padStart(w[i])).join("  ");
  return [fmt(head), ...rows.map(fmt),
    `contexts: ${s.contextsLive} in use, peak ${s.contextsPeak}; peak blocked tasks ${s.blockedPeak}; task records live ${s.tasksLive}`].join("\n") + "\n" +
    formatMachines({ ticks: s.ticks, machines: s.machines });
}

// ── machines (the machine and manager records) ──

/** The AssemblyScript string at `p`: UTF-16, its byte length in the object header's rtSize. */
export function asString(buffer: ArrayBufferLike, p: number): string {
  return p ? Buffer.from(new Uint8Array(buffer, p, new DataView(buffer).getUint32(p - OBJ_HEADER + OBJ_RT_SIZE, true))).toString("utf16le") : "?";
}

/** Machine id → name (0: "idle"), from the Machine Manager's table in `buffer` (the shared memory,
 *  or the QEMU host's copy of those records). For trace viewers, which need no counters. */
export function machineNames(buffer: ArrayBufferLike): Record<number, string> {
  const v = new DataView(buffer);
  const out: Record<number, string> = { 0: "idle" };
  const g = v.getUint32(FW_MANAGER, true);
  if (!g) return out;
  for (let i = 0; i < v.getUint32(g + MGR_NMACH, true); i++) {
    const m = v.getUint32(g + MGR_MACH + 4 * i, true);
    out[v.getUint32(m + M_ID, true)] = asString(buffer, v.getUint32(m + M_NAME, true));
  }
  return out;
}

export interface MachineStats {
  id: number; name: string; cores: number; tasksRun: number; callsIn: number; callsOut: number;
  imsSent: number; imsRecv: number; switchesIn: number; grants: number; revokes: number; noCoreMs: number;
}

export function readMachines(memory: { buffer: ArrayBufferLike }, cores: number): { ticks: number; machines: MachineStats[] } {
  const v = new DataView(memory.buffer);
  const g = v.getUint32(FW_MANAGER, true);
  if (!g) return { ticks: 0, machines: [] };
  const u64 = (a: number): number => Number(v.getBigUint64(a, true));
  const str = (p: number): string => asString(memory.buffer, p);
  const out: MachineStats[] = [];
  for (let i = 0; i < v.getUint32(g + MGR_NMACH, true); i++) {
    const m = v.getUint32(g + MGR_MACH + 4 * i, true);
    const id = v.getUint32(m + M_ID, true);
    // The per-core counts not yet added to the machine's words (runtime/machine/core.ts flushMachineCount).
    let pending = 0, pendIn = 0, pendOut = 0;
    for (let c = 0; c < cores; c++) {
      const rec = coreRec(c);
      if (v.getUint32(rec + FC_MACHINE, true) !== id) continue;
      pending += u64(rec + FC_MACH_PENDING); pendIn += u64(rec + FC_CALLS_IN_PENDING); pendOut += u64(rec + FC_CALLS_OUT_PENDING);
    }
    out.push({ id, name: str(v.getUint32(m + M_NAME, true)), cores: v.getUint32(m + M_CORES, true),
      tasksRun: u64(m + M_TASKS_RUN) + pending, callsIn: u64(m + M_CALLS_IN) + pendIn, callsOut: u64(m + M_CALLS_OUT) + pendOut,
      imsSent: u64(m + M_IMS_SENT), imsRecv: u64(m + M_IMS_RECV), switchesIn: u64(m + M_SWITCHES_IN),
      grants: u64(m + M_GRANTS), revokes: u64(m + M_REVOKES), noCoreMs: u64(m + M_NOCORE_NS) / 1e6 });
  }
  return { ticks: v.getUint32(g + MGR_TICKS, true), machines: out };
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
