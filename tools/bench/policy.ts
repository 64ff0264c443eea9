// policy.ts: `aam bench policy`, the Machine Manager's figures (issue 15's `policy` object):
//   steady_changes_per_s  grants + revokes per second per machine under a steady load
//                         (examples/pipeline.ts, 4 machines on 4 cores: a run of 2·10^5 items
//                         minus one of 2·10^4, so the start does not count), the most of any machine; a second is the manager's own: ticks × AAM_TICK_US, so a
//                         tick the host did not run counts against us, never for us;
//   load_step_ticks       ticks from A's calls being queued to A holding 2 cores, as the loaded
//                         program saw them (tests/machines counts the same exactly from a trace);
//   idle_cpu_percent      CPU of the whole process (every core's thread) while a system with two
//                         machines has nothing to do, over 5 s from 0.5 s after it went quiet.
// No baseline applies to the first two (they are counts); for the third, 0 is the baseline.
// Not: the policy itself (runtime/machine/policy.ts), its exact test (tests/machines policy.ts).

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { summarize, type Stats } from "./stats";

export interface PolicyBench { steady_changes_per_s: number; steady_rounds: Stats; per_machine: Record<string, number>; load_step_ticks: number; idle_cpu_percent: number }

function run(root: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [path.join(root, "tools/bin/aam.js"), ...args], { cwd: root });
    let stdout = "", stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

// CPU seconds of process pid so far (utime + stime of all its threads, /proc/pid/stat).
function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;        // fields 14 and 15, in clock ticks (USER_HZ 100)
}

async function idleCpu(root: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(root, "tools/bin/aam.js"), "run", "tools/bench/programs/idle.ts", "--cores", "2"], { cwd: root });
    let out = "", done = false;
    const fail = (e: Error): void => { if (!done) { done = true; p.kill("SIGKILL"); reject(e); } };
    p.on("close", (code) => fail(new Error(`idle.ts ended (${code}) before it was measured`)));
    p.stdout.on("data", (d) => {
      out += d;
      if (!/^idle \d+$/m.test(out) || done) return;
      done = true;
      setTimeout(() => {
        const c0 = cpuSeconds(p.pid!), t0 = performance.now();
        setTimeout(() => {
          const used = cpuSeconds(p.pid!) - c0, wall = (performance.now() - t0) / 1000;
          p.kill("SIGKILL");
          resolve(100 * used / wall);
        }, 5000);
      }, 500);
    });
  });
}

export async function benchPolicy(root: string, rounds: number, out: (s: string) => void): Promise<PolicyBench> {
  // Steady: the changes of a long run minus those of a short one, over the ticks between them,
  // so that the start (every machine's first grant, main giving its cores away) does not count.
  const pipeline = async (items: number): Promise<{ ticks: number; changes: Record<string, number> }> => {
    const r = await run(root, ["run", "examples/pipeline.ts", "--cores", "4", "--stats", "--", String(items), "2000"]);
    if (r.code !== 0) throw new Error(`examples/pipeline.ts: status ${r.code}\n${r.stderr}`);
    const ticks = Number(/manager ticks: (\d+)/.exec(r.stderr)?.[1] ?? 0);
    const changes = Object.fromEntries(r.stderr.split("\n").filter((l) => /^(main|producer|transform|sink)\s/.test(l))
      .map((l) => l.trim().split(/\s+/)).map(([name, ...v]) => [name, Number(v[7]) + Number(v[8])]));   // grants, revokes
    return { ticks, changes };
  };
  const per: number[] = [];
  const perMachine: Record<string, number[]> = {};
  for (let i = 0; i < rounds; i++) {
    const short = await pipeline(20000), long = await pipeline(200000);
    const secs = Math.max(1, long.ticks - short.ticks) / 1000;          // AAM_TICK_US = 1000
    let most = 0;
    for (const name of Object.keys(long.changes)) {
      const rate = Math.max(0, long.changes[name] - (short.changes[name] ?? 0)) / secs;
      (perMachine[name] ??= []).push(rate);
      most = Math.max(most, rate);
    }
    per.push(most);
  }
  const steady = summarize(per);
  const ls = await run(root, ["run", "tests/machines/programs/loadstep.ts", "--cores", "4", "--", "6000", "20000"]);
  const stepLine = /ticks to second core (\d+)/.exec(ls.stdout);
  if (ls.code !== 0 || !stepLine) throw new Error(`tests/machines/programs/loadstep.ts: status ${ls.code}, no "ticks to second core" line\n${ls.stdout}${ls.stderr}`);
  const step = Number(stepLine[1]);
  const idle = await idleCpu(root);
  const r: PolicyBench = {
    steady_changes_per_s: steady.median, steady_rounds: steady,
    per_machine: Object.fromEntries(Object.entries(perMachine).map(([k, v]) => [k, summarize(v).median])),
    load_step_ticks: step, idle_cpu_percent: idle,
  };
  out(`## Machine Manager (${rounds} rounds of examples/pipeline.ts, 4 cores: 2·10^5 items minus 2·10^4)\n\n`);
  out("| figure | value | goal |\n|---|---|---|\n");
  out(`| grants + revokes per second, busiest machine (median; mean ± sd; max) | ${steady.median.toFixed(1)} (${steady.mean.toFixed(1)} ± ${steady.sd.toFixed(1)}; ${steady.p99.toFixed(1)}) | ≤ 10 |\n`);
  for (const [k, v] of Object.entries(r.per_machine)) out(`| … ${k} (median) | ${v.toFixed(1)} | |\n`);
  out(`| load step: ticks to a second core (program's view) | ${step} | ≤ 2 |\n`);
  out(`| idle system CPU (2 machines, 5 s) | ${idle.toFixed(2)} % | ≤ 1 % |\n\n`);
  return r;
}
