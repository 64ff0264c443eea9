// The framework on the Node host: tasks, stealing, lazy contexts, futures, signals, on 1–4 cores,
// in the default configuration and with capacities shrunk to reach the edge cases.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image, prebuild, fields, statsTable } from "../lib/aam.mjs";

const P = (n) => `tests/sched/programs/${n}.ts`;
const SMALL = { AAM_RING_SLOTS: "4", AAM_CTX_SIZE: "1024" };

const img = (name, small) => image(P(name), small ? { defines: SMALL } : {});

test.before(() => prebuild([
  ...["noop", "chain", "steal", "pingpong"].flatMap((n) => [[P(n)], [P(n), { defines: SMALL }]]),
  ["examples/fib.ts"], ["examples/fib.ts", { defines: SMALL }], [P("steal"), { defines: { AAM_STEAL: "0" } }],
  [P("misuse")], ["examples/tasks.ts"], [P("task_trap")], [P("root_trap")],
]));

for (const small of [false, true]) {
  const cfg = small ? " [4-slot rings, 1 KiB contexts]" : "";

  test(`10^6 no-op tasks spawned from every core each complete exactly once, count and checksum match, memory returns to its start${cfg}`, async () => {
    const r = await aam(["run", await img("noop", small), "--cores", "4", "--", small ? "300000" : "1000000"]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const f = fields(r.stdout);
    assert.is(f.wrong, 0);
    assert.is(f.once, small ? 300000 : 1000000);
    assert.is(f["bad checksum"], 0);
    assert.is(f.leaked, 0);
    for (let c = 0; c < 4; c++) assert.ok(f[`spawned${c}`] > 0, `core ${c} spawned nothing: ${r.stdout}`);
  });

  for (const cores of [1, 2, 4]) {
    test(`fib(25) by fork-join tasks is 75025 on ${cores} core(s)${cfg}`, async () => {
      const args = ["run", await image("examples/fib.ts", small ? { defines: SMALL } : {}), "--cores", String(cores), "--", "25"];
      const r = await aam(args);
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stdout, "fib(25) = 75025");
      for (let c = 0; c < cores; c++) assert.match(r.stdout, new RegExp(`core ${c}: tasks run [1-9]`));
    });
  }

  test(`blocking chains: tasks wait on futures completed on other cores, resume elsewhere, peak contexts <= peak blocked + cores${cfg}`, async () => {
    const r = await aam(["run", await img("chain", small), "--cores", "4", "--stats", "--", "2000", "5"]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const f = fields(r.stdout);
    assert.match(r.stdout, "result ok");
    assert.ok(f.migrated > 0, "no task resumed on another core than it blocked on");
    assert.ok(f["contexts peak"] <= f["blocked peak"] + 4, r.stdout);
    assert.ok(f["blocked peak"] > 1, r.stdout);
    assert.is(f.leaked, 0);
    const { rows, summary } = statsTable(r.stderr);
    const allocs = rows.reduce((a, x) => a + x["ctx alloc"], 0), frees = rows.reduce((a, x) => a + x["ctx free"], 0);
    assert.is(allocs, frees, "every context allocated was freed");
    assert.is(summary.contextsInUse, 0);
    assert.ok(summary.contextsPeak <= summary.blockedPeak + 4);
  });

  test(`work stealing: everything spawned by one task on one core, every core runs a share, all complete${cfg}`, async () => {
    const r = await aam(["run", await img("steal", small), "--cores", "4", "--stats", "--", small ? "20000" : "100000"]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const f = fields(r.stdout);
    assert.is(f.total, small ? 20000 : 100000);
    for (let c = 0; c < 4; c++) assert.ok(f[`core${c}`] > 0, `core ${c} ran nothing: ${r.stdout}`);
    const { rows } = statsTable(r.stderr);
    // With 4-slot rings nearly everything overflows to the shared inject list, so the other cores
    // may get all their work from there without a single steal.
    if (!small) assert.ok(rows.reduce((a, x) => a + x.stolen, 0) > 0, "no steals counted");
  });

  test(`10^6 signal/wait pairs across cores with no lost wake-up (the run finishes, counts match)${cfg}`, async () => {
    const r = await aam(["run", await img("pingpong", small), "--cores", small ? "2" : "4", "--", "4", small ? "50000" : "125000"], { timeoutMs: 180000 });
    assert.is(r.code, 0, r.stdout + r.stderr);
    const f = fields(r.stdout);
    assert.is(f.waits, f.expected);
    assert.is(f["leftover units"], 0);
    assert.is(fields(r.stderr).leaked, 0, r.stderr);
  });
}

test("with stealing switched off (AAM_STEAL=0) no core steals; work still completes", async () => {
  const r = await aam(["run", await image(P("steal"), { defines: { AAM_STEAL: "0" } }), "--cores", "4", "--stats", "--", "20000"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(fields(r.stdout).total, 20000);
  const { rows } = statsTable(r.stderr);
  for (const row of rows) assert.is(row.stolen, 0);
});

test("--stats reports tasks run, stolen, contexts allocated and in use, parks per core", async () => {
  const r = await aam(["run", await image("examples/fib.ts"), "--cores", "2", "--stats", "--", "18"]);
  assert.is(r.code, 0, r.stderr);
  const { rows, summary } = statsTable(r.stderr);
  assert.is(rows.length, 2);
  for (const k of ["tasks run", "stolen", "ctx alloc", "ctx free", "parks", "blocked"]) assert.ok(k in rows[0], k);
  assert.ok(rows[0]["tasks run"] + rows[1]["tasks run"] > 4000);
  assert.ok(summary.contextsPeak > 0 && summary.blockedPeak > 0, JSON.stringify(summary));
  assert.is(summary.contextsInUse, 0);
});

test("a blocking call outside a task is refused with a clear message", async () => {
  const r = await aam(["run", await image(P("misuse")), "--cores", "2"]);
  assert.is(r.code, 70);
  assert.match(r.stderr, "suspend: not inside a task");
});

test("the example of docs/TASKS.md runs and prints what the document says", async () => {
  const r = await aam(["run", await image("examples/tasks.ts"), "--cores", "2"]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, "sum 25, squared 625\n");
});

test("a trapping task fails its future (reported on stderr), the other tasks complete and the system goes on", async () => {
  const r = await aam(["run", await image(P("task_trap")), "--cores", "2"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, "ok 108 failed 12");
  const reports = r.stderr.split("\n").filter((l) => l.startsWith("aam: task trapped on core "));
  assert.is(reports.length, 12, r.stderr);
  assert.match(r.stderr, "in work (machine main): unreachable (the task fails");
  assert.match(r.stderr, "task gave up (tests/sched/programs/task_trap.ts:9:");
});

test("a trap in the root task (main) ends the system with status 70", async () => {
  const r = await aam(["run", await image(P("root_trap")), "--cores", "2"], { timeoutMs: 30000 });
  assert.is(r.code, 70, r.stderr);
  assert.match(r.stderr, "task trapped on core");
});

test.run();
