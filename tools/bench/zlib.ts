// zlib.ts: the zlib rows of `aam bench machines`: the zlib machine (aams/zlib: zlib 1.3.1 in wasm32
// with its own memory) on 1 and 2 cores against its baselines measured in the same run: Node's
// zlib (native, one thread; Chromium's optimised zlib), pako and fflate (pure JS), and the same
// zlib 1.3.1 compiled natively (gcc -O2) from the same sources, which separates what the library
// costs from what wasm and the machine cost. Exists to catch regressions and to check the issue's
// goal (within 1.5× of Node's native throughput and faster than pako).
// Owns: the row set, the rounds, the MB/s arithmetic. Not: the in-image timing
// (programs/zlib_bench.ts), statistics (stats.ts).
//
// A round deflates MIB mebibytes of generated text (level 6, zlib format) and inflates the result,
// in 64 KiB pushes (each a machine call: copy in, C call, copy out), output in 256 KiB pieces. Each
// run does a warm-up round first, in the same instances, and only the second counts: V8 compiles
// a module lazily (its first round runs partly in the baseline compiler), which Node's native
// zlib never pays. "1 core": the client task and
// the machine share the one core; "2 cores": the machine has its own (a foreign machine takes at
// most one core: calls into one module are serialised). The rounds of all rows alternate, so a
// load change on a shared machine falls on every row alike. MB/s = 10^6 bytes of uncompressed
// data a second.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { cachedBuild } from "../build/cache";
import { foreignSources, readRecipe } from "../build/foreign";
import { summarize, type Stats } from "./stats";
import { benchImage, timeNs } from "./image";

const ZPROGRAM = "tools/bench/programs/zlib_bench.ts";
const MIB = 8;

export interface ZlibRow { id: string; impl: string; op: "deflate" | "inflate"; cores: number; mib: number; mb_per_s: Stats; round_ms: Stats }
export interface ZlibBenchOptions { root: string; quick: boolean; out: (s: string) => void }

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

// zlib 1.3.1 from aams/zlib's pinned sources with the recipe's defines, compiled natively
// (c/zlib_native.c): its path, or why there is none (no C compiler).
function nativeZlib(root: string): { bin: string } | { why: string } {
  const src = foreignSources(root, path.join(root, "aams/zlib"));
  const bin = path.join(root, "build/bench/zlib_native");
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  const files = ["adler32", "compress", "crc32", "deflate", "inflate", "inftrees", "inffast", "trees", "zutil"].map((f) => path.join(src, `${f}.c`));
  const cflags = readRecipe(path.join(root, "aams/zlib")).cflags ?? [];   // the machine's configuration (UNALIGNED_OK)
  const r = spawnSync(process.env.CC || "cc", ["-O2", ...cflags, `-I${src}`, "-o", bin, path.join(root, "tools/bench/c/zlib_native.c"), ...files], { encoding: "utf8" });
  if (r.status !== 0) return { why: `cc failed: ${(r.error?.message ?? r.stderr ?? "").trim().split("\n")[0]}` };
  return { bin };
}

const mbps = (bytes: number, ns: number[]): number[] => ns.map((t) => bytes / (t / 1e9) / 1e6);

/** Runs the zlib rows and prints them as a markdown table; returns them. */
export async function benchZlib(o: ZlibBenchOptions): Promise<ZlibRow[]> {
  const rounds = o.quick ? 3 : 10, mib = o.quick ? 2 : MIB;
  const wasm = (await cachedBuild({ entry: path.join(o.root, ZPROGRAM), root: o.root, defines: {} })).wasm;
  const req = createRequire(path.join(o.root, "package.json"));
  const pako = req("pako"), fflate = req("fflate");
  const data = corpus(mib << 20);
  const packed = zlib.deflateSync(data, { level: 6 });
  const native = nativeZlib(o.root);
  const file = path.join(os.tmpdir(), `aam-bench-zlib-${process.pid}.bin`);
  fs.writeFileSync(file, data);
  const samples = new Map<string, { row: Omit<ZlibRow, "mb_per_s" | "round_ms">; ns: number[] }>();
  const add = (row: Omit<ZlibRow, "mb_per_s" | "round_ms">, ns: number[]): void => {
    const s = samples.get(row.id) ?? { row, ns: [] };
    s.ns.push(...ns);
    samples.set(row.id, s);
  };
  for (let r = 0; r < rounds; r++) {
    for (const cores of [1, 2]) {
      const [d, i] = (await benchImage(wasm, cores, ["zlib_bench", String(mib), "2"]))[1];   // round 0 warms up
      add({ id: `aam/deflate/${cores}`, impl: "machine zlib (zlib 1.3.1, wasm32)", op: "deflate", cores, mib }, [d]);
      add({ id: `aam/inflate/${cores}`, impl: "machine zlib (zlib 1.3.1, wasm32)", op: "inflate", cores, mib }, [i]);
    }
    if ("bin" in native) {
      const p = spawnSync(native.bin, [file, "1"], { encoding: "utf8" });
      if (p.status !== 0) throw new Error(`zlib_native: ${p.stderr}`);
      const [d, i] = p.stdout.trim().split(" ").map(Number);
      add({ id: "c/deflate", impl: "zlib 1.3.1, the same sources, native (cc -O2)", op: "deflate", cores: 1, mib }, [d]);
      add({ id: "c/inflate", impl: "zlib 1.3.1, the same sources, native (cc -O2)", op: "inflate", cores: 1, mib }, [i]);
    }
    add({ id: "node/deflate", impl: "Node zlib (native)", op: "deflate", cores: 1, mib }, [timeNs(() => zlib.deflateSync(data, { level: 6 }))]);
    add({ id: "node/inflate", impl: "Node zlib (native)", op: "inflate", cores: 1, mib }, [timeNs(() => zlib.inflateSync(packed))]);
    add({ id: "pako/deflate", impl: "pako (pure JS)", op: "deflate", cores: 1, mib }, [timeNs(() => pako.deflate(data, { level: 6 }))]);
    add({ id: "pako/inflate", impl: "pako (pure JS)", op: "inflate", cores: 1, mib }, [timeNs(() => pako.inflate(packed))]);
    add({ id: "fflate/deflate", impl: "fflate (pure JS)", op: "deflate", cores: 1, mib }, [timeNs(() => fflate.zlibSync(data, { level: 6 }))]);
    add({ id: "fflate/inflate", impl: "fflate (pure JS)", op: "inflate", cores: 1, mib }, [timeNs(() => fflate.unzlibSync(packed))]);
  }
  fs.rmSync(file, { force: true });
  const rows: ZlibRow[] = [...samples.values()].map(({ row, ns }) => ({ ...row, mb_per_s: summarize(mbps(row.mib << 20, ns)), round_ms: summarize(ns.map((t) => t / 1e6)) }));
  const f = (x: number): string => x.toFixed(1);
  o.out(`## zlib throughput, MB/s of uncompressed data (${rounds} rounds of ${mib} MiB, level 6; load average ${os.loadavg()[0].toFixed(2)}, ${os.cpus().length} CPUs)\n\n`);
  if ("why" in native) o.out(`(no native zlib 1.3.1 row: ${native.why})\n\n`);
  o.out("| implementation | op | cores | median | mean ± sd | at p99 round time | vs Node | vs pako | vs zlib 1.3.1 native |\n|---|---|---|---|---|---|---|---|---|\n");
  for (const x of rows) {
    const nd = rows.find((y) => y.id === `node/${x.op}`)!, pk = rows.find((y) => y.id === `pako/${x.op}`)!;
    const ratio = (y: ZlibRow): string => `${(x.mb_per_s.median / y.mb_per_s.median).toFixed(2)}×`;
    const c = rows.find((y) => y.id === `c/${x.op}`);
    o.out(`| ${x.impl} | ${x.op} | ${x.cores} | ${f(x.mb_per_s.median)} | ${f(x.mb_per_s.mean)} ± ${f(x.mb_per_s.sd)} | ${f(x.mib * 1.048576 / (x.round_ms.p99 / 1e3))} | ${ratio(nd)} | ${ratio(pk)} | ${c ? ratio(c) : "—"} |\n`);
  }
  o.out("\n");
  return rows;
}
