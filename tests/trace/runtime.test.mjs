// runtime.test.mjs: the runtime side of tracing on the Node host: the stall detector, the flight
// recorder, and that an image built without --trace carries no trace code at all.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import binaryen from "binaryen";
import { createRequire } from "node:module";
import { aam, image, prebuild, statsTable, before } from "../lib/aam.mjs";

const require = createRequire(import.meta.url);
require("esbuild-register/dist/node").register({ target: "node20" });
const { validateChrome } = require("../../tools/trace/index.ts");

before(test, () => prebuild([["tests/trace/programs/stall.ts"], ["tests/trace/programs/crash.ts"], ["tests/trace/programs/crash.ts", { trace: true }],
  ["tests/trace/programs/exitbusy.ts", { trace: true, debug: true }], ["examples/pipeline.ts", { trace: true, defines: { AAM_TRACE_SLOTS: "128" } }]]));

const STALL = /^aam: stall: task 0x[0-9a-f]+ \((\S+)\) of machine (\S+) has run on core (\d+) for (\d+) ms$/gm;
// stall.ts prints how long each task ran (two long ones, two short ones) and the gaps between the
// detector's reports as its own record of them says (µs).
const RAN = /long task done ok; ran (\d+) (\d+) (\d+) (\d+) ms; reports seen (\d+), gaps(( \d+ us)*)$/m;
function ran(stdout) {
  const m = RAN.exec(stdout);
  assert.ok(m, stdout);
  return { long: [+m[1], +m[2]], short: [+m[3], +m[4]], seen: +m[5], gaps: [...m[6].matchAll(/\d+/g)].map(Number) };
}

// The long tasks run until the detector has reported them (stall.ts), so a report is certain
// however late the host runs the core that ticks. A short task is reported only if it was itself
// kept off its core for the threshold (its measured run time says so): on an idle host never.
test("a task running well past a 300 ms stall threshold (1.2 s, and until reported) is reported once, with its function, machine and core; short tasks are not", async () => {
  const r = await aam(["run", await image("tests/trace/programs/stall.ts"), "--cores", "2", "--", "1200"], { env: { AAM_STALL_MS: "300" } });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const t = ran(r.stdout);
  const reports = [...r.stderr.matchAll(STALL)];
  const slowShort = t.short.filter((ms) => ms >= 300).length;
  if (slowShort === 0) assert.is(reports.length, 1, r.stderr);   // four thresholds long, one report
  else assert.ok(reports.length >= 1 && reports.length <= 1 + slowShort, r.stdout + r.stderr);
  const [, fn, machine, core, ms] = reports[0];
  assert.is(fn, "long");
  assert.is(machine, "main");
  assert.ok(Number(core) === 0 || Number(core) === 1);
  assert.ok(Number(ms) >= 300 && Number(ms) <= t.long[0], `${ms} ms reported of a task that ran ${t.long[0]} ms`);
  assert.is(t.seen, 1, r.stdout);
});

// Three cores: the detector runs at a tick, which only a core between tasks takes (runtime/machine/stall.ts).
// The rate limit is checked on the detector's own report times: the "has run for" figures alone
// would also measure how far apart the host started the two tasks.
test("two tasks stalling at once on 2 of 3 cores: each is reported, one second apart at least (the system-wide rate limit delays, never drops)", async () => {
  const r = await aam(["run", await image("tests/trace/programs/stall.ts"), "--cores", "3", "--", "1800", "2"], { env: { AAM_STALL_MS: "200" } });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const reports = [...r.stderr.matchAll(STALL)];
  assert.is(reports.length, 2, r.stderr);
  assert.not.equal(reports[0][3], reports[1][3]);          // different cores
  const t = ran(r.stdout);
  assert.is(t.seen, 2, r.stdout);
  assert.ok(t.gaps[0] >= 1e6, `reports ${t.gaps[0]} us apart:\n${r.stdout}${r.stderr}`);
});

test("with AAM_STALL_MS=0 the stall detector is off: the same long task is not reported", async () => {
  const r = await aam(["run", await image("tests/trace/programs/stall.ts"), "--cores", "2", "--", "600", "1", "nowait"], { env: { AAM_STALL_MS: "0" } });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is([...r.stderr.matchAll(STALL)].length, 0, r.stderr);
  assert.ok(ran(r.stdout).long[0] >= 600, r.stdout);
});

test("a trapping task in a --trace build prints the flight recorder after the trap report: every core's last events, up to the trapping task's begin", async () => {
  const r = await aam(["run", await image("tests/trace/programs/crash.ts", { trace: true }), "--cores", "2"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, "sum 380 failed 1");
  const at = r.stderr.indexOf("aam: task trapped");
  const fr = r.stderr.indexOf("aam: flight recorder");
  assert.ok(at >= 0 && fr > at, r.stderr);
  const rec = r.stderr.slice(fr);
  assert.match(rec, /^  core 0:/m);
  assert.match(rec, /^  core 1:/m);
  const core = /in explode \(machine main\)/.test(r.stderr) ? /trapped on core (\d+)/.exec(r.stderr)[1] : null;
  assert.ok(core !== null, r.stderr);
  const section = rec.split(/^  core \d+:/m)[Number(core) + 1];
  const lines = section.trim().split("\n").map((l) => l.trim());
  const begin = lines.findIndex((l) => /task_begin\s+machine=main fn=explode task=0x[0-9a-f]+$/.test(l));
  assert.ok(begin >= 0, section);
  assert.match(rec, / fn=work /);             // what led to it (on whichever core ran the work tasks)
  // after it at most the trap itself, as the core records it while resuming
  for (const l of lines.slice(begin + 1)) assert.ok(!/task_begin/.test(l), section);
});

test("five task traps: the flight recorder follows the first three, then one line says the rest are not shown; each trap is still reported", async () => {
  const r = await aam(["run", await image("tests/trace/programs/crash.ts", { trace: true }), "--cores", "2", "--", "5"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, "sum 380 failed 5");
  assert.is(r.stderr.match(/^aam: task trapped/gm)?.length, 5, r.stderr);
  assert.is(r.stderr.match(/^aam: flight recorder: the last/gm)?.length, 3, r.stderr);
  assert.is(r.stderr.match(/^aam: flight recorder: shown for the first 3 task traps only$/gm)?.length, 1, r.stderr);
});

test("without --trace the flight recorder is not printed (no rings to read), and the trap report is unchanged", async () => {
  const r = await aam(["run", await image("tests/trace/programs/crash.ts"), "--cores", "2"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, "aam: task trapped");
  assert.not.match(r.stderr, "flight recorder");
});

function functionNames(file) {
  const mod = binaryen.readBinary(fs.readFileSync(file));
  try {
    const names = [];
    for (let i = 0; i < mod.getNumFunctions(); i++) names.push(binaryen.getFunctionInfo(mod.getFunctionByIndex(i)).name);
    return names;
  } finally { mod.dispose(); }
}

// exitbusy is a --debug build: the runtime's invariant checks (if (DEBUG) assert) run in these two.
test("the system exits while another core runs a task: the trace still has every task run (--stats), the running one included, nothing lost; it validates", async () => {
  const out = "build/test-images/exitbusy.trace.json";
  const r = await aam(["trace", await image("tests/trace/programs/exitbusy.ts", { trace: true, debug: true }), "--cores", "2", "--stats", "-o", out]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, "sum 45150 spinning");
  assert.match(r.stderr, /events from 2 cores, none lost/);
  const chrome = JSON.parse(fs.readFileSync(out, "utf8"));
  const problems = validateChrome(chrome);
  assert.equal(problems, [], problems.slice(0, 5).join("\n"));
  const slices = chrome.traceEvents.filter((e) => e.cat === "task");
  // a slice per dispatch, and one more per inline join: the joiner's slice ends (blocked) while
  // the task it joins runs on its stack, and goes on (resumed) after it
  const run = statsTable(r.stderr).rows.reduce((n, row) => n + row["tasks run"] + row.inline, 0);
  assert.is(slices.length, run);
  assert.ok(slices.some((e) => e.name === "spin"), "the task running at exit has its slice");
  assert.is(slices.filter((e) => e.name === "quick").length, 300);
});

test("main failing (a bad free) while another core runs a task: a fatal end, the flight recorder, printed once every core has stopped, ends that core with the running task's begin", async () => {
  const r = await aam(["run", await image("tests/trace/programs/exitbusy.ts", { trace: true, debug: true }), "--cores", "2", "--", "trap"]);
  assert.is(r.code, 70, r.stdout + r.stderr);
  assert.match(r.stdout, "sum 45150 spinning");
  const m = /aam: task trapped on core (\d) in main \(machine main\): heap: free of a pointer outside the heap: 0x40004 \(main failed/.exec(r.stderr);
  assert.ok(m, r.stderr);
  const fr = r.stderr.indexOf("aam: flight recorder");
  assert.ok(fr > m.index, r.stderr);
  const other = 1 - Number(m[1]);
  const section = r.stderr.slice(fr).split(/^  core \d+:/m)[other + 1].trim().split("\n");
  assert.match(section[section.length - 1], /task_begin\s+machine=main fn=spin task=0x[0-9a-f]+$/, section.join("\n"));
});

test("128-slot rings on the Node host wrap again and again, full records across the end included: the trace decodes and validates, every slice is a real task, each loss is counted", async () => {
  const out = "build/test-images/pipeline-128.trace.json";
  const r = await aam(["trace", await image("examples/pipeline.ts", { trace: true, defines: { AAM_TRACE_SLOTS: "128" } }), "--cores", "2", "--stats", "-o", out, "--", "2000", "50"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, "items 2000 sum ok");
  const chrome = JSON.parse(fs.readFileSync(out, "utf8"));
  const problems = validateChrome(chrome);
  assert.equal(problems, [], problems.slice(0, 5).join("\n"));
  const slices = chrome.traceEvents.filter((e) => e.cat === "task");
  const names = new Set(slices.map((e) => e.name));
  const fns = new Set(Object.values(chrome.otherData.fns));       // the image's task functions
  for (const n of names) assert.ok(fns.has(n), `slice named ${n}: a record decoded wrong`);
  for (const n of ["produce", "transform", "sink"]) assert.ok(names.has(n), n);
  const lost = Object.values(chrome.otherData.aam_lost).reduce((a, b) => a + b, 0);
  const run = statsTable(r.stderr).rows.reduce((n, row) => n + row["tasks run"], 0);
  console.log(`  128-slot rings: ${slices.length} of ${run} slices, ${lost} records lost`);
  assert.ok(slices.length <= run && slices.length + lost >= run, `slices ${slices.length} + lost ${lost} account for ${run}`);
  assert.ok(lost > 0, "a 128-slot ring overflows between two 2 ms drains");
  assert.match(r.stderr, new RegExp(`${lost} LOST: ring full; raise --define AAM_TRACE_SLOTS`));
  assert.equal(new Set(slices.map((e) => e.tid)).size, 2, "both cores' rings came through");
});

test("an image built without --trace contains no trace code: no trace function, no trace ring in the manifest; the --trace build of the same program has both", async () => {
  const plain = await image("tests/trace/programs/crash.ts");
  const traced = await image("tests/trace/programs/crash.ts", { trace: true });
  const mp = JSON.parse(fs.readFileSync(plain + ".json", "utf8"));
  const mt = JSON.parse(fs.readFileSync(traced + ".json", "utf8"));
  assert.is(mp.trace, undefined);
  assert.ok(mt.trace && mt.trace.slotSize === 8, JSON.stringify(mt.trace));
  // runtime/sys/trace.ts is ~lib/aam/sys/trace; machine-layer helpers are named trace…
  const tracing = (names) => names.filter((n) => /^~lib\/aam\/sys\/trace\/|\/trace(Open|Close|Flow|Flush|CoreInit|Sync|Monitor)?$/.test(n));
  assert.equal(tracing(functionNames(plain)), []);
  assert.ok(tracing(functionNames(traced)).length > 0, functionNames(traced).join(" "));
  assert.ok(fs.statSync(traced).size > fs.statSync(plain).size);
});

test.run();
