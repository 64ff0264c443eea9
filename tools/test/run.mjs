// run.mjs: `make test`. Runs every suite under tests/ with uvu, each in its own process, and ends
// with one summary line `N passed, N failed[, N skipped]` totalled over all suites.
// A suite is a folder of tests/ with *.test.mjs files (plain ESM) or *.test.ts files (run through
// esbuild-register). Pass folder names to run only those suites: `node tools/test/run.mjs runtime`.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const testsDir = path.join(root, "tests");
const only = process.argv.slice(2);
const suites = fs.readdirSync(testsDir, { withFileTypes: true })
  .filter((e) => e.isDirectory() && (!only.length || only.includes(e.name)))
  .map((e) => e.name).sort();

let passed = 0, failed = 0, skipped = 0;
const t0 = Date.now();
// A folder may hold both kinds: then uvu runs twice (once per kind) and the counts add up.
// uvu prints a file's name as it starts the file; the time between two names is the first file's
// duration (the last one ends with the process). Those go to build/test-times.json and the slowest
// are listed at the end, so a slow test is found without a second run.
const fileTimes = [];
function runUvu(s, ts) {
  const uvu = path.join(root, "node_modules/uvu/bin.js");
  const args = ts ? [uvu, "--no-color", "-r", "esbuild-register", `tests/${s}`, "\\.test\\.ts$"] : [uvu, "--no-color", `tests/${s}`, "\\.test\\.mjs$"];
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { cwd: root, env: { ...process.env, FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", partial = "", current = null, since = Date.now();
    const close = () => { if (current) fileTimes.push({ file: `tests/${s}/${current}`, s: (Date.now() - since) / 1000 }); current = null; };
    p.stdout.on("data", (b) => {
      const text = b.toString("utf8");
      out += text; process.stdout.write(text);
      const lines = (partial + text).split("\n");
      partial = lines.pop();
      for (const l of lines) {
        const m = /^\s*(\S+\.test\.(?:mjs|ts))\s*$/.exec(l);
        if (m) { close(); current = m[1]; since = Date.now(); }
      }
    });
    p.stderr.on("data", (b) => { out += b.toString("utf8"); process.stdout.write(b); });
    p.on("close", (status, signal) => {
      close();
      const num = (label) => { const m = new RegExp(`${label}:\\s+(\\d+)`).exec(out); return m ? Number(m[1]) : null; };
      const total = num("Total"), passed = num("Passed"), sk = num("Skipped") ?? 0;
      if (total === null || passed === null) {
        process.stdout.write(`suite ${s}: no uvu summary (exit ${status}${signal ? ", " + signal : ""}); counted as 1 failure\n`);
        return resolve({ p: 0, total: 1, sk: 0 });      // the suite died before uvu could count
      }
      if (status !== 0 && total - passed - sk === 0) { process.stdout.write(`suite ${s}: exit ${status}; counted as 1 failure\n`); return resolve({ p: passed, total: total + 1, sk }); }
      resolve({ p: passed, total, sk });
    });
  });
}

for (const s of suites) {
  const files = fs.readdirSync(path.join(testsDir, s));
  const ts = files.some((f) => f.endsWith(".test.ts"));
  const mjs = files.some((f) => f.endsWith(".test.mjs"));
  if (!ts && !mjs) continue;
  const started = Date.now();
  process.stdout.write(`\n=== suite ${s}\n`);
  let sp = 0, st = 0;
  for (const kind of [ts && "ts", mjs && "mjs"].filter(Boolean)) {
    const { p, total, sk } = await runUvu(s, kind === "ts");
    passed += p; skipped += sk; failed += total - p - sk;
    sp += p; st += total;
  }
  const mine = fileTimes.filter((f) => f.file.startsWith(`tests/${s}/`)).sort((a, b) => b.s - a.s);
  process.stdout.write(`suite ${s}: ${sp}/${st} in ${((Date.now() - started) / 1000).toFixed(1)} s` +
    `${mine.length > 1 ? ` (${mine.slice(0, 4).map((f) => `${path.basename(f.file)} ${f.s.toFixed(0)} s`).join(", ")})` : ""}\n`);
}
fileTimes.sort((a, b) => b.s - a.s);
try {
  fs.mkdirSync(path.join(root, "build"), { recursive: true });
  fs.writeFileSync(path.join(root, "build/test-times.json"), JSON.stringify(fileTimes, null, 1) + "\n");
} catch { /* a read-only checkout: the list below is enough */ }
process.stdout.write(`\nslowest files: ${fileTimes.slice(0, 8).map((f) => `${f.file} ${f.s.toFixed(0)} s`).join(", ")}\n`);
process.stdout.write(`all suites in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
process.exit(failed ? 1 : 0);
