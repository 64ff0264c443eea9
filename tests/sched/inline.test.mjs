// inline.test.mjs: inline join (runtime/sched/sched.ts i1–i4) on both hosts. A task that waits for
// a task it spawned and that has not started runs it on its own stack: no suspend (counted by the
// cores' FC_SUSPENDS, not timed), and still the containment rule: a trap in the child fails the
// child alone, through the host's catch frame (Node: run_inline's try; QEMU: its k_setjmp), and the
// joiner goes on with its locals. One core, so no thief takes a child before its join.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image, prebuild, fields, before } from "../lib/aam.mjs";

const PROG = "tests/sched/programs/inline.ts";
const OFF = { defines: { AAM_INLINE_DEPTH: "0" } };
const DEEP = { defines: { AAM_INLINE_DEPTH: "64", AAM_CTX_MAX: "8192" } };
const OVERFLOW = "context overflow: blocked with a stack deeper than AAM_CTX_MAX=8192; build with --define AAM_CTX_MAX=16384";
const TIMEOUT = 300000;

before(test, () => prebuild([[PROG], [PROG, OFF], [PROG, DEEP]]));

const run = async (host, img, args) => aam([host, img, "--cores", "1", "--", ...args], { timeoutMs: TIMEOUT });
const HOSTS = ["run", "boot"];                 // Node, QEMU
const name = (h) => (h === "run" ? "Node" : "QEMU");

for (const host of HOSTS) {
  test(`${name(host)}: 2000 spawn+joins of unstarted tasks cost no suspend; with AAM_INLINE_DEPTH=0 each costs one; same results`, async () => {
    const on = await run(host, await image(PROG), ["count", "2000"]);
    const off = await run(host, await image(PROG, OFF), ["count", "2000"]);
    assert.is(on.code, 0, on.stdout + on.stderr);
    assert.is(off.code, 0, off.stdout + off.stderr);
    assert.equal(fields(on.stdout), { joins: 2000, sum: 2001000, suspends: 0 });
    assert.equal(fields(off.stdout), { joins: 2000, sum: 2001000, suspends: 2000 });
  });

  test(`${name(host)}: 400 children that finish in an inline join hand their scheduler reference to the joiner (i4): join, wait then release, quiet failures with heap messages, a grandchild joined inline first; right values and errors, no heap block or task record left; the same with AAM_INLINE_DEPTH=0`, async () => {
    let sum = 0;
    for (let i = 0; i < 400; i++) sum += i % 4 >= 2 ? 0 : i % 8 === 1 ? i + 1001 : 2 * i;
    const on = await run(host, await image(PROG), ["kept", "400"]);
    const off = await run(host, await image(PROG, OFF), ["kept", "400"]);
    assert.is(on.code, 0, on.stdout + on.stderr);
    assert.is(off.code, 0, off.stdout + off.stderr);
    const want = { kept: 400, sum, failed: 100, wrong: 0, blocks: 0, tasks: 1 };
    assert.equal(fields(on.stdout), { ...want, suspends: 0 });
    assert.equal(fields(off.stdout), { ...want, suspends: 450 });         // 400 children and 50 grandchildren
  });

  test(`${name(host)}: children joined inline that trap (unreachable, out of bounds, fail, call stack exhausted, divide by zero) fail alone with their errors; the joiner keeps its locals, nothing suspends, no heap block is left`, async () => {
    const r = await run(host, await image(PROG), ["trap"]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const errors = ["unreachable", "memory access out of bounds", "child: deliberate", "call stack exhausted", "integer divide by zero"];
    const ways = ["unreachable", "oob", "fail", "stack", "divzero"];
    assert.is(r.stdout, ways.map((w, i) => `${w}: failed true, value 0, error '${errors[i]}'\n`).join("") +
      "joiner local 1132438 others 55 suspends 0 blocks leaked 0\n");
    const reports = r.stderr.split("\n").filter((l) => l.startsWith("aam: task trapped"));
    assert.equal(reports, errors.map((e) => `aam: task trapped on core 0 in faulty (machine main): ${e} (the task fails; its waiters see future.failed)`));
  });

  test(`${name(host)}: a chain of 200 tasks, each joining the next: value 200 with inline joins nested 8 deep (the rest suspend) and 64 deep (8 KiB contexts)`, async () => {
    for (const opts of [{}, DEEP]) {
      const r = await run(host, await image(PROG, opts), ["nest", "200"]);
      assert.is(r.code, 0, r.stdout + r.stderr);
      assert.is(r.stdout, "depth 200 value 200\n");
    }
  });

  test(`${name(host)}: a child run inline that blocks 1000 frames deep: its context grows as it unwinds to the inner dispatch; with AAM_CTX_MAX=8192 it fails alone with a context overflow (a trap mid-unwind) and the joiner goes on`, async () => {
    const ok = await run(host, await image(PROG), ["ctx"]);
    assert.is(ok.code, 0, ok.stdout + ok.stderr);
    assert.is(ok.stdout, "ctx: failed false, value 7507501, error ''; joiner local 77\n");
    const over = await run(host, await image(PROG, DEEP), ["ctx"]);
    assert.is(over.code, 0, over.stdout + over.stderr);
    assert.is(over.stdout, `ctx: failed true, value 0, error '${OVERFLOW}'; joiner local 77\n`);
    assert.match(over.stderr, `aam: task trapped on core 0 in deepTask (machine main): ${OVERFLOW}`);
  });

  test(`${name(host)}: children that block while run inline (yield, wait for a signal) leave the joiner waiting as usual; all 40 complete once`, async () => {
    const r = await run(host, await image(PROG), ["block", "40"]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.is(r.stdout, `blocked 40 sum ${3 * (39 * 40) / 2} failed 0\n`);
  });
}

test.run();
