// aes.ts: the AES rows of `aam bench machines`: throughput of machine aes (aams/aes) on 1 and 2
// cores against its baselines measured in the same run: Node's crypto (OpenSSL, native code, one
// thread) and the pure-JS aes-js package (one thread; it has no GCM). Exists to catch regressions
// and to check the goal (our AES-CTR at least as fast as aes-js).
// Owns: the row set, the rounds, the MB/s arithmetic. Not: the in-image timing
// (programs/aes_bench.ts), statistics (stats.ts).
//
// Rows: the machine with its T-table cipher and with AES_CONSTTIME (bitsliced, no tables), on 1
// and 2 cores. A round encrypts MIB mebibytes (aes-js and AES_CONSTTIME: fewer, they are ~10×
// slower) of the same bytes. On 1
// core one client task streams them through one context; on 2 cores two tasks each stream half
// through their own context, so the machine can use both cores (a stream is sequential: CBC
// chains and a context takes one call at a time). The rounds of all rows alternate, so a load
// change on a shared machine falls on every row alike. MB/s = 10^6 bytes per second.
import * as os from "node:os";
import * as path from "node:path";
import * as crypto from "node:crypto";
import { createRequire } from "node:module";
import { cachedBuild } from "../build/cache";
import { benchImage, timeNs } from "./image";
import { summarize, type Stats } from "./stats";

const PROGRAM = "tools/bench/programs/aes_bench.ts";
const MIB = 16, AESJS_MIB = 2, CT_MIB = 4;
const CONSTTIME = 2;                                 // open's AES_CONSTTIME

export interface AesRow { id: string; impl: string; mode: string; bits: number; cores: number; mib: number; mb_per_s: Stats; round_ms: Stats }
export interface AesBenchOptions { root: string; quick: boolean; out: (s: string) => void }

// One image run: `rounds` rounds of MIB MiB; the round times in ns (its stdout's last line).
function ours(wasm: Uint8Array, mode: string, bits: number, cores: number, rounds: number, mib: number, flags: number): Promise<number[]> {
  return benchImage(wasm, cores, ["aes_bench", mode, String(bits), String(mib), String(rounds), String(cores), String(flags)]);
}

function nodeRound(mode: string, bits: number, data: Buffer): number {
  const key = data.subarray(0, bits / 8), iv = data.subarray(0, mode === "gcm" ? 12 : 16);
  return timeNs(() => {
    const c = crypto.createCipheriv(`aes-${bits}-${mode}`, key, iv);
    for (let i = 0; i < data.length; i += 1 << 20) c.update(data.subarray(i, i + (1 << 20)));
    c.final();
  });
}

function aesjsRound(aesjs: any, mode: string, bits: number, data: Buffer): number {
  const key = data.subarray(0, bits / 8), iv = data.subarray(0, 16);
  return timeNs(() => {
    const m = mode === "ctr" ? new aesjs.ModeOfOperation.ctr(key, new aesjs.Counter(iv)) : new aesjs.ModeOfOperation.cbc(key, iv);
    for (let i = 0; i < data.length; i += 1 << 20) m.encrypt(data.subarray(i, i + (1 << 20)));
  });
}

const mbps = (bytes: number, ns: number[]): number[] => ns.map((t) => bytes / (t / 1e9) / 1e6);

/** Runs the AES rows and prints them as a markdown table; returns them. */
export async function benchAes(o: AesBenchOptions): Promise<AesRow[]> {
  const rounds = o.quick ? 3 : 10;
  const wasm = (await cachedBuild({ entry: path.join(o.root, PROGRAM), root: o.root, defines: {} })).wasm;
  const aesjs = createRequire(path.join(o.root, "package.json"))("aes-js");
  const data = Buffer.alloc(MIB << 20);
  for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
  const small = data.subarray(0, AESJS_MIB << 20);
  const cases: [string, number][] = [["ctr", 128], ["ctr", 256], ["cbc", 128], ["gcm", 128]];
  const samples = new Map<string, { row: Omit<AesRow, "mb_per_s" | "round_ms">; ns: number[] }>();
  const add = (row: Omit<AesRow, "mb_per_s" | "round_ms">, ns: number[]): void => {
    const s = samples.get(row.id) ?? { row, ns: [] };
    s.ns.push(...ns);
    samples.set(row.id, s);
  };
  for (let r = 0; r < rounds; r++) {                 // every row once per round, in the same order
    for (const [mode, bits] of cases) {
      for (const cores of [1, 2]) {
        add({ id: `aam/${mode}${bits}/${cores}`, impl: "machine aes, T-tables", mode, bits, cores, mib: MIB }, await ours(wasm, mode, bits, cores, 1, MIB, 0));
        if (bits === 128 && mode !== "cbc")            // CBC encryption is one block per bitsliced call: 4× the work
          add({ id: `aam-ct/${mode}${bits}/${cores}`, impl: "machine aes, AES_CONSTTIME", mode, bits, cores, mib: CT_MIB }, await ours(wasm, mode, bits, cores, 1, CT_MIB, CONSTTIME));
      }
      add({ id: `node/${mode}${bits}`, impl: "Node crypto (OpenSSL)", mode, bits, cores: 1, mib: MIB }, [nodeRound(mode, bits, data)]);
      if (mode !== "gcm") add({ id: `aesjs/${mode}${bits}`, impl: "aes-js (pure JS)", mode, bits, cores: 1, mib: AESJS_MIB }, [aesjsRound(aesjs, mode, bits, small)]);
    }
  }
  const rows: AesRow[] = [...samples.values()].map(({ row, ns }) => ({ ...row, mb_per_s: summarize(mbps(row.mib << 20, ns)), round_ms: summarize(ns.map((t) => t / 1e6)) }));
  const f = (x: number): string => x.toFixed(1);
  o.out(`## AES throughput, MB/s (${rounds} rounds of ${MIB} MiB; AES_CONSTTIME ${CT_MIB} MiB, aes-js ${AESJS_MIB} MiB; load average ${os.loadavg()[0].toFixed(2)}, ${os.cpus().length} CPUs)\n\n`);
  o.out("| implementation | mode | cores | median | mean ± sd | at p99 round time | vs aes-js | vs Node |\n|---|---|---|---|---|---|---|---|\n");
  for (const x of rows) {
    const js = rows.find((y) => y.id === `aesjs/${x.mode}${x.bits}`), nd = rows.find((y) => y.id === `node/${x.mode}${x.bits}`)!;
    const ratio = (y?: AesRow): string => (y ? `${(x.mb_per_s.median / y.mb_per_s.median).toFixed(2)}×` : "—");
    const slow = x.mib * 1.048576 / (x.round_ms.p99 / 1e3);
    o.out(`| ${x.impl} | ${x.mode.toUpperCase()}-${x.bits} | ${x.cores} | ${f(x.mb_per_s.median)} | ${f(x.mb_per_s.mean)} ± ${f(x.mb_per_s.sd)} | ${f(slow)} | ${ratio(js)} | ${ratio(nd)} |\n`);
  }
  o.out("\n");
  return rows;
}
