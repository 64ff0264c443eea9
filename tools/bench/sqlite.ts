// sqlite.ts: the SQLite rows of `aam bench machines`: the sqlite machine (aams/sqlite: SQLite
// 3.53.2 in wasm32, its own memory) on 1 and 2 cores against better-sqlite3 (the same SQLite
// version, native, in this process) measured in the same run. Exists to catch regressions and to
// check the issue's goal (within 1.5× of better-sqlite3 for 10^4 point selects).
// Owns: the row set, the rounds, the per-operation arithmetic, building the baseline. Not: the
// in-image timing (programs/sqlite_bench.ts), statistics (stats.ts).
//
// A round: N inserts in one transaction through one prepared statement and N point selects by
// primary key, three ways (programs/sqlite_bench.ts): "calls" (a machine call per bind, step,
// column and reset: 4 a row), "run" (one `run` call a row: what a client of a remote database
// pays per statement) and "batch" (one `run` call per 100 rows: the same statement over a
// parameter array, as better-sqlite3's loop runs it in one thread). "1 core": client and machine
// share the core; "2 cores": the machine has its own (a foreign machine takes at most one).
// The rounds of all rows alternate, so a load change on a shared machine falls on every row alike.
//
// The baseline: better-sqlite3 has no prebuilt binary reachable here; the first run builds it
// from the tarball `aam build` fetched for aams/sqlite (checksum verified, build/foreign/pack)
// with npm and node-gyp against Node's own headers (/usr/include/node), ~2 min, into
// build/bench/better-sqlite3. Without the headers or a compiler the row says why. With
// AAM_BENCH_NO_BUILD=1 in the environment a baseline not built yet is not built either (its row
// says so): the test suite sets it (tests/aams/lzo.test.mjs), which checks the rows' shape, not
// better-sqlite3's, and saved the ~2 min of the first build on every fresh clone.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { cachedBuild } from "../build/cache";
import { readRecipe } from "../build/foreign";
import { summarize, type Stats } from "./stats";
import { benchImage, timeNs } from "./image";

const PROGRAM = "tools/bench/programs/sqlite_bench.ts";
const N = 10000;
const WAYS = ["calls", "run", "batch"] as const;
const WAY_TEXT: Record<string, string> = { calls: "a call per bind/step/column/reset", run: "one `run` call a row", batch: "`run`, 100 rows a call" };

export interface SqliteRow { id: string; impl: string; op: "insert" | "select"; way?: string; cores: number; n: number; op_us: Stats; round_ms: Stats; note?: string }
export interface SqliteBenchOptions { root: string; quick: boolean; out: (s: string) => void }

/** better-sqlite3, built once into build/bench/better-sqlite3; or why it is not there. */
function betterSqlite(root: string): { lib: any } | { why: string } {
  const dir = path.join(root, "build/bench/better-sqlite3");
  const req = createRequire(path.join(dir, "package.json"));
  const load = (): any => { try { return req("better-sqlite3"); } catch { return null; } };
  let lib = load();
  if (lib) return { lib };
  const recipe = readRecipe(path.join(root, "aams/sqlite"));
  const tgz = path.join(root, "build/foreign/pack", `${recipe.package.replace("@", "-")}.tgz`);
  if (process.env.AAM_BENCH_NO_BUILD === "1") return { why: `not built (AAM_BENCH_NO_BUILD=1; a run without it builds it into ${path.relative(root, dir)}, ~2 min)` };
  if (!fs.existsSync(tgz)) return { why: `no ${path.relative(root, tgz)} (aam build fetches it for aams/sqlite)` };
  if (!fs.existsSync("/usr/include/node/node.h")) return { why: "no Node headers in /usr/include/node to build it against" };
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "aam-bench-baseline", version: "1.0.0", private: true }));
  process.stderr.write(`bench: building better-sqlite3 from ${path.relative(root, tgz)} (once, ~2 min)\n`);
  const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--nodedir=/usr", tgz], { cwd: dir, encoding: "utf8",
    env: { ...process.env, npm_config_nodedir: "/usr", npm_config_build_from_source: "true" } });
  lib = r.status === 0 ? load() : null;
  if (!lib) {
    fs.rmSync(dir, { recursive: true, force: true });
    return { why: `its build failed: ${(r.stderr || r.stdout || "").trim().split("\n").slice(-2).join(" ")}` };
  }
  return { lib };
}

/** Runs the SQLite rows and prints them as a markdown table; returns them. */
export async function benchSqlite(o: SqliteBenchOptions): Promise<SqliteRow[]> {
  const rounds = o.quick ? 3 : 10, n = o.quick ? 2000 : N;
  const wasm = (await cachedBuild({ entry: path.join(o.root, PROGRAM), root: o.root, defines: {} })).wasm;
  const better = betterSqlite(o.root);
  const samples = new Map<string, { row: Omit<SqliteRow, "op_us" | "round_ms">; ns: number[] }>();
  const add = (row: Omit<SqliteRow, "op_us" | "round_ms">, ns: number): void => {
    const s = samples.get(row.id) ?? { row, ns: [] };
    s.ns.push(ns);
    samples.set(row.id, s);
  };
  for (let r = 0; r < rounds; r++) {
    for (const cores of [1, 2]) {
      const t = (await benchImage(wasm, cores, ["sqlite_bench", String(n), "2"]))[1];   // round 0 warms up (V8's lazy compilation)
      WAYS.forEach((way, w) => {
        for (const [k, op] of (["insert", "select"] as const).entries()) {
          add({ id: `aam/${op}/${way}/${cores}`, impl: "machine sqlite (SQLite 3.53.2, wasm32)", op, way, cores, n }, t[2 * w + k]);
        }
      });
    }
    if ("lib" in better) {
      const db = new better.lib(":memory:");
      db.exec("create table t(k integer primary key, v text, x real)");
      const ins = db.prepare("insert into t values (?, 'value', ?)"), sel = db.prepare("select x from t where k = ?");
      add({ id: "better/insert", impl: "better-sqlite3 12.11.1 (SQLite 3.53.2, native)", op: "insert", cores: 1, n }, timeNs(() => db.transaction(() => { for (let i = 0; i < n; i++) ins.run(i, i * 0.5); })()));
      let sum = 0;
      add({ id: "better/select", impl: "better-sqlite3 12.11.1 (SQLite 3.53.2, native)", op: "select", cores: 1, n }, timeNs(() => { for (let i = 0; i < n; i++) sum += sel.get((i * 7919) % n).x; }));
      if (sum !== (n - 1) * n / 4) throw new Error("better-sqlite3 selects returned the wrong rows");
      db.close();
    }
  }
  const rows: SqliteRow[] = [...samples.values()].map(({ row, ns }) => ({ ...row, op_us: summarize(ns.map((t) => t / 1e3 / row.n)), round_ms: summarize(ns.map((t) => t / 1e6)) }));
  if ("why" in better) rows.push({ id: "better", impl: "better-sqlite3 (native)", op: "select", cores: 1, n, op_us: summarize([0]), round_ms: summarize([0]), note: `no baseline: ${better.why}` });
  const f = (x: number): string => x.toFixed(2);
  o.out(`## SQLite, µs per operation (${rounds} rounds of ${n} inserts in one transaction and ${n} point selects; load average ${os.loadavg()[0].toFixed(2)}, ${os.cpus().length} CPUs)\n\n`);
  o.out("| implementation | how it is called | op | cores | median µs | mean ± sd | p99 round ms | vs better-sqlite3 |\n|---|---|---|---|---|---|---|---|\n");
  for (const x of rows) {
    if (x.note) { o.out(`| ${x.impl} | — | — | — | — | — | — | ${x.note} |\n`); continue; }
    const b = rows.find((y) => y.id === `better/${x.op}`);
    o.out(`| ${x.impl} | ${x.way ? WAY_TEXT[x.way] : "in-process"} | ${x.op} | ${x.cores} | ${f(x.op_us.median)} | ${f(x.op_us.mean)} ± ${f(x.op_us.sd)} | ${x.round_ms.p99.toFixed(1)} | ${b && !b.note ? `${(x.op_us.median / b.op_us.median).toFixed(2)}× the time` : "—"} |\n`);
  }
  o.out("\n");
  return rows;
}
