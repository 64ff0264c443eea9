// machines.ts: `aam bench machines`, throughput of the machines of aams/ against native and
// pure-JS peers measured in the same run (issue 16, item 9), as markdown, and JSON with --json.
// Owns: which machine benchmarks run and the JSON's shape. Not: the measurements, each in its own
// file that returns rows (aes.ts; foreign.ts: zlib and SQLite).
import * as os from "node:os";
import { benchAes, type AesRow } from "./aes";
import { benchZlib, benchSqlite, type ZlibRow, type SqliteRow } from "./foreign";

export interface MachinesBench { date: string; host: string; cpus: number; cpu: string; aes: AesRow[]; zlib: ZlibRow[]; sqlite: SqliteRow[] }

export async function benchMachines(o: { root: string; quick: boolean; out: (s: string) => void }): Promise<MachinesBench> {
  const date = new Date().toISOString().slice(0, 10);
  o.out(`# aam bench machines — ${date}, host node, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"})${o.quick ? " (--quick)" : ""}\n\n`);
  const aes = await benchAes(o);
  const zlib = await benchZlib(o);
  const sqlite = await benchSqlite(o);
  return { date, host: "node", cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? "?", aes, zlib, sqlite };
}
