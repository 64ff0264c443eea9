// machines.ts: `aam bench machines`: throughput of the machines in aams/ against their native
// and JS peers, measured in the same run, as one markdown table and JSON rows. Owns: collecting
// the rows of each machine's benchmark file and printing them. Not: measuring (tools/bench/lzo.ts
// and the other machines' files each return their rows). Figures, not tests: nothing passes or
// fails on a number.

import * as os from "node:os";
import type { Stats } from "./stats";
import { benchLzo, type MachineRow } from "./lzo";

export interface MachinesBench { date: string; cpus: number; load_average: number; quick: boolean; rows: MachineRow[]; notes: string[] }

const f = (s?: Stats): string => (s ? `${s.median.toFixed(0)} | ${s.mean.toFixed(0)} ± ${s.sd.toFixed(0)} | ${s.p99.toFixed(0)}` : "– | – | –");

export async function benchMachines(root: string, quick: boolean, out: (s: string) => void): Promise<MachinesBench> {
  const notes: string[] = [];
  const rows: MachineRow[] = [...await benchLzo(root, quick, notes)];
  out(`# aam bench machines — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(2)}${quick ? " (--quick)" : ""}\n\n`);
  out("MB/s of uncompressed data (10^6 bytes): median | mean ± sd | p99 over the rounds; ratio = our median / the baseline's.\n\n");
  out("| row | cores | MB/s: median | mean ± sd | p99 | baseline | baseline MB/s: median | mean ± sd | p99 | ratio |\n|---|---|---|---|---|---|---|---|---|---|\n");
  for (const r of rows) out(`| ${r.what} | ${r.cores} | ${f(r.mb_s)} | ${r.baseline ?? "–"} | ${f(r.baseline_mb_s)} | ${r.ratio !== undefined ? r.ratio.toFixed(2) : "–"} |\n`);
  if (notes.length) out("\n## Notes\n\n" + notes.map((n) => `- ${n}`).join("\n") + "\n");
  return { date: new Date().toISOString().slice(0, 10), cpus: os.cpus().length, load_average: os.loadavg()[0], quick, rows, notes };
}
