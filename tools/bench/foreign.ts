// foreign.ts: the zlib and SQLite rows of `aam bench machines`: the foreign machines (aams/zlib,
// aams/sqlite: real C libraries in wasm32 with their own memory) on 1 and 2 cores against their
// baselines measured in the same run: Node's zlib (native, one thread), pako and fflate (pure JS);
// for SQLite better-sqlite3 only if it is installed (it needs a native build: ~4 min from source
// here, no prebuilt download), else the row says so. Exists to catch regressions and to check the
// issue's goals (zlib within 1.5× of Node's native throughput and faster than pako; SQLite within
// 1.5× of better-sqlite3 for 10^4 point selects).
// Owns: the row sets, the rounds, the MB/s and per-operation arithmetic. Not: the in-image timing
// (programs/zlib_bench.ts, programs/sqlite_bench.ts), statistics (stats.ts).
//
// zlib: a round deflates MIB mebibytes of generated text (level 6, zlib format) and inflates the
// result, in 64 KiB pushes (each a machine call: copy in, C call, copy out). "1 core": the client
// task and the machine share the one core; "2 cores": the machine has its own (a foreign machine
// takes at most one core: calls into one module are serialised). SQLite: N inserts in one
// transaction through one prepared statement (bind, bind, step, reset: 4 calls a row) and N
// point selects (bind, step, column, reset). The rounds of all rows alternate, so a load change
// on a shared machine falls on every row alike. MB/s = 10^6 bytes of uncompressed data a second.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { createRequire } from "node:module";
import { cachedBuild } from "../build/cache";
import { runImage } from "../host/node";
import { summarize, type Stats } from "./stats";

const ZPROGRAM = "tools/bench/programs/zlib_bench.ts";
const SPROGRAM = "tools/bench/programs/sqlite_bench.ts";
const MIB = 8;
const SQL_N = 10000;

export interface ZlibRow { id: string; impl: string; op: "deflate" | "inflate"; cores: number; mib: number; mb_per_s: Stats; round_ms: Stats }
export interface SqliteRow { id: string; impl: string; op: "insert" | "select"; cores: number; n: number; op_us: Stats; round_ms: Stats; note?: string }
export interface ForeignBenchOptions { root: string; quick: boolean; out: (s: string) => void }

// One image run; its stdout's last line is JSON: one [a ns, b ns] pair per round.
async function ours(wasm: Uint8Array, name: string, cores: number, args: string[]): Promise<[number, number][]> {
  const tmp = path.join(os.tmpdir(), `aam-bench-${name}-${process.pid}-${Date.now()}.out`);
  const fd = fs.openSync(tmp, "w+");
  try {
    const module = new WebAssembly.Module(wasm);
    const manifest = JSON.parse(Buffer.from(WebAssembly.Module.customSections(module, "aam.manifest")[0]).toString("utf8"));
    const r = await runImage({ module, manifest, cores, args: [name, ...args], fds: [fd, 2] });
    const text = fs.readFileSync(tmp, "utf8");
    if (r.code !== 0) throw new Error(`${name} exited ${r.code}: ${text}`);
    return JSON.parse(text.trim().split("\n").pop()!);
  } finally { fs.closeSync(fd); fs.rmSync(tmp, { force: true }); }
}

function timeNs(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0);
}

// The same bytes as zlib_bench.ts makes (xorshift32 over its word list).
function corpus(n: number): Buffer {
  const words = "machine core task zlib deflate the of a stream memory foreign call\n";
  const b = Buffer.alloc(n);
  let x = 12345, i = 0;
  while (i < n) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    for (let j = x % words.length; j < words.length && i < n && words[j] !== " "; j++) b[i++] = words.charCodeAt(j);
    if (i < n) b[i++] = 0x20;
  }
  return b;
}

const mbps = (bytes: number, ns: number[]): number[] => ns.map((t) => bytes / (t / 1e9) / 1e6);

/** Runs the zlib rows and prints them as a markdown table; returns them. */
export async function benchZlib(o: ForeignBenchOptions): Promise<ZlibRow[]> {
  const rounds = o.quick ? 3 : 10, mib = o.quick ? 2 : MIB;
  const wasm = (await cachedBuild({ entry: path.join(o.root, ZPROGRAM), root: o.root, defines: {} })).wasm;
  const req = createRequire(path.join(o.root, "package.json"));
  const pako = req("pako"), fflate = req("fflate");
  const data = corpus(mib << 20);
  const packed = zlib.deflateSync(data, { level: 6 });
  const samples = new Map<string, { row: Omit<ZlibRow, "mb_per_s" | "round_ms">; ns: number[] }>();
  const add = (row: Omit<ZlibRow, "mb_per_s" | "round_ms">, ns: number[]): void => {
    const s = samples.get(row.id) ?? { row, ns: [] };
    s.ns.push(...ns);
    samples.set(row.id, s);
  };
  for (let r = 0; r < rounds; r++) {
    for (const cores of [1, 2]) {
      const [[d, i]] = await ours(wasm, "zlib_bench", cores, [String(mib), "1"]);
      add({ id: `aam/deflate/${cores}`, impl: "machine zlib (zlib 1.3.1, wasm32)", op: "deflate", cores, mib }, [d]);
      add({ id: `aam/inflate/${cores}`, impl: "machine zlib (zlib 1.3.1, wasm32)", op: "inflate", cores, mib }, [i]);
    }
    add({ id: "node/deflate", impl: "Node zlib (native)", op: "deflate", cores: 1, mib }, [timeNs(() => zlib.deflateSync(data, { level: 6 }))]);
    add({ id: "node/inflate", impl: "Node zlib (native)", op: "inflate", cores: 1, mib }, [timeNs(() => zlib.inflateSync(packed))]);
    add({ id: "pako/deflate", impl: "pako (pure JS)", op: "deflate", cores: 1, mib }, [timeNs(() => pako.deflate(data, { level: 6 }))]);
    add({ id: "pako/inflate", impl: "pako (pure JS)", op: "inflate", cores: 1, mib }, [timeNs(() => pako.inflate(packed))]);
    add({ id: "fflate/deflate", impl: "fflate (pure JS)", op: "deflate", cores: 1, mib }, [timeNs(() => fflate.zlibSync(data, { level: 6 }))]);
    add({ id: "fflate/inflate", impl: "fflate (pure JS)", op: "inflate", cores: 1, mib }, [timeNs(() => fflate.unzlibSync(packed))]);
  }
  const rows: ZlibRow[] = [...samples.values()].map(({ row, ns }) => ({ ...row, mb_per_s: summarize(mbps(row.mib << 20, ns)), round_ms: summarize(ns.map((t) => t / 1e6)) }));
  const f = (x: number): string => x.toFixed(1);
  o.out(`## zlib throughput, MB/s of uncompressed data (${rounds} rounds of ${mib} MiB, level 6; load average ${os.loadavg()[0].toFixed(2)}, ${os.cpus().length} CPUs)\n\n`);
  o.out("| implementation | op | cores | median | mean ± sd | at p99 round time | vs Node | vs pako |\n|---|---|---|---|---|---|---|---|\n");
  for (const x of rows) {
    const nd = rows.find((y) => y.id === `node/${x.op}`)!, pk = rows.find((y) => y.id === `pako/${x.op}`)!;
    const ratio = (y: ZlibRow): string => `${(x.mb_per_s.median / y.mb_per_s.median).toFixed(2)}×`;
    o.out(`| ${x.impl} | ${x.op} | ${x.cores} | ${f(x.mb_per_s.median)} | ${f(x.mb_per_s.mean)} ± ${f(x.mb_per_s.sd)} | ${f(x.mib * 1.048576 / (x.round_ms.p99 / 1e3))} | ${ratio(nd)} | ${ratio(pk)} |\n`);
  }
  o.out("\n");
  return rows;
}

/** Runs the SQLite rows and prints them as a markdown table; returns them. */
export async function benchSqlite(o: ForeignBenchOptions): Promise<SqliteRow[]> {
  const rounds = o.quick ? 3 : 10, n = o.quick ? 2000 : SQL_N;
  const wasm = (await cachedBuild({ entry: path.join(o.root, SPROGRAM), root: o.root, defines: {} })).wasm;
  let better: any = null;
  try { better = createRequire(path.join(o.root, "package.json"))("better-sqlite3"); } catch { /* not built here */ }
  const samples = new Map<string, { row: Omit<SqliteRow, "op_us" | "round_ms">; ns: number[] }>();
  const add = (row: Omit<SqliteRow, "op_us" | "round_ms">, ns: number[]): void => {
    const s = samples.get(row.id) ?? { row, ns: [] };
    s.ns.push(...ns);
    samples.set(row.id, s);
  };
  for (let r = 0; r < rounds; r++) {
    for (const cores of [1, 2]) {
      const [[ins, sel]] = await ours(wasm, "sqlite_bench", cores, [String(n), "1"]);
      add({ id: `aam/insert/${cores}`, impl: "machine sqlite (SQLite 3.53.2, wasm32)", op: "insert", cores, n }, [ins]);
      add({ id: `aam/select/${cores}`, impl: "machine sqlite (SQLite 3.53.2, wasm32)", op: "select", cores, n }, [sel]);
    }
    if (better) {
      const db = new better(":memory:");
      db.exec("create table t(k integer primary key, v text, x real)");
      const ins = db.prepare("insert into t values (?, 'value', ?)"), sel = db.prepare("select x from t where k = ?");
      add({ id: "better/insert", impl: "better-sqlite3 (native)", op: "insert", cores: 1, n }, [timeNs(() => db.transaction(() => { for (let i = 0; i < n; i++) ins.run(i, i * 0.5); })())]);
      add({ id: "better/select", impl: "better-sqlite3 (native)", op: "select", cores: 1, n }, [timeNs(() => { for (let i = 0; i < n; i++) sel.get((i * 7919) % n); })]);
      db.close();
    }
  }
  const rows: SqliteRow[] = [...samples.values()].map(({ row, ns }) => ({ ...row, op_us: summarize(ns.map((t) => t / 1e3 / row.n)), round_ms: summarize(ns.map((t) => t / 1e6)) }));
  if (!better) rows.push({ id: "better", impl: "better-sqlite3 (native)", op: "select", cores: 1, n, op_us: summarize([0]), round_ms: summarize([0]), note: "not installed: it needs a native build (~4 min from source here, no prebuilt download); no baseline row" });
  const f = (x: number): string => x.toFixed(2);
  o.out(`## SQLite, µs per operation (${rounds} rounds of ${n} inserts in one transaction and ${n} point selects; every bind, step, column and reset is a machine call; load average ${os.loadavg()[0].toFixed(2)}, ${os.cpus().length} CPUs)\n\n`);
  o.out("| implementation | op | cores | median µs | mean ± sd | p99 round ms | vs better-sqlite3 |\n|---|---|---|---|---|---|---|\n");
  for (const x of rows) {
    if (x.note) { o.out(`| ${x.impl} | — | — | — | — | — | ${x.note} |\n`); continue; }
    const b = rows.find((y) => y.id === `better/${x.op}`);
    o.out(`| ${x.impl} | ${x.op} | ${x.cores} | ${f(x.op_us.median)} | ${f(x.op_us.mean)} ± ${f(x.op_us.sd)} | ${x.round_ms.p99.toFixed(1)} | ${b && !b.note ? `${(x.op_us.median / b.op_us.median).toFixed(2)}× the time` : "—"} |\n`);
  }
  o.out("\n");
  return rows;
}
