// validate.test.ts: does validateChrome catch each class of broken trace? One test per class,
// each breaking one event of an otherwise valid converted trace and looking for the problem.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { toChrome, validateChrome, ChromeTrace, ChromeEvent } from "../../tools/trace/index";
import { synthTrace } from "./synth";

const fresh = (): ChromeTrace => toChrome(synthTrace({ cores: 3, seed: 21 }));
const find = (j: ChromeTrace, f: (e: ChromeEvent) => boolean) => { const i = j.traceEvents.findIndex(f); assert.ok(i >= 0); return i; };
const expectProblem = (j: ChromeTrace, re: RegExp) => {
  const p = validateChrome(j);
  assert.ok(p.some((s) => re.test(s)), `expected a problem matching ${re}, got:\n${p.join("\n") || "(none)"}`);
};

test("the unbroken trace is valid", () => assert.equal(validateChrome(fresh()), []));

test("unbalanced: a B that never ends", () => {
  const j = fresh();
  const last = j.traceEvents[j.traceEvents.length - 1];
  j.traceEvents.push({ name: "open", ph: "B", ts: last.ts, pid: 1, tid: 0 });
  expectProblem(j, /never ended/);
});

test("unbalanced: an E without a B", () => {
  const j = fresh();
  j.traceEvents.push({ name: "close", ph: "E", ts: j.traceEvents[j.traceEvents.length - 1].ts, pid: 2, tid: 1 });
  expectProblem(j, /E without an open B/);
});

test("balanced B/E pairs on one (pid, tid) pass", () => {
  const j = fresh();
  const t = j.traceEvents[j.traceEvents.length - 1].ts;
  j.traceEvents.push({ name: "a", ph: "B", ts: t, pid: 7, tid: 0 }, { name: "b", ph: "B", ts: t, pid: 7, tid: 0 },
    { name: "b", ph: "E", ts: t + 1, pid: 7, tid: 0 }, { name: "a", ph: "E", ts: t + 2, pid: 7, tid: 0 });
  assert.equal(validateChrome(j), []);
});

test("malformed X: negative or missing dur", () => {
  const j = fresh();
  const i = find(j, (e) => e.cat === "task");
  j.traceEvents[i].dur = -1;
  expectProblem(j, /X needs dur/);
  delete j.traceEvents[i].dur;
  expectProblem(j, /X needs dur/);
});

test("badly nested: an X slice that ends past its enclosing slice", () => {
  const j = fresh();
  const i = find(j, (e) => e.cat === "task" && (e.dur ?? 0) > 2);
  const t = j.traceEvents[i];
  j.traceEvents.splice(i + 1, 0, { ...t, name: "child", ts: t.ts + 1, dur: t.dur! });
  expectProblem(j, /X overlaps the end of its enclosing slice/);
});

test("unbound flow: a flow start outside every slice of its thread", () => {
  const j = fresh();
  const t = j.traceEvents[j.traceEvents.length - 1].ts;
  j.traceEvents.push({ name: "ims", cat: "ims", ph: "s", id: 999, ts: t, pid: 1, tid: 9 },   // tid 9 has no slices
    { name: "ims", cat: "ims", ph: "f", bp: "e", id: 999, ts: t, pid: 1, tid: 9 });
  expectProblem(j, /flow 999 has no enclosing slice on pid 1 tid 9/);
});

test("non-monotonic: a core's timestamps go back", () => {
  const j = fresh();
  const i = find(j, (e, ) => e.cat === "task" && e.ts > 10);
  j.traceEvents[i].ts = 0.001;
  expectProblem(j, /goes back on tid/);
});

test("missing field: ts, name, pid, tid", () => {
  for (const field of ["ts", "name", "pid", "tid"] as const) {
    const j = fresh();
    delete (j.traceEvents[find(j, (e) => e.cat === "task")] as any)[field];
    expectProblem(j, new RegExp(`missing ${field}`));
  }
});

test("missing field: a flow event without id", () => {
  const j = fresh();
  delete j.traceEvents[find(j, (e) => e.ph === "s")].id;
  expectProblem(j, /flow without id/);
});

test("unpaired flow: a start without finish, and a finish without start", () => {
  const j = fresh();
  const f = j.traceEvents[find(j, (e) => e.ph === "f")];
  j.traceEvents.splice(j.traceEvents.indexOf(f), 1);
  expectProblem(j, new RegExp(`flow ims:${f.id}: 1 start\\(s\\), 0 finish`));
  const k = fresh();
  const s = k.traceEvents[find(k, (e) => e.ph === "s")];
  k.traceEvents.splice(k.traceEvents.indexOf(s), 1);
  expectProblem(k, new RegExp(`flow ims:${s.id}: 0 start\\(s\\), 1 finish`));
});

test("unpaired flow: a finish before its start", () => {
  const j = fresh();
  const s = j.traceEvents[find(j, (e) => e.ph === "s" && e.ts > 1)];
  const f = j.traceEvents.find((e) => e.ph === "f" && e.id === s.id)!;
  j.traceEvents.splice(j.traceEvents.indexOf(f), 1);
  j.traceEvents.splice(0, 0, { ...f, ts: 0 });
  expectProblem(j, /finishes at 0 before it starts/);
});

test("counters must be numbers", () => {
  const j = fresh();
  (j.traceEvents[find(j, (e) => e.ph === "C" && e.name === "load")].args as any).utilisation = "high";
  expectProblem(j, /counter utilisation is not a number/);
  const k = fresh();
  (k.traceEvents[find(k, (e) => e.ph === "C" && e.name === "cores")].args as any).assigned = NaN;
  expectProblem(k, /counter assigned is not a number/);
});

test("unknown phases and metadata names, and non-traces", () => {
  const j = fresh();
  j.traceEvents.push({ name: "x", ph: "Q", ts: 1e9, pid: 1, tid: 0 });
  j.traceEvents.push({ name: "machine_colour", ph: "M", ts: 0, pid: 1, tid: 0, args: {} });
  expectProblem(j, /unknown phase "Q"/);
  expectProblem(j, /unknown metadata machine_colour/);
  assert.equal(validateChrome({}), ["no traceEvents array"]);
  assert.equal(validateChrome([]), []);                           // the bare-array form is allowed
});

test.run();
