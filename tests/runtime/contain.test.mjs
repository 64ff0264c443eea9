// contain.test.mjs: one containment rule on both hosts (docs/ARCHITECTURE.md §10). A task that
// overflows the call stack, runs out of memory, blocks with a stack deeper than its context may
// grow, or traps in its own code fails only its own future, with an error saying what happened;
// the report names core, task function, machine and reason; every other task and machine goes
// on; the heap is as it was. In main each ends the system with status 70. Node (`aam run`) and
// QEMU (`aam boot`) must print the same stdout and end with the same status.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image, prebuild, before } from "../lib/aam.mjs";

const PROG = "tests/runtime/programs/contain.ts";
const CTX8K = { defines: { AAM_CTX_MAX: "8192" } };
const TIMEOUT = 300000;
const OVERFLOW = "context overflow: blocked with a stack deeper than AAM_CTX_MAX=8192; build with --define AAM_CTX_MAX=16384";

before(test, () => prebuild([[PROG], [PROG, CTX8K]]));

const ends = "blocks leaked 0\nothers ok 30 of 30\n";
const failed = (way, error) => `${way}: failed true, value 0, error '${error}'\n`;
// [argv[1], image options, stdout, the errors the reports give (in order)]
const CASES = [
  ["stack", {}, failed("stack", "call stack exhausted") + ends, ["call stack exhausted"]],
  ["oom", {}, failed("oom", "out of memory allocating 1610612736 bytes") + ends, ["out of memory allocating 1610612736 bytes"]],
  ["fill", {}, failed("fill-large", "out of memory allocating 1048576 bytes") + failed("fill-small", "out of memory allocating 16000 bytes") + ends,
    ["out of memory allocating 1048576 bytes", "out of memory allocating 16000 bytes"]],
  ["ctx", {}, "ctx: failed false, value 7507501, error ''\n" + ends, []],
  ["ctx", CTX8K, failed("ctx", OVERFLOW) + ends, [OVERFLOW]],
  ["oob", {}, failed("oob", "memory access out of bounds") + ends, ["memory access out of bounds"]],
  ["fail", {}, failed("fail", "svc: deliberate") + ends, ["svc: deliberate"]],
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const reports = (stderr) => stderr.split("\n").filter((l) => l.startsWith("aam: task trapped"));

async function both(img, args) {
  const node = await aam(["run", img, "--cores", "2", "--", ...args], { timeoutMs: TIMEOUT });
  const qemu = await aam(["boot", img, "--cores", "2", "--", ...args], { timeoutMs: TIMEOUT });
  return [["node", node], ["qemu", qemu]];
}

for (const [way, opts, out, errors] of CASES) {
  const what = errors.length ? `fails its own call only ('${errors[0].slice(0, 40)}…')` : "completes: its context grows";
  test(`${way}${opts.defines ? " (AAM_CTX_MAX=8192)" : ""} in a handler of machine svc ${what}; the others go on, no heap block is left; the same on Node and QEMU`, async () => {
    const runs = await both(await image(PROG, opts), [way]);
    for (const [host, r] of runs) {
      assert.is(r.code, 0, `${host}: ${r.stdout}${r.stderr}`);
      assert.fixture(r.stdout, out);
      const lines = reports(r.stderr);
      assert.is(lines.length, errors.length, `${host}: ${r.stderr}`);
      errors.forEach((e, i) => assert.match(lines[i], new RegExp(
        `^aam: task trapped on core \\d+ in fault \\(machine svc\\): ${escape(e)} \\(the task fails; its waiters see future\\.failed\\)$`), `${host}: ${lines[i]}`));
    }
  });
}

for (const [way, opts, error] of [["stack", {}, "call stack exhausted"], ["oom", {}, "out of memory allocating 1610612736 bytes"], ["ctx", CTX8K, OVERFLOW],
  ["oob", {}, "memory access out of bounds"]]) {
  test(`main:${way}: the same failure in main ends the system with status 70 on Node and QEMU, naming main`, async () => {
    const runs = await both(await image(PROG, opts), [`main:${way}`]);
    for (const [host, r] of runs) {
      assert.is(r.code, 70, `${host}: ${r.stdout}${r.stderr}`);
      assert.fixture(r.stdout, `main: failing with ${way}\n`);
      assert.match(r.stderr, new RegExp(`^aam: task trapped on core \\d+ in main \\(machine main\\): ${escape(error)} \\(main failed: the system ends with status 70\\)$`, "m"), `${host}: ${r.stderr}`);
    }
  });
}

test("refused calls (no such method, a kernel's pointer and length checks) leave the heap as it was: the messages go with the calls, on Node and QEMU", async () => {
  const runs = await both(await image(PROG), ["refuse"]);
  for (const [host, r] of runs) {
    assert.is(r.code, 0, `${host}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, "error 'machine 'svc' has no method 7 (it offers 0..1)'");
    assert.match(r.stdout, "error 'machine 'kfs' method 0, argument 0: [0x10, +8) is not memory of the calling machine 'main''");
    assert.match(r.stdout, "error 'machine 'kfs' method 0, argument 0: length 17 (argument 1) exceeds the limit 16'");
    assert.match(r.stdout, /\nblocks leaked 0\nothers ok 30 of 30\n$/);
  }
  assert.is(runs[1][1].stdout, runs[0][1].stdout);
});

test.run();
