// run.mjs: `make test`. Runs every suite under tests/ with uvu, each in its own process, and ends
// with one summary line `N passed, N failed[, N skipped]` totalled over all suites.
// A suite is a folder of tests/ with *.test.mjs files (plain ESM) or *.test.ts files (run through
// esbuild-register). Pass folder names to run only those suites: `node tools/test/run.mjs runtime`.
//
// Suites run JOBS at a time (default 2; JOBS=1 runs them one after another). Most of a suite's time
// is one process waiting on another (a QEMU guest, a worker, a build), so two at once on this
// 2-CPU machine take well under twice as long as one (41 → 21 min here); the suites must hold on
// a busy machine anyway (`make test-under-load`). Two rules keep suites that run side by side apart:
//   1. EXCLUSIVE suites run alone: `bench` (its policy test's load step failed beside another
//      suite; cause not found; it passed alone and beside two CPU burners). `net` ran alone too
//      until 2026-12-05 (failures beside another suite in stack_inimage and stack_dev, causes not
//      found then): alone it left a CPU idle for half its ~6 min (53 % idle measured), and it
//      passed beside aams, the heaviest suite, and in full runs beside the others (2026-12-05),
//      but for one: tcp_loop's hostile program waited a fixed 3.5 s for timers (TIME_WAIT, ARP's
//      give-up) and found a block not yet freed; its waits now poll for what the timers free.
//      So it takes a lane like any suite now. bench and net never meet: bench runs alone;
//   2. a suite's output is held until it ends and then printed whole, so the log reads as if the
//      suites had run one after another (in the order they ended).
// The exclusive suites run first; then the longest start first (their last durations, from
// build/test-times.json), so the two lanes end close together.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { stale, bundle } from "../bundle.mjs";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const testsDir = path.join(root, "tests");
const only = process.argv.slice(2);
const jobs = Math.max(1, Number(process.env.JOBS ?? 2) || 1);
const EXCLUSIVE = new Set(["bench"]);
const TIMES = path.join(root, "build/test-times.json");

const kinds = (s) => {
  const files = fs.readdirSync(path.join(testsDir, s));
  return [files.some((f) => f.endsWith(".test.ts")) && "ts", files.some((f) => f.endsWith(".test.mjs")) && "mjs"].filter(Boolean);
};
const suites = fs.readdirSync(testsDir, { withFileTypes: true })
  .filter((e) => e.isDirectory() && (!only.length || only.includes(e.name)))
  .map((e) => e.name).sort().filter((s) => kinds(s).length);

// The last run's durations, summed per suite: the longest start first.
const last = new Map();
let earlier = [];
try {
  earlier = JSON.parse(fs.readFileSync(TIMES, "utf8"));
  for (const f of earlier) {
    const s = f.file.split("/")[1];
    last.set(s, (last.get(s) ?? 0) + f.s);
  }
} catch { /* no earlier run: alphabetical */ }
// Exclusive suites first (each alone), then the rest longest first, two at a time.
const queue = [...suites].sort((a, b) => (EXCLUSIVE.has(b) - EXCLUSIVE.has(a)) || (last.get(b) ?? 0) - (last.get(a) ?? 0));

// The tools are bundled once here, before any suite starts: suites side by side would otherwise
// each find the bundle stale after an edit and write it at the same time (tools/bin/aam.js).
if (stale()) await bundle();

let passed = 0, failed = 0, skipped = 0;
const t0 = Date.now();
// A folder may hold both kinds: then uvu runs twice (once per kind) and the counts add up.
// uvu prints a file's name as it starts the file; the time between two names is the first file's
// duration (the last one ends with the process). Those go to build/test-times.json and the slowest
// are listed at the end, so a slow test is found without a second run.
const fileTimes = [];
function runUvu(s, ts, write) {
  const uvu = path.join(root, "node_modules/uvu/bin.js");
  const args = ts ? [uvu, "--no-color", "-r", "esbuild-register", `tests/${s}`, "\\.test\\.ts$"] : [uvu, "--no-color", `tests/${s}`, "\\.test\\.mjs$"];
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { cwd: root, env: { ...process.env, FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", partial = "", current = null, since = Date.now();
    const close = () => { if (current) fileTimes.push({ file: `tests/${s}/${current}`, s: (Date.now() - since) / 1000 }); current = null; };
    p.stdout.on("data", (b) => {
      const text = b.toString("utf8");
      out += text; write(text);
      const lines = (partial + text).split("\n");
      partial = lines.pop();
      for (const l of lines) {
        const m = /^\s*(\S+\.test\.(?:mjs|ts))\s*$/.exec(l);
        if (m) { close(); current = m[1]; since = Date.now(); }
      }
    });
    p.stderr.on("data", (b) => { out += b.toString("utf8"); write(b.toString("utf8")); });
    p.on("close", (status, signal) => {
      close();
      const num = (label) => { const m = new RegExp(`${label}:\\s+(\\d+)`).exec(out); return m ? Number(m[1]) : null; };
      const total = num("Total"), ok = num("Passed"), sk = num("Skipped") ?? 0;
      if (total === null || ok === null) {
        write(`suite ${s}: no uvu summary (exit ${status}${signal ? ", " + signal : ""}); counted as 1 failure\n`);
        return resolve({ p: 0, total: 1, sk: 0 });      // the suite died before uvu could count
      }
      if (status !== 0 && total - ok - sk === 0) { write(`suite ${s}: exit ${status}; counted as 1 failure\n`); return resolve({ p: ok, total: total + 1, sk }); }
      resolve({ p: ok, total, sk });
    });
  });
}

async function runSuite(s) {
  let text = `\n=== suite ${s}\n`;
  const write = jobs === 1 ? (t) => process.stdout.write(t) : (t) => { text += t; };
  if (jobs === 1) process.stdout.write(text);
  const started = Date.now();
  let sp = 0, st = 0;
  for (const kind of kinds(s)) {
    const { p, total, sk } = await runUvu(s, kind === "ts", write);
    passed += p; skipped += sk; failed += total - p - sk;
    sp += p; st += total;
  }
  const mine = fileTimes.filter((f) => f.file.startsWith(`tests/${s}/`)).sort((a, b) => b.s - a.s);
  write(`suite ${s}: ${sp}/${st} in ${((Date.now() - started) / 1000).toFixed(1)} s` +
    `${mine.length > 1 ? ` (${mine.slice(0, 4).map((f) => `${path.basename(f.file)} ${f.s.toFixed(0)} s`).join(", ")})` : ""}\n`);
  if (jobs > 1) process.stdout.write(text);
}

// The scheduler: up to `jobs` suites at once; an exclusive suite waits until nothing runs, and
// nothing starts beside it. The queue is taken in order.
const running = new Set();
let alone = false;
await new Promise((done) => {
  const next = () => {
    if (!queue.length && !running.size) return done();
    while (queue.length && running.size < jobs && !alone) {
      if (EXCLUSIVE.has(queue[0]) && running.size) break;
      const s = queue.shift();
      alone = EXCLUSIVE.has(s);
      const run = runSuite(s).then(() => {
        alone = false;
        running.delete(run);
        next();
      });
      running.add(run);
    }
  };
  next();
});

// Kept: the earlier durations of suites this run did not run (`run.mjs cli` keeps the rest).
for (const f of earlier) if (!suites.includes(f.file.split("/")[1])) fileTimes.push(f);
fileTimes.sort((a, b) => b.s - a.s);
try {
  fs.mkdirSync(path.dirname(TIMES), { recursive: true });
  fs.writeFileSync(TIMES, JSON.stringify(fileTimes, null, 1) + "\n");
} catch { /* a read-only checkout: the list below is enough */ }
const ran = fileTimes.filter((f) => suites.includes(f.file.split("/")[1]));
process.stdout.write(`\nslowest files: ${ran.slice(0, 8).map((f) => `${f.file} ${f.s.toFixed(0)} s`).join(", ")}\n`);
process.stdout.write(`all suites in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${jobs} at a time\n`);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
process.exit(failed ? 1 : 0);
