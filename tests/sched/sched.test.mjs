// The framework on the Node host: tasks, stealing, lazy contexts, futures, signals, on 1–4 cores,
// in the default configuration, with capacities shrunk to reach the edge cases, and the programs
// that take locks once more as a --debug build (invariant checks compiled in, nothing inlined)
// with the shrunk capacities: noop, steal (rings, the inject list's lock), chain (contexts, futures),
// pingpong (the signal's lock).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image, prebuild, fields, statsTable, before } from "../lib/aam.mjs";

const P = (n) => `tests/sched/programs/${n}.ts`;
const SMALL = { AAM_RING_SLOTS: "4", AAM_CTX_SIZE: "1024" };
const CONFIGS = [
  { name: "", opts: {} },
  { name: " [4-slot rings, 1 KiB contexts]", opts: { defines: SMALL }, small: true },
  { name: " [--debug, 4-slot rings, 1 KiB contexts]", opts: { debug: true, defines: SMALL }, small: true, debug: true },
];

before(test, () => prebuild([
  ...["noop", "chain", "steal", "pingpong"].flatMap((n) => CONFIGS.map((c) => [P(n), c.opts])),
  ...CONFIGS.filter((c) => !c.debug).map((c) => ["examples/fib.ts", c.opts]), [P("steal"), { defines: { AAM_STEAL: "0" } }],
  [P("misuse")], ["examples/tasks.ts"], [P("task_trap")], [P("root_trap")],
]));

for (const { name: cfg, opts, small, debug } of CONFIGS) {
  const img = (name) => image(P(name), opts);

  test(`10^6 no-op tasks spawned from every core each complete exactly once, count and checksum match, memory returns to its start${cfg}`, async () => {
    const r = await aam(["run", await img("noop"), "--cores", "4", "--", small ? "300000" : "1000000"]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const f = fields(r.stdout);
    assert.is(f.wrong, 0);
    assert.is(f.once, small ? 300000 : 1000000);
    assert.is(f["bad checksum"], 0);
    assert.is(f.leaked, 0);
    for (let c = 0; c < 4; c++) assert.ok(f[`spawned${c}`] > 0, `core ${c} spawned nothing: ${r.stdout}`);
  });

  // Which core runs how many tasks is up to the scheduler and, on a busy host, the OS (a core may
  // get no CPU for the whole run); the counts of spawns, runs and resumes are not. That every core
  // gets work is the stealing test's, made certain there.
  if (!debug) for (const cores of [1, 2, 4]) {
    test(`fib(25) by fork-join tasks is 75025 on ${cores} core(s): fib(26) + 1 tasks spawned, each run once plus once per block${cfg}`, async () => {
      const args = ["run", await image("examples/fib.ts", opts), "--cores", String(cores), "--stats", "--", "25"];
      const r = await aam(args);
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stdout, "fib(25) = 75025");
      for (let c = 0; c < cores; c++) assert.match(r.stdout, new RegExp(`core ${c}: tasks run \\d+`));
      const { rows, summary } = statsTable(r.stderr);
      assert.is(rows.length, cores);
      const sum = (k) => rows.reduce((a, x) => a + x[k], 0);
      assert.is(sum("spawned"), 121393 + 1, "fib(n) spawns fib(n+1) - 1 tasks; main spawns the first, boot spawns main");
      assert.is(sum("tasks run"), sum("spawned") + sum("blocked"), "a dispatch is a task's first run or a resume after a block");
      assert.is(sum("ctx alloc"), sum("ctx free"));
      assert.is(summary.contextsInUse, 0);
    });
  }

  test(`blocking chains: tasks wait on futures completed on other cores, resume elsewhere, peak contexts <= peak blocked + cores${cfg}`, async () => {
    const r = await aam(["run", await img("chain"), "--cores", "4", "--stats", "--", "2000", "5"]);
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

  // Deterministic on a busy host: the program makes each other core steal its first task before
  // the rest is spawned and holds every core's first task until all have one (steal.ts steps 1–3).
  test(`work stealing: everything spawned by one task on one core, every other core steals, every core runs a share, all complete${cfg}`, async () => {
    const r = await aam(["run", await img("steal"), "--cores", "4", "--stats", "--", small ? "20000" : "100000"]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const f = fields(r.stdout);
    assert.is(f.total, small ? 20000 : 100000);
    assert.is(f.hung, 0, r.stdout);
    for (let c = 0; c < 4; c++) assert.ok(f[`core${c}`] > 0, `core ${c} ran nothing: ${r.stdout}`);
    const { rows } = statsTable(r.stderr);
    for (const row of rows) if (row.core !== f.producer) assert.ok(row.stolen > 0, `core ${row.core} stole nothing:\n${r.stdout}${r.stderr}`);
  });

  test(`10^6 signal/wait pairs across cores with no lost wake-up (the run finishes, counts match)${cfg}`, async () => {
    const r = await aam(["run", await img("pingpong"), "--cores", small ? "2" : "4", "--", "4", small ? "50000" : "125000"]);
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
  const r = await aam(["run", await image(P("root_trap")), "--cores", "2"]);
  assert.is(r.code, 70, r.stderr);
  // main fails as any task does, with its report, then the system ends (ARCHITECTURE §10)
  assert.match(r.stderr, /^aam: task trapped on core \d+ in main \(machine main\): .*\(main failed: the system ends with status 70\)$/m);
});

test.run();
