// Machines, the Machine Manager and machine calls on the Node host.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image, prebuild, fields } from "../lib/aam.mjs";

const P = (n) => `tests/machines/programs/${n}.ts`;

test.before(() => prebuild([[P("calls")], [P("order")], [P("loadstep")], [P("fullqueue")], [P("kernel")], ["examples/pipeline.ts"]]));

for (const [variant, n, cores] of [["async", 83334, 4], ["event", 83334, 4], ["sync", 83334, 2], ["async", 20000, 2]]) {
  test(`4 machines calling each other, ${(12 * n).toLocaleString("en")} ${variant} calls on ${cores} cores: every call completes once with the right result`, async () => {
    const r = await aam(["run", await image(P("calls")), "--cores", String(cores), "--", variant, String(n)], { timeoutMs: 240000 });
    assert.is(r.code, 0, r.stdout + r.stderr);
    const f = fields(r.stdout);
    assert.is(f.calls, 12 * n);
    assert.is(f.bad, 0);
    assert.is(f["calls out"], 12 * n);
    assert.is(f["calls in"], 12 * n + 8);          // + main's 4 setup and 4 drive calls
    if (variant === "event") assert.is(f.events, 12 * n);
    // Memory back to its baseline, taken once the interfaces were up and every signal record
    // was handled (tests/machines/programs/calls.ts settledHeap).
    assert.is(fields(r.stderr).leaked, 0, r.stderr);
  });
}

test("ordered calls reach the server in issue order; a per-client limit of 2 is never exceeded", async () => {
  const r = await aam(["run", await image(P("order")), "--cores", "4", "--", "3000", "2"], { timeoutMs: 120000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const f = fields(r.stdout);
  assert.is(f["out of order"], 0);
  assert.is(f["ordered ok"], 6000);
  assert.ok(f["high water"] >= 1 && f["high water"] <= 2, r.stdout);
  assert.ok(f["server peak"] <= 2, r.stdout);
});

test("without a limit the same client's calls do run several at once (the high-water mark can exceed 2)", async () => {
  const r = await aam(["run", await image(P("order")), "--cores", "4", "--", "3000", "0"], { timeoutMs: 120000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.ok(fields(r.stdout)["high water"] > 2, r.stdout);
});

test("load step: a saturated machine is granted cores within a few ticks and releases them within a few ticks of going idle", async () => {
  const r = await aam(["run", await image(P("loadstep")), "--cores", "4", "--", "6000", "20000"], { timeoutMs: 120000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const f = fields(r.stdout);
  assert.ok(f["ticks to second core"] <= 25, r.stdout);   // 1–11 seen; a few donors may be busy
  assert.ok(f["most cores"] >= 2, r.stdout);
  assert.ok(f["ticks to release"] <= 15, r.stdout);
  assert.is(f["idle machine cores"], 0);
});

test("a client faster than its server blocks on a full interface (capacity 4) and loses nothing", async () => {
  const r = await aam(["run", await image(P("fullqueue")), "--cores", "2", "--", "2000"], { timeoutMs: 120000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const f = fields(r.stdout);
  assert.is(f.served, 2000);
  assert.is(f.wrong, 0);
  assert.ok(f["blocked peak"] >= 1);
});

test("a kernel machine checks every buffer against the caller's memory, copies in and out, refuses bad pointers, overflowing or too long lengths and unknown methods with clear errors, keeps serving, and frees its copies when a handler traps", async () => {
  const r = await aam(["run", await image(P("kernel")), "--cores", "2"], { timeoutMs: 60000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const want = [
    "good sum: ok 4950",
    "bump: ok 10",
    "after bump: 5 14 10",
    "pointer outside the heap: refused 0xffffffff00000002 (machine 'fs' method 0, argument 0: [0x10, +8) is not memory of the calling machine 'main')",
    "pointer into static data: refused 0xffffffff00000002 (machine 'fs' method 0, argument 0: [0x40000, +8) is not memory of the calling machine 'main')",
    /^past the end of the block: refused 0xffffffff00000002 \(machine 'fs' method 0, argument 0: \[0x[0-9a-f]+, \+200\) is not memory of the calling machine 'main'\)$/,
    "length over the limit: refused 0xffffffff00000003 (machine 'fs' method 0, argument 0: length 5000 (argument 1) exceeds the limit 4096)",
    "length overflowing: refused 0xffffffff00000003 (machine 'fs' method 0, argument 0: 0xfffffff0 + 32 bytes overflows the address space)",
    "unknown method: refused 0xffffffff00000001 (machine 'fs' has no method 9 (it offers 0..2))",
    "good sum again: ok 5000",
    "good sum after the crashes: ok 5000",
    // a trapped handler's INOUT bytes are not copied back, and the kernel's copies are freed
    "crashed calls 21, byte 0 untouched yes, blocks leaked 0",
  ];
  const lines = r.stdout.trim().split("\n");
  assert.is(lines.length, want.length, r.stdout);
  want.forEach((w, k) => (typeof w === "string" ? assert.is(lines[k], w) : assert.match(lines[k], w)));
  const traps = r.stderr.trim().split("\n");
  assert.is(traps.length, 21, r.stderr);
  for (const l of traps) assert.match(l, /^aam: task trapped on core \d in crash \(machine fs\): crash: the handler's deliberate bug \(the task fails/);
});

test("examples/pipeline.ts: three machines, sum correct, --stats shows each machine's calls, grants and revokes", async () => {
  const r = await aam(["run", await image("examples/pipeline.ts"), "--cores", "4", "--stats", "--", "5000", "2000"], { timeoutMs: 120000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, "items 5000 sum ok");
  const rows = Object.fromEntries(r.stderr.split("\n").filter((l) => /^(main|producer|transform|sink)\s/.test(l))
    .map((l) => { const [name, ...v] = l.trim().split(/\s+/); return [name, v.map(Number)]; }));
  assert.is(rows.transform[2], 5001, "transform calls in");
  assert.is(rows.sink[2], 5000, "sink calls in");
  assert.ok(rows.transform[7] > 0, "transform was granted cores");
  assert.match(r.stderr, /manager ticks: [1-9]/);
});

test.run();
