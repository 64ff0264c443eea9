// machines.ts: `aam bench machines`, throughput of the machines of aams/ against native and
// pure-JS peers measured in the same run (issue 16, item 9), as markdown, and JSON with --json.
// Owns: which machine benchmarks run and the JSON's shape. Not: the measurements, each in its own
// file that returns rows (aes.ts).
import * as os from "node:os";
import { benchAes, type AesRow } from "./aes";

export interface MachinesBench { date: string; host: string; cpus: number; cpu: string; aes: AesRow[] }

export async function benchMachines(o: { root: string; quick: boolean; out: (s: string) => void }): Promise<MachinesBench> {
  const date = new Date().toISOString().slice(0, 10);
  o.out(`# aam bench machines — ${date}, host node, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"})${o.quick ? " (--quick)" : ""}\n\n`);
  const aes = await benchAes(o);
  return { date, host: "node", cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? "?", aes };
}
