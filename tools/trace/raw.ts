// raw.ts: what a host collects from a traced run, before any conversion: the decoded events of
// every core's ring, the names that give them meaning, and the loss counts.
//
// Owns: the RawTrace type (the contract between the collectors in tools/host and tools/boot and
// the converters in tools/trace). Not: decoding rings (the collectors) or output formats.

import eventsList from "../../runtime/trace-events.json";

export type EventList = typeof eventsList;
export const EVENTS: EventList = eventsList;

/** One decoded event (runtime/trace-events.json: record). */
export interface RawEvent { ts: number; type: number; a: number; b: number; c: number; d: number }

export interface RawTrace {
  format: "aam-raw-trace/1";
  host: "node" | "qemu";
  cores: number;
  /** machine id → name (id 0 is "idle": no machine) */
  machines: Record<number, string>;
  /** function-table index → function name (task types) */
  fns: Record<number, string>;
  /** per core, in ring order (timestamps non-decreasing per core) */
  perCore: { core: number; lost: number; events: RawEvent[] }[];
  /** counters read at the end of the run (the --stats tables), if collected */
  stats?: { tasksRun: number; machines: { id: number; name: string; tasksRun: number; callsIn: number; imsSent: number; imsRecv: number; grants: number; revokes: number; switchesIn: number }[] };
}
