// viewer.test.ts: the sview page in headless Chromium (playwright-core, Debian's /usr/bin/chromium
// from tools/system-deps.sh). Does it draw the three panes and every task slice, does hovering a
// slice name its machine, task and core, does zooming narrow the view, does it stay offline?
// Writes build/test-artifacts/sview.png (and .html) to look at. A missing Chromium fails, loudly.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { chromium, Browser, Page } from "playwright-core";
import { toChrome, toHtml } from "../../tools/trace/index";
import { synthTrace, countRaw } from "./synth";

const CHROMIUM = "/usr/bin/chromium";
const ART = path.resolve(__dirname, "../../build/test-artifacts");
let browser: Browser | null = null;

/** Opens the page from a file (as a user would) and records every request it makes. */
async function open(html: string, name: string, viewport = { width: 1280, height: 900 }) {
  assert.ok(browser, `no browser: see the first test (${CHROMIUM})`);
  fs.mkdirSync(ART, { recursive: true });
  const file = path.join(ART, name + ".html");
  fs.writeFileSync(file, html);
  const page = await browser!.newPage({ viewport });
  const requests: string[] = [], errors: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => errors.push(e.message));
  await page.route("**/*", (r) => (r.request().url() === "file://" + file ? r.continue() : r.abort()));
  await page.goto("file://" + file);
  await page.waitForFunction(() => (window as any).sview?.ready === true, null, { timeout: 120000 });   // a hang guard
  return { page, requests, errors, file };
}
const sv = <T>(page: Page, f: string, ...args: unknown[]) =>
  page.evaluate(([f, args]) => (window as any).sview[f as string](...(args as unknown[])), [f, args] as const) as Promise<T>;

test("chromium is installed and launches", async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: run \`sh tools/system-deps.sh\` as root (Debian package chromium)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

test("the page draws three panes and every task slice, offline, without errors", async () => {
  const raw = synthTrace({ cores: 4, seed: 4, lost: [0, 3, 0, 0] });
  const { page, requests, errors, file } = await open(toHtml(raw, { title: "sview: synthetic trace" }), "sview");
  try {
    for (const pane of ["#pane-load", "#pane-assign", "#pane-tasks"]) {
      const box = await page.locator(`${pane} canvas`).boundingBox();
      assert.ok(box && box.width > 600 && box.height > 40, `${pane} has a canvas of size`);
    }
    const want = countRaw(raw, "task_begin") + countRaw(raw, "task_resume");
    assert.is(await page.evaluate(() => (window as any).sview.sliceCount), want);
    assert.is(await sv<number>(page, "slicesDrawn"), want);
    // the canvases are not blank: the tasks pane has pixels of the first machine's colour
    const coloured = await page.evaluate(() => {
      const c = document.querySelector("#pane-tasks canvas") as HTMLCanvasElement;
      const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] === 0x4e && d[i + 1] === 0x79 && d[i + 2] === 0xa7) n++;
      return n;
    });
    assert.ok(coloured > 1000, `task slices are painted (${coloured} px)`);
    assert.match(await page.textContent("#legend") ?? "", /app.*fs.*net/);
    assert.match(await page.textContent("#lost-banner") ?? "", /3 on core 1/);
    const machines = await page.locator("#summary-machines tbody tr").count();
    assert.is(machines, 3);
    assert.match(await page.textContent("#summary-cores") ?? "", /core 3/);
    await page.screenshot({ path: path.join(ART, "sview.png"), fullPage: true });
    assert.equal(errors, []);
    assert.equal(requests, ["file://" + file], "no request but the page itself");
  } finally { await page.close(); }
});

test("hovering a slice shows its machine, task name, id, core and times", async () => {
  const raw = synthTrace({ cores: 3, seed: 8 });
  const j = toChrome(raw);
  const { page } = await open(toHtml(j), "sview-hover");
  try {
    const n = await page.evaluate(() => (window as any).sview.sliceCount);
    for (const i of [0, Math.floor(n / 2), n - 1]) {
      await sv(page, "focus", i);                                   // big enough to hit without ambiguity
      const d = await sv<any>(page, "slice", i);
      const p = await sv<{ x: number; y: number }>(page, "slicePoint", i);
      await page.mouse.move(p.x, p.y);
      const tip = page.locator("#sview-tooltip");
      assert.ok(await tip.isVisible(), `tooltip for slice ${i}`);
      const text = await tip.textContent() ?? "";
      assert.match(text, `machine${d.machine}`);
      assert.match(text, d.task);
      assert.match(text, `corecore ${d.core}`);
      assert.match(text, `0x${d.taskId.toString(16)}`);
      assert.match(text, /start[\d.]+ ms/);
      assert.match(text, /duration[\d.]+ (µs|ms)/);
      const ev = j.traceEvents.filter((e) => e.cat === "task")[i];  // the page's slice i is the JSON's i-th
      assert.is(d.task, ev.name);
      assert.is(d.core, ev.tid);
      assert.is(d.start, ev.ts);
    }
    await page.mouse.move(2, 2);
    assert.not.ok(await page.locator("#sview-tooltip").isVisible(), "the tooltip leaves with the mouse");
  } finally { await page.close(); }
});

test("zoom (button, wheel, keys) narrows the range; drag pans; 'all' restores it", async () => {
  const { page } = await open(toHtml(synthTrace({ cores: 2, seed: 6 })), "sview-zoom");
  try {
    const range = () => sv<{ t0: number; t1: number }>(page, "range");
    const all = await range();
    const n = await page.evaluate(() => (window as any).sview.sliceCount);
    await page.click("#zoom-in");
    const z = await range();
    assert.ok(Math.abs((z.t1 - z.t0) - (all.t1 - all.t0) / 2) < 1e-6, "the button halves the span");
    assert.ok((await sv<number>(page, "slicesDrawn")) < n, "fewer slices are visible");
    assert.match(await page.textContent("#range") ?? "", /ms/);
    const box = (await page.locator("#pane-tasks canvas").boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + 20);
    await page.mouse.wheel(0, -300);
    await page.waitForFunction((w) => { const r = (window as any).sview.range(); return r.t1 - r.t0 < w; }, z.t1 - z.t0);
    const w = await range();
    await page.mouse.move(box.x + box.width * 0.6, box.y + 20);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.3, box.y + 20, { steps: 4 });
    await page.mouse.up();
    const panned = await range();
    assert.ok(panned.t0 > w.t0, "dragging left moves the view later");
    assert.ok(Math.abs((panned.t1 - panned.t0) - (w.t1 - w.t0)) < 1e-6, "panning keeps the span");
    await page.click("#zoom-reset");
    assert.equal(await range(), all);
    assert.is(await sv<number>(page, "slicesDrawn"), n);
  } finally { await page.close(); }
});

test("names cannot break out of the embedded JSON", async () => {
  const raw = synthTrace({ cores: 2, seed: 2 });
  raw.machines[1] = "</script><script>window.pwned=1</script>";
  const { page, errors } = await open(toHtml(raw), "sview-escape");
  try {
    assert.is(await page.evaluate(() => (window as any).pwned), undefined);
    assert.match(await page.textContent("#legend") ?? "", "</script>");
    assert.equal(errors, []);
  } finally { await page.close(); }
});

test("10^5 slices: converts, embeds and draws every slice", async () => {
  const raw = synthTrace({ cores: 4, seed: 9, tasks: 75000 });
  const want = countRaw(raw, "task_begin") + countRaw(raw, "task_resume");
  assert.ok(want >= 100000, `${want} slices`);
  const { page } = await open(toHtml(raw), "sview-large");
  try {
    assert.is(await sv<number>(page, "slicesDrawn"), want);
    // The page's own CPU time (the renderer process's, from the DevTools protocol), not the wall
    // clock: on a busy machine the wall clock also counts the time other processes had the CPU.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
    const cpu = async () => (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "ProcessTime")!.value;
    const c0 = await cpu(), t0 = Date.now();
    await page.click("#zoom-out");
    await page.click("#zoom-reset");
    assert.is(await sv<number>(page, "slicesDrawn"), want);
    const used = await cpu() - c0;
    console.log(`  two redraws of ${want} slices: ${used.toFixed(2)} s of the page's CPU, ${((Date.now() - t0) / 1000).toFixed(2)} s wall`);
    assert.ok(used < 5, `two redraws of every slice take under 5 s of CPU (${used.toFixed(2)} s)`);
  } finally { await page.close(); fs.rmSync(path.join(ART, "sview-large.html"), { force: true }); }
});

test("close the browser", async () => { await browser?.close(); browser = null; });

test.run();
