// chrome.test.ts: RawTrace → Chrome trace-event JSON on synthetic traces (tests/trace/synth.ts):
// does every conversion validate, does every task_begin/task_resume become exactly one slice, are
// machines processes and cores threads, are lost events reported, do damaged rings still convert?

import { test } from "uvu";
import * as assert from "uvu/assert";
import { toChrome, validateChrome, CORES_PID, EVENTS, RawTrace } from "../../tools/trace/index";
import { usOf } from "../../tools/trace/chrome";
import { synthTrace, countRaw } from "./synth";

const ID = Object.fromEntries(EVENTS.events.map((e) => [e.name, e.id])) as Record<string, number>;
const ok = (j: unknown) => { const p = validateChrome(j); assert.equal(p, [], p.slice(0, 5).join("\n")); };

for (const cores of [2, 3, 4]) {
  test(`${cores} cores: the JSON validates and has one task slice per task_begin + task_resume`, () => {
    const raw = synthTrace({ cores, seed: 10 + cores });
    const j = toChrome(raw);
    ok(j);
    const slices = j.traceEvents.filter((e) => e.ph === "X" && e.cat === "task");
    assert.ok(countRaw(raw, "task_begin") > 20 && countRaw(raw, "task_resume") > 3, "the synthetic trace blocks and resumes");
    assert.is(slices.length, countRaw(raw, "task_begin") + countRaw(raw, "task_resume"));
    assert.is(slices.filter((s) => (s.args as any).end === "block").length, countRaw(raw, "task_block"));
    assert.ok(new Set(slices.map((s) => s.tid)).size === cores, "every core ran tasks");
  });
}

test("the same RawTrace converts to the same JSON", () => {
  assert.is(JSON.stringify(toChrome(synthTrace({ seed: 7 }))), JSON.stringify(toChrome(synthTrace({ seed: 7 }))));
});

test("machines are processes, cores are threads, names come from raw.machines and raw.fns", () => {
  const raw = synthTrace({ cores: 3, seed: 3 });
  const j = toChrome(raw);
  const meta = j.traceEvents.filter((e) => e.ph === "M");
  const pname = (pid: number) => (meta.find((e) => e.name === "process_name" && e.pid === pid)?.args as any)?.name;
  for (const [id, name] of Object.entries(raw.machines)) if (id !== "0") assert.is(pname(Number(id)), name);
  assert.is(pname(CORES_PID), "cores");
  for (const e of meta.filter((e) => e.name === "thread_name")) assert.is((e.args as any).name, `core ${e.tid}`);
  const s = j.traceEvents.find((e) => e.cat === "task")!;
  const a = s.args as any;
  assert.is(s.name, raw.fns[a.fn_index]);
  assert.is(a.machine, raw.machines[s.pid]);
  assert.is(a.core, s.tid);
  assert.type(a.task, "number");
});

test("timestamps are µs from the first event and read back as whole ns", () => {
  const raw = synthTrace({ cores: 2, seed: 5 });
  const j = toChrome(raw);
  const first = Math.min(...raw.perCore.map((pc) => pc.events[0].ts));
  assert.is(j.otherData.origin_ns, first);
  const begin = raw.perCore[0].events.find((e) => e.type === ID.task_begin)!;
  const end = raw.perCore[0].events.find((e) => e.ts > begin.ts && (e.type === ID.task_end || e.type === ID.task_block))!;
  const s = j.traceEvents.find((e) => e.cat === "task" && e.tid === 0)!;
  assert.is(Math.trunc(s.ts * 1000), begin.ts - first);          // as Perfetto reads it: exact ns
  assert.is(Math.trunc(s.dur! * 1000), end.ts - begin.ts);
  assert.ok(Math.abs(s.ts - (begin.ts - first) / 1000) < 1e-9);
});

test("IMS: one flow start and one bound finish per signal, each on a 0-length marker slice", () => {
  const raw = synthTrace({ cores: 4, seed: 2 });
  const j = toChrome(raw);
  const s = j.traceEvents.filter((e) => e.ph === "s"), f = j.traceEvents.filter((e) => e.ph === "f");
  assert.is(s.length, countRaw(raw, "ims_send"));
  assert.is(f.length, countRaw(raw, "ims_recv"));
  for (const e of f) assert.is(e.bp, "e");
  for (const e of [...s, ...f])                                    // Perfetto binds a flow to an enclosing slice
    assert.ok(j.traceEvents.some((x) => x.ph === "X" && x.cat === "ims" && x.pid === e.pid && x.tid === e.tid && x.ts === e.ts), `marker for flow ${e.id}`);
});

test("load, queued and cores are counter tracks per machine; switches, grants are instants", () => {
  const raw = synthTrace({ cores: 3, seed: 4 });
  const j = toChrome(raw);
  for (const id of [1, 2, 3]) for (const name of ["load", "cores", "queued"])
    assert.ok(j.traceEvents.some((e) => e.ph === "C" && e.pid === id && e.name === name), `${name} of machine ${id}`);
  assert.is(j.traceEvents.filter((e) => e.ph === "i" && e.cat === "switch").length, countRaw(raw, "machine_switch"));
  assert.is(j.traceEvents.filter((e) => e.ph === "i" && e.name === "core_grant").length, countRaw(raw, "core_grant"));
  assert.ok(j.traceEvents.some((e) => e.ph === "X" && e.cat === "core" && e.pid === CORES_PID), "assignment bands");
  const sum = j.otherData.summary.machines;
  assert.is(sum.reduce((n, m) => n + m.tasksRun, 0), countRaw(raw, "task_begin"));
  assert.is(sum.reduce((n, m) => n + m.imsSent, 0), countRaw(raw, "ims_send"));
  assert.is(sum.reduce((n, m) => n + m.grants, 0), countRaw(raw, "core_grant"));
});

test("lost events are reported per core, in otherData and as an instant on the core", () => {
  const j = toChrome(synthTrace({ cores: 3, seed: 1, lost: [0, 17, 0] }));
  ok(j);
  assert.equal(j.otherData.aam_lost, { 0: 0, 1: 17, 2: 0 });
  assert.equal(j.otherData.summary.cores.map((c) => c.lost), [0, 17, 0]);
  const marks = j.traceEvents.filter((e) => e.name.startsWith("events lost"));
  assert.is(marks.length, 1);
  assert.is(marks[0].tid, 1);
  assert.is((marks[0].args as any).lost, 17);
});

test("a damaged ring (start lost, end lost, unknown type) still converts to valid JSON, flagged", () => {
  const raw: RawTrace = {
    format: "aam-raw-trace/1", host: "qemu", cores: 1, machines: { 0: "idle", 1: "app" }, fns: { 4: "f" },
    perCore: [{ core: 0, lost: 2, events: [
      { ts: 1000, type: ID.task_end, a: 1, b: 4, c: 64, d: 0 },       // its begin was overwritten
      { ts: 2000, type: ID.task_begin, a: 1, b: 4, c: 128, d: 0 },
      { ts: 3000, type: ID.task_begin, a: 1, b: 4, c: 192, d: 0 },    // the previous end is missing
      { ts: 3500, type: 99, a: 0, b: 0, c: 0, d: 0 },
      { ts: 4000, type: ID.machine_switch, a: 1, b: 0, c: 0, d: 0 },
    ] }],
  };
  const j = toChrome(raw);
  ok(j);
  const how = j.traceEvents.filter((e) => e.cat === "task").map((e) => `${(e.args as any).start}→${(e.args as any).end}`);
  assert.equal(how, ["truncated→end", "begin→unclosed", "begin→unfinished"]);
  assert.is(j.otherData.unknown_events, 1);
  assert.ok(j.traceEvents.some((e) => e.name === "unknown event 99"));
  assert.is(j.traceEvents.filter((e) => e.cat === "core").length, 1, "core 0 served app until the switch");
});

test("an IMS whose other end was lost on a full ring keeps its marker but draws no arrow; the paired one keeps its arrow", () => {
  const raw: RawTrace = {
    format: "aam-raw-trace/1", host: "node", cores: 2, machines: { 0: "idle", 1: "a", 2: "b" }, fns: {},
    perCore: [
      { core: 0, lost: 0, events: [
        { ts: 1000, type: ID.ims_send, a: 1, b: 2, c: 5, d: 7 },       // its recv was lost
        { ts: 2000, type: ID.ims_send, a: 1, b: 2, c: 5, d: 8 } ] },
      { core: 1, lost: 3, events: [
        { ts: 2500, type: ID.ims_recv, a: 2, b: 1, c: 5, d: 8 },
        { ts: 3000, type: ID.ims_recv, a: 2, b: 1, c: 5, d: 9 } ] },   // its send was lost
    ],
  };
  const j = toChrome(raw);
  ok(j);
  assert.equal(j.traceEvents.filter((e) => e.ph === "s" || e.ph === "f").map((e) => `${e.ph}${e.id}`), ["s8", "f8"]);
  assert.is(j.traceEvents.filter((e) => e.cat === "ims" && e.ph === "X").length, 4);
  assert.is(j.otherData.unpaired_flows, 2);
});

test("usOf: every ns value reads back exactly as trunc(v * 1000)", () => {
  for (let n = 0; n < 200000; n += 7) assert.is(Math.trunc(usOf(n) * 1000), n);
  for (const n of [110573, 225783, 2 ** 40 + 3]) { assert.is(Math.trunc(usOf(n) * 1000), n); assert.ok(usOf(n) - n / 1000 < 1e-9 * Math.max(1, n / 1e6)); }
});

test("an empty trace converts and validates", () => {
  const j = toChrome({ format: "aam-raw-trace/1", host: "node", cores: 2, machines: {}, fns: {}, perCore: [] });
  ok(j);
  assert.is(j.traceEvents.length, 0);
});

test.run();
