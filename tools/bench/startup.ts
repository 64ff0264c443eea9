// startup.ts: `aam bench startup`, how long `aam run x.ts` takes before the program starts.
//
// Each round spawns `aam run <program> --cores 1` as a user would and reads the clock at the spawn
// and at the first byte on the program's stdout (hello.ts prints from percore, its first code):
//   first:  `--no-cache`, so the image is built (asc, Asyncify, -O3) and stored, as on a first run;
//   second: the same command without it, the image read back from build/image-cache/.
// Baseline in the same run: `node -e` printing one line, what starting a Node process costs.
// The rounds alternate (first, second, node) so that a load change on a shared machine falls on
// all three rows alike.

import { spawn } from "node:child_process";
import * as path from "node:path";
import { summarize, type Stats } from "./stats";

export interface StartupBench { program: string; rounds: number; first_ms: Stats; second_ms: Stats; node_ms: Stats }

// Milliseconds from the spawn to the first byte on stdout; rejects if the command fails.
function firstOutput(args: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = -1, err = "";
    const p = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    p.stdout.on("data", () => { if (first < 0) first = performance.now() - t0; });
    p.stderr.on("data", (d) => (err += d));
    p.on("close", (code) => (code === 0 && first >= 0 ? resolve(first) : reject(new Error(`${args.join(" ")}: status ${code}\n${err}`))));
  });
}

export async function benchStartup(root: string, rounds: number, out: (s: string) => void, program = "examples/hello.ts"): Promise<StartupBench> {
  const aam = [path.join(root, "tools/bin/aam.js"), "run", program, "--cores", "1"];
  const first: number[] = [], second: number[] = [], node: number[] = [];
  for (let i = 0; i < rounds; i++) {
    first.push(await firstOutput([...aam, "--no-cache"], root));
    second.push(await firstOutput(aam, root));
    node.push(await firstOutput(["-e", "console.log(1)"], root));
  }
  const r = { program, rounds, first_ms: summarize(first), second_ms: summarize(second), node_ms: summarize(node) };
  const f = (s: Stats): string => `${s.median.toFixed(0)} ms | ${s.mean.toFixed(0)} ± ${s.sd.toFixed(0)} ms | ${s.p99.toFixed(0)} ms`;
  out(`## aam run ${program}: time to the program's first output (${rounds} rounds)\n\n`);
  out("| run | median | mean ± sd | max |\n|---|---|---|---|\n");
  out(`| first run (--no-cache: build) | ${f(r.first_ms)} |\n`);
  out(`| second run (image from the cache) | ${f(r.second_ms)} |\n`);
  out(`| baseline: node -e 'console.log(1)' | ${f(r.node_ms)} |\n\n`);
  out(`second run: ${(r.second_ms.median - r.node_ms.median).toFixed(0)} ms more than starting Node; ` +
    `${(r.first_ms.median / r.second_ms.median).toFixed(1)}× faster than a first run\n`);
  return r;
}
