// native.ts: the C baselines (tools/bench/c/baselines.c), compiled with the system cc at run time
// into build/bench/ and run once per operation. Owns: finding the compiler, compiling, running,
// summarising. Not: what the operations do (baselines.c says). With no cc, every operation
// comes back as a note (a string), never as a failure.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { summarize, type Stats } from "./stats";

export const C_OPS = ["thread_switch", "process_switch", "gettid", "pthread_create", "c_spin_rt"] as const;
export type COp = typeof C_OPS[number];

/** Compile baselines.c; returns the binary's path or why there is none. */
export function compileC(root: string): { bin?: string; note?: string } {
  const cc = process.env.CC || "cc";
  const src = path.join(root, "tools/bench/c/baselines.c");
  const bin = path.join(root, "build/bench/baselines");
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  const r = spawnSync(cc, ["-O2", "-pthread", "-o", bin, src], { encoding: "utf8" });
  if (r.error) return { note: `no C compiler (${cc}: ${(r.error as NodeJS.ErrnoException).code}): C baselines skipped` };
  if (r.status !== 0) return { note: `${cc} failed on baselines.c: ${(r.stderr || "").trim().split("\n")[0]}` };
  return { bin };
}

/** One operation, n samples after `warm` unrecorded ones. */
export function runC(bin: string, op: COp, n: number, warm: number): Stats | string {
  const r = spawnSync(bin, [op, String(n), String(warm)], { encoding: "utf8", timeout: 120000, maxBuffer: 1 << 26 });
  if (r.status !== 0) return `${op} failed (${r.error?.message ?? "exit " + r.status}): ${(r.stderr || "").trim()}`;
  const xs = r.stdout.trim().split("\n").map(Number).filter((x) => Number.isFinite(x));
  return xs.length ? summarize(xs) : `${op}: no samples`;
}
