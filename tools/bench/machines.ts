// machines.ts: `aam bench machines`, throughput of the machines of aams/ against native and
// pure-JS peers measured in the same run (issue 16, item 9), as markdown, and JSON with --json.
// Owns: which machine benchmarks run, the lzo rows' table and the JSON's shape. Not: the
// measurements, each in its own file that prints its table and returns rows (aes.ts, lzo.ts,
// zlib.ts, sqlite.ts). Figures, not tests: nothing passes or fails on a number.
import * as os from "node:os";
import type { Stats } from "./stats";
import { benchAes, type AesRow } from "./aes";
import { benchLzo, type MachineRow } from "./lzo";
import { benchZlib, type ZlibRow } from "./zlib";
import { benchSqlite, type SqliteRow } from "./sqlite";

export interface MachinesBench {
  date: string; host: string; cpus: number; cpu: string; load_average: number; quick: boolean;
  aes: AesRow[]; lzo: MachineRow[]; zlib: ZlibRow[]; sqlite: SqliteRow[]; notes: string[];
}

const f = (s?: Stats): string => (s ? `${s.median.toFixed(0)} | ${s.mean.toFixed(0)} ± ${s.sd.toFixed(0)} | ${s.p99.toFixed(0)}` : "– | – | –");

export async function benchMachines(o: { root: string; quick: boolean; out: (s: string) => void }): Promise<MachinesBench> {
  const date = new Date().toISOString().slice(0, 10);
  o.out(`# aam bench machines — ${date}, host node, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), load average ${os.loadavg()[0].toFixed(2)}${o.quick ? " (--quick)" : ""}\n\n`);
  const aes = await benchAes(o);
  const notes: string[] = [];
  const lzo = await benchLzo(o.root, o.quick, notes);
  o.out("\n## lzo\n\nMB/s of uncompressed data (10^6 bytes): median | mean ± sd | p99 over the rounds; ratio = our median / the baseline's.\n\n");
  o.out("| row | cores | MB/s: median | mean ± sd | p99 | baseline | baseline MB/s: median | mean ± sd | p99 | ratio |\n|---|---|---|---|---|---|---|---|---|---|\n");
  for (const r of lzo) o.out(`| ${r.what} | ${r.cores} | ${f(r.mb_s)} | ${r.baseline ?? "–"} | ${f(r.baseline_mb_s)} | ${r.ratio !== undefined ? r.ratio.toFixed(2) : "–"} |\n`);
  if (notes.length) o.out("\n" + notes.map((n) => `- ${n}`).join("\n") + "\n");
  o.out("\n");
  const zlib = await benchZlib(o);
  const sqlite = await benchSqlite(o);
  return { date, host: "node", cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? "?", load_average: os.loadavg()[0], quick: o.quick, aes, lzo, zlib, sqlite, notes };
}
