// `aam bench --quick`: the harness runs end to end and its JSON has the shape issue 6 fixes, with
// numbers in every row. Performance is never asserted here (`make bench` measures; see
// docs/BENCHMARKS.md). Not: the QEMU host (minutes under TCG; `aam bench --host qemu`).
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { aam, ROOT, HANG_MS, before } from "../lib/aam.mjs";

const STATS = ["mean", "sd", "median", "p99", "n"];
const ROWS = ["local_task", "call_app", "call_os"];
const BASELINES = ["thread_switch", "process_switch", "gettid", "pthread_create", "microtask_rt", "microtask_batch", "promise_await",
  "post_message_rt", "atomics_rt", "c_spin_rt", "piscina_rt", "wasm_spin_rt", "atomics_gap_2w", "atomics_gap_1w", "atomics_parked_2w", "atomics_parked_1w"];
// Interleaved with Table 1 in every round (issue 15's fair benchmark); --quick runs 3 rounds.
const ROUND_IDS = ["call_app/active", "call_app/idle", "call_app/parked", "call_os/active", "local_task/active", "wasm_spin_rt", "atomics_gap_2w", "atomics_gap_1w",
  "atomics_parked_2w", "atomics_parked_1w", "microtask_rt", "local_task/active/batch", "microtask_batch"];

function isStats(s, what) {
  assert.type(s, "object", `${what}: no STATS`);
  for (const k of STATS) assert.ok(Number.isFinite(s[k]), `${what}.${k} = ${s[k]}`);
  assert.ok(s.n > 0, `${what}: no samples`);
}

let r, j;
before(test, async () => {
  const file = path.join(ROOT, "build/test-images/bench-quick.json");
  fs.rmSync(file, { force: true });
  r = await aam(["bench", "--quick", "--json", file], { timeoutMs: 3 * HANG_MS });
  j = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : null;
});

test("aam bench --quick exits 0 and prints the markdown tables", () => {
  assert.is(r.code, 0, r.stderr);
  for (const h of ["## Table 1", "## Table 2", "## Throughput", "## Footprint", "## Ratios"]) assert.ok(r.stdout.includes(h), `missing ${h}:\n${r.stdout}`);
});

test("the JSON has the top-level shape of issue 6", () => {
  assert.ok(j, "no JSON written");
  assert.is(j.host, "node");
  assert.ok(Number.isInteger(j.cores) && j.cores > 0);
  assert.ok(Number.isInteger(j.iterations) && j.iterations > 0);
  for (const k of ["rows", "baselines", "throughput"]) assert.ok(Array.isArray(j[k]), k);
  assert.type(j.footprint, "object");
});

test("every Table 1 row (3 operations × active, idle) is there with direct and latency numbers", () => {
  for (const id of ROWS) for (const mode of ["active", "idle"]) {
    const row = j.rows.find((x) => x.id === id && x.mode === mode);
    assert.ok(row, `row ${id}/${mode} missing`);
    isStats(row.direct_ns, `${id}/${mode}.direct_ns`);
    isStats(row.latency_ns, `${id}/${mode}.latency_ns`);
  }
  for (const row of j.rows) { assert.ok(ROWS.includes(row.id), row.id); assert.ok(["active", "idle"].includes(row.mode), row.mode); }
});

test("every baseline has numbers, or a note says why it is missing (no C compiler, no piscina)", () => {
  for (const x of j.baselines) { assert.ok(BASELINES.includes(x.id), `unknown id ${x.id}`); isStats(x.ns, x.id); }
  for (const id of BASELINES) {
    if (j.baselines.some((x) => x.id === id)) continue;
    assert.ok(j.notes.some((n) => n.includes("C compiler") || n.includes("piscina") || n.startsWith(id)), `${id}: neither numbers nor a note`);
  }
});

test("the JSON has issue 15's policy object and the idle system's CPU", () => {
  assert.ok(Number.isFinite(j.policy.steady_changes_per_s) && j.policy.steady_changes_per_s >= 0, JSON.stringify(j.policy));
  assert.ok(Number.isInteger(j.policy.load_step_ticks) && j.policy.load_step_ticks >= 0, JSON.stringify(j.policy));
  assert.ok(Number.isFinite(j.idle_cpu_percent) && j.idle_cpu_percent >= 0, String(j.idle_cpu_percent));
  for (const x of j.rows.filter((x) => x.id !== "local_task")) {
    assert.ok(Number.isFinite(x.wakes_per_call), `${x.id} ${x.mode}: wakes_per_call`);
    isStats(x.latency_noclock_ns, `${x.id} ${x.mode} latency_noclock_ns`);
  }
  // the local row also 16 spawn+waits in a row between clock reads, against 16 microtask hops
  for (const x of j.rows.filter((x) => x.id === "local_task")) isStats(x.latency_noclock_batch_ns, `local_task ${x.mode} latency_noclock_batch_ns`);
  assert.ok(j.ratios.some((x) => x.id === "local_batch_vs_microtask_batch" && Number.isFinite(x.value)), "no local_batch_vs_microtask_batch ratio");
});

test("Table 1 and the ratios' baselines ran in 3 interleaved rounds, each with its load average and every row's median", () => {
  assert.is(j.rounds.length, 3, JSON.stringify(j.rounds));
  for (const [k, round] of j.rounds.entries()) {
    assert.is(round.round, k + 1);
    assert.ok(Number.isFinite(round.load_average) && round.load_average >= 0, `round ${k + 1}: load ${round.load_average}`);
    for (const id of ROUND_IDS) assert.ok(Number.isFinite(round.medians[id]), `round ${k + 1}: no median of ${id}`);
  }
  for (const id of ["wasm_spin_rt", "atomics_gap_2w", "atomics_gap_1w", "atomics_parked_2w", "atomics_parked_1w", "microtask_rt", "microtask_batch"]) assert.is(j.baselines.find((x) => x.id === id).rounds, 3, id);
  // the parked rows: both calls, with their wakes counted
  for (const id of ["call_app", "call_os"]) {
    const row = j.rows_parked.find((x) => x.id === id);
    assert.ok(row, `rows_parked: no ${id}`);
    isStats(row.latency_noclock_ns, `${id}/parked`);
    assert.ok(Number.isFinite(row.wakes_per_call), `${id}/parked wakes_per_call`);
  }
  // the row's median is the median of its three rounds' medians
  const ms = j.rounds.map((x) => x.medians["call_app/active"]).sort((a, b) => a - b);
  assert.is(j.rows.find((x) => x.id === "call_app" && x.mode === "active").latency_ns.median, ms[1]);
  // the Atomics rows count the wakes their notifies reported: one per round trip when the caller spins
  const w1 = j.baselines.find((x) => x.id === "atomics_gap_1w").wakes_per_call, w2 = j.baselines.find((x) => x.id === "atomics_gap_2w").wakes_per_call;
  assert.ok(w1 > 0 && w1 <= 1, `1 wake: ${w1}`);
  assert.ok(w2 >= w1 && w2 <= 2, `2 wakes: ${w2}`);
});

test("throughput rows and the footprint are numbers", () => {
  assert.ok(j.throughput.some((x) => x.id === "local_spawn"), "no local_spawn throughput");
  for (const x of j.throughput) {
    assert.type(x.id, "string");
    assert.ok(Number.isInteger(x.cores) && x.cores > 0);
    assert.ok(Number.isFinite(x.per_s) && x.per_s > 0, `${x.id}@${x.cores}: ${x.per_s}`);
  }
  assert.ok(Number.isFinite(j.footprint.bytes_per_queued_task) && j.footprint.bytes_per_queued_task > 0);
});

test("aam bench sched runs plain and --trace alternately: both variants' rows, the overhead per round, every task event recorded and none lost", async () => {
  const file = path.join(ROOT, "build/test-images/bench-sched.json");
  fs.rmSync(file, { force: true });
  const b = await aam(["bench", "sched", "--iterations", "200", "--rounds", "2", "--json", file], { timeoutMs: 3 * HANG_MS });
  assert.is(b.code, 0, b.stderr);
  assert.match(b.stdout, "| traced (--trace): spawn + wait, batched ×100 |");
  assert.match(b.stdout, /per round \(traced\/plain\): spawn\+wait batched [\d.]+, [\d.]+ \(median [\d.]+\)/);
  const s = JSON.parse(fs.readFileSync(file, "utf8")).sched;
  isStats(s.local_latency, "local_latency");
  isStats(s.traced.local_latency_batched, "traced.local_latency_batched");
  // 800 spawn+waits (200 warm-up, 3 loops of 200) of 4 task events each, plus 2 batches of 100
  // spawns then 100 joins (the first join blocks and resumes: 2 + 200 events each): 3604 task events
  assert.ok(s.traced.events >= 3604, `${s.traced.events} events`);
  assert.is(s.traced.lost, 0);
  assert.is(s.traced.ratios.batched.length, 2);
  for (const k of ["median_batched", "median_per_iteration", "best_batched", "best_per_iteration"]) assert.ok(s.traced.ratios[k] > 0, `${k} ${s.traced.ratios[k]}`);
});

test("aam bench fs --quick: the file-system machine's rows on Node and QEMU and the mtools and dd rows, each with numbers", async () => {
  const file = path.join(ROOT, "build/test-images/bench-fs.json");
  fs.rmSync(file, { force: true });
  const b = await aam(["bench", "fs", "--quick", "--json", file], { timeoutMs: 3 * HANG_MS });
  assert.is(b.code, 0, b.stderr);
  assert.match(b.stdout, "## File system: sequential");
  const rows = JSON.parse(fs.readFileSync(file, "utf8")).fs.rows;
  const ids = rows.map((x) => x.id).sort();
  assert.equal(ids, ["aam/node/read", "aam/node/small", "aam/node/write", "aam/qemu/read", "aam/qemu/small", "aam/qemu/write",
    "dd/read", "dd/write", "mtools/read", "mtools/small", "mtools/write"].sort());
  for (const x of rows) { isStats(x.value, x.id); assert.ok(x.value.median > 0, `${x.id}: ${x.value.median}`); }
});

test.run();
