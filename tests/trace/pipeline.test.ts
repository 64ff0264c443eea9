// pipeline.test.ts: a real traced run. `aam trace examples/pipeline.ts --stats` on 2 cores of the
// Node host: does the Chrome JSON validate, does it hold one task slice per task run that --stats
// counted, was nothing lost, and does the viewer draw every slice of it in headless Chromium?
// Leaves build/test-artifacts/pipeline.trace.json, pipeline.html and pipeline.png to look at.

import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { chromium } from "playwright-core";
import { validateChrome } from "../../tools/trace/index";

const ROOT = path.resolve(__dirname, "../..");
const ART = path.join(ROOT, "build/test-artifacts");
const JSON_OUT = path.join(ART, "pipeline.trace.json");
const HTML_OUT = path.join(ART, "pipeline.html");

function aam(args: string[], timeoutMs = 300000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(ROOT, "tools/bin/aam.js"), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const t = setTimeout(() => { p.kill("SIGKILL"); reject(new Error(`aam ${args.join(" ")} hung\n${stderr}`)); }, timeoutMs);
    p.on("close", (code) => { clearTimeout(t); resolve({ code: code ?? 128, stdout, stderr }); });
  });
}

// The sum of the "tasks run" column of the --stats core table (dispatches: runs and resumes).
function tasksRun(stderr: string): number {
  const lines = stderr.split("\n");
  const h = lines.findIndex((l) => /^\s*core\s+tasks run/.test(l));
  assert.ok(h >= 0, `no --stats table in:\n${stderr}`);
  const col = lines[h].trim().split(/\s{2,}/).indexOf("tasks run");
  let sum = 0;
  for (const l of lines.slice(h + 1)) {
    if (!/^\s*\d/.test(l)) break;
    sum += Number(l.trim().split(/\s+/)[col]);
  }
  return sum;
}

let run: { code: number; stdout: string; stderr: string };
let trace: any;

test("aam trace of examples/pipeline.ts on 2 cores: the program's output is unchanged and no event was lost", async () => {
  fs.rmSync(JSON_OUT, { force: true });
  run = await aam(["trace", "examples/pipeline.ts", "--cores", "2", "--stats", "-o", JSON_OUT, "--html", HTML_OUT, "--", "3000", "200"]);
  assert.is(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, "items 3000 sum ok");
  assert.match(run.stderr, /aam: wrote .*pipeline\.trace\.json \(\d+ events from 2 cores, none lost\)/);
  trace = JSON.parse(fs.readFileSync(JSON_OUT, "utf8"));
  assert.equal(trace.otherData.aam_lost, { 0: 0, 1: 0 });
});

test("the trace validates against the trace-event format (fields, balanced slices, monotonic time per core, paired flows)", () => {
  const problems = validateChrome(trace);
  assert.equal(problems, [], problems.slice(0, 5).join("\n"));
});

test("its task slices equal the tasks run counted by --stats, and all three machines ran tasks on it", () => {
  const slices = trace.traceEvents.filter((e: any) => e.cat === "task");
  assert.is(slices.length, tasksRun(run.stderr));
  const names = new Set(slices.map((e: any) => e.name));
  for (const fn of ["produce", "transform", "sink"]) assert.ok(names.has(fn), [...names].join(" "));
  const machines = trace.otherData.machines;
  for (const m of ["producer", "transform", "sink"]) assert.ok(Object.values(machines).includes(m));
  // IMS arrows, load counters and core grants are there too
  assert.ok(trace.traceEvents.some((e: any) => e.ph === "s"), "an IMS flow starts");
  assert.ok(trace.traceEvents.some((e: any) => e.ph === "C"), "counter tracks");
});

test("the viewer of the real trace draws every task slice in headless Chromium, and hovering one names it", async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto("file://" + HTML_OUT);
    await page.waitForFunction(() => (window as any).sview?.ready === true, null, { timeout: 120000 });
    const want = trace.traceEvents.filter((e: any) => e.cat === "task").length;
    assert.is(await page.evaluate(() => (window as any).sview.sliceCount), want);
    assert.is(await page.evaluate(() => (window as any).sview.slicesDrawn()), want);
    const i = Math.floor(want / 2);
    await page.evaluate((i) => (window as any).sview.focus(i), i);
    const d = await page.evaluate((i) => (window as any).sview.slice(i), i);
    const p = await page.evaluate((i) => (window as any).sview.slicePoint(i), i);
    await page.mouse.move(p.x, p.y);
    const text = (await page.locator("#sview-tooltip").textContent()) ?? "";
    assert.match(text, d.task);
    assert.match(text, `core ${d.core}`);
    await page.click("#zoom-reset");
    await page.screenshot({ path: path.join(ART, "pipeline.png"), fullPage: true });
    assert.equal(requests, ["file://" + HTML_OUT]);
  } finally { await browser.close(); }
});

test.run();
