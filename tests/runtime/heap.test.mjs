import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image, prebuild, fields, statsTable, before } from "../lib/aam.mjs";

const PROG = "tests/runtime/programs/alloc_stress.ts";

// Every image of this suite (one process runs all its files), built two at a time.
before(test, () => prebuild([
  [PROG], [PROG, { debug: true }], ["tests/runtime/programs/static_data.ts"],
  ["tests/runtime/programs/static_data.ts", { env: { AAM_LINK_ACTIVE_DATA: "1" } }], ["tests/runtime/programs/strings.ts"],
  ["tests/runtime/programs/trap.ts"], ["tests/runtime/programs/trap.ts", { debug: true }],
]));

test("4 cores x 10^6 random-size alloc/free: every block's checksum holds, cross-core frees happen, heap use returns to its start", async () => {
  const img = await image(PROG);
  const r = await aam(["run", img, "--cores", "4", "--", "1000000", "512"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const f = fields(r.stdout);
  assert.is(f.ops, 4000000);
  assert.is(f.corruptions, 0);
  assert.ok(f["cross-core frees"] > 10000, `cross-core frees: ${f["cross-core frees"]}`);
  assert.is(f["leaked bytes"], 0);
  assert.is(f["leaked blocks"], 0);
  assert.is(f["large bytes"], 0);
});

test("2 cores with 4 live slots each (mailbox churn dominates): no corruption, no leak", async () => {
  const img = await image(PROG);
  const r = await aam(["run", img, "--cores", "2", "--", "200000", "4"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const f = fields(r.stdout);
  assert.is(f.corruptions, 0);
  assert.is(f["leaked bytes"], 0);
});

test("debug build (AAM_DEBUG invariant checks on) passes the same stress on 4 cores", async () => {
  const img = await image(PROG, { debug: true });
  const r = await aam(["run", img, "--cores", "4", "--", "200000", "256"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(fields(r.stdout).corruptions, 0);
});

test("--stats prints per-core heap counters that add up to what the program allocated", async () => {
  const img = await image(PROG);
  const r = await aam(["run", img, "--cores", "2", "--stats", "--", "10000", "64"]);
  assert.is(r.code, 0, r.stderr);
  const { rows } = statsTable(r.stderr);
  assert.is(rows.length, 2);
  for (const row of rows) {
    assert.ok(row["heap allocs"] > 1000, `core ${row.core} allocs ${row["heap allocs"]}`);
    assert.ok(row["blocks in use"] < 50, `core ${row.core} still holds ${row["blocks in use"]} blocks`);
  }
});

test.run();
