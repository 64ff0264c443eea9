// lzo.ts: the lzo rows of `aam bench machines`: MB/s of machine lzo (aams/lzo) compressing and
// decompressing generated text in 256 KiB blocks on 1 and 2 cores, and of the real `lzop` on the
// same bytes in the same run (the baseline). Owns: the data, the runs, the rows. Not: the
// in-image loop (programs/lzo_bench.ts), the table of every machine (machines.ts).
//
// Rows: {id, what, cores, mb_s: STATS over the rounds, baseline, baseline_mb_s, ratio}, ratio =
// our median / lzop's median (above 1: faster than lzop). MB = 10^6 bytes of uncompressed data.
// lzop runs as a process on a file in the page cache with --no-checksum (the machine's raw calls
// compute none); its time includes starting the process (~1 ms of the ~50+ ms a round takes).
// lzop is one thread: the 2-core rows compare our two cores with its one. The rounds alternate
// (lzop -3, lzop -d, lzop -1, the image on 1 core, on 2 cores; each image run a warm-up round and
// one measured) so that a load change on a shared machine falls on every row alike.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cachedBuild } from "../build/cache";
import { benchImage } from "./image";
import { summarize, type Stats } from "./stats";

export interface MachineRow { id: string; what: string; cores: number; mb_s: Stats; baseline?: string; baseline_mb_s?: Stats; ratio?: number; note?: string }

const PROGRAM = "tools/bench/programs/lzo_bench.ts";
const WORDS = "the machine core task lzo block stream of and a compress memory shared image call queue signal data offset literal".split(" ");

// The text lzo_bench.ts generates in the image (xorshift32 from seed 1), byte for byte.
function text(n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = 1, at = 0;
  while (at < n) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    const w = WORDS[x % WORDS.length];
    at += out.write(w.slice(0, n - at), at, "latin1");
    if (at < n) out[at++] = (x >>> 8) % 11 === 0 ? 10 : 32;
  }
  return out;
}

async function inImage(root: string, cores: number, mib: number, reps: number): Promise<any> {
  const built = await cachedBuild({ entry: path.join(root, PROGRAM), root, defines: {} });
  return benchImage(built.wasm, cores, ["lzo_bench", String(mib), String(reps)]);
}

// Seconds of one `lzop args`, output thrown away.
function lzopOnce(args: string[]): number {
  const t0 = performance.now();
  const p = spawnSync("lzop", args, { stdio: ["ignore", "ignore", "pipe"] });
  const s = (performance.now() - t0) / 1000;
  if (p.status !== 0) throw new Error(`lzop ${args.join(" ")}: status ${p.status}: ${p.stderr}`);
  return s;
}

/** The lzo rows; `quick`: 4 MiB and 3 rounds instead of 16 MiB and 9. */
export async function benchLzo(root: string, quick: boolean, notes: string[]): Promise<MachineRow[]> {
  const mib = quick ? 4 : 16, reps = quick ? 3 : 9, bytes = mib * 1024 * 1024;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aam-bench-lzo-"));
  const rows: MachineRow[] = [];
  try {
    const file = path.join(dir, "text"), z = file + ".lzo";
    fs.writeFileSync(file, text(bytes));
    const have = spawnSync("lzop", ["-3", "--no-checksum", "-f", "-o", z, file]).status === 0;
    if (!have) notes.push("lzo: lzop is not installed: the rows have no baseline (apt-get install lzop)");
    const mbs = (secs: number[]): Stats => summarize(secs.map((s) => bytes / 1e6 / s));
    const t = { c1: [] as number[], c3: [] as number[], d: [] as number[] };
    const ours: Record<number, { c: number[]; d: number[]; compressed: number }> = { 1: { c: [], d: [], compressed: 0 }, 2: { c: [], d: [], compressed: 0 } };
    if (have) lzopOnce(["-d", "-c", z]);                // warms the page cache
    for (let r = 0; r < reps; r++) {
      if (have) { t.c3.push(lzopOnce(["-3", "--no-checksum", "-c", file])); t.d.push(lzopOnce(["-d", "-c", z])); t.c1.push(lzopOnce(["-1", "--no-checksum", "-c", file])); }
      for (const cores of [1, 2]) {
        const w = await inImage(root, cores, mib, 1);
        ours[cores].c.push(w.compress_ns[0] / 1e9);
        ours[cores].d.push(w.decompress_ns[0] / 1e9);
        ours[cores].compressed = w.compressed / w.bytes;
      }
    }
    const base = have ? { c1: mbs(t.c1), c3: mbs(t.c3), d: mbs(t.d) } : null;
    for (const cores of [1, 2]) {
      const c = mbs(ours[cores].c), d = mbs(ours[cores].d);
      const ratio = (a: Stats, b?: Stats): number | undefined => (b ? a.median / b.median : undefined);
      rows.push({ id: "lzo_compress", what: `lzo compress (LZO1X-1), text ${mib} MiB → ${(100 * ours[cores].compressed).toFixed(1)} %`, cores, mb_s: c,
        baseline: "lzop -3 --no-checksum (LZO1X-1, 1 thread)", baseline_mb_s: base?.c3, ratio: ratio(c, base?.c3) });
      rows.push({ id: "lzo_decompress", what: `lzo decompress, text ${mib} MiB`, cores, mb_s: d,
        baseline: "lzop -d (1 thread)", baseline_mb_s: base?.d, ratio: ratio(d, base?.d) });
    }
    if (base) rows.push({ id: "lzop_compress_fast", what: "lzop -1 --no-checksum (LZO1X-1(15)), for reference", cores: 1, mb_s: base.c1 });
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  return rows;
}
