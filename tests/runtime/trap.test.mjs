import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { aam, image, ROOT } from "../lib/aam.mjs";

const PROG = "tests/runtime/programs/trap.ts";
const FN = "tests/runtime/programs/trap/boom";

const cases = [
  ["unreachable", "unreachable"],
  ["oob", "memory access out of bounds"],
  ["divzero", "divide by zero"],
  ["assert", "the answer was not 42 (tests/runtime/programs/trap.ts:"],
  ["heapbad", "heap: free of a pointer outside the heap: 0x40004"],
];

for (const [kind, message] of cases) {
  test(`a ${kind} trap on core 2 is reported with core, function and message, and exits 70`, async () => {
    const img = await image(PROG, { debug: true });
    const r = await aam(["run", img, "--cores", "4", "--", kind, "2"]);
    assert.is(r.code, 70, r.stdout + r.stderr);
    assert.match(r.stderr, `aam: trap on core 2 in ${FN}: ${message}`);
    assert.not.match(r.stdout, "no trap");
  });
}

test("a trap while the other cores spin forever still ends the process, non-zero, without a hang", async () => {
  const img = await image(PROG);
  const r = await aam(["run", img, "--cores", "4", "--", "unreachable", "1", "spin"]);
  assert.is(r.code, 70, r.stderr);
  assert.match(r.stderr, "trap on core 1");
});

test("exit(3) on core 2 ends every core and becomes the process exit status 3", async () => {
  const img = await image(PROG);
  const r = await aam(["run", img, "--cores", "4", "--", "exit3", "2", "spin"]);
  assert.is(r.code, 3, r.stderr);
  assert.is(r.stderr, "");
});

test("main's return value is the exit status when nothing traps", async () => {
  const img = await image(PROG);
  const r = await aam(["run", img, "--cores", "2", "--", "none"]);
  assert.is(r.code, 0);
  assert.match(r.stdout, "no trap: none");
});

test("a missing entry file gets a one-line error and status 2", async () => {
  const r = await aam(["run", "examples/no-such-program.ts"]);
  assert.is(r.code, 2);
  assert.is(r.stderr, "aam: examples/no-such-program.ts: no such file\n");
});

test("a wasm file that is not a system image gets a one-line error", async () => {
  const f = path.join(ROOT, "build/test-images/plain.wasm");
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));   // an empty, valid module
  const r = await aam(["run", f]);
  assert.ok(r.code !== 0);
  assert.is(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, "not an AAM system image");
});

// The trap rule (docs/ARCHITECTURE.md "Traps"), tried on both hosts with the same image.
const LOCKED = "tests/runtime/programs/traplock.ts";
for (const host of ["run", "boot"]) {
  test(`${host}: a trap in runtime code that holds no lock fails only its task; without the hook the program ends 0`, async () => {
    const img = await image(LOCKED);
    const r = await aam([host, img, "--cores", "2"]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, "bad capacity: failed=yes");
    assert.match(r.stderr, /aam: task trapped on core \d.*connect: capacity 3 is not a power of two/);
    assert.match(r.stdout, "connected: failed=no");
  });
  test(`${host}: a trap while the manager lock is held stops the system with 70 and names the lock`, async () => {
    const img = await image(LOCKED, { defines: { AAM_TEST_TRAP_LOCKED: "1" } });
    const r = await aam([host, img, "--cores", "2"]);
    assert.is(r.code, 70, r.stdout + r.stderr);
    assert.match(r.stdout, "bad capacity: failed=yes");          // the unlocked trap before it was survived
    assert.not.match(r.stdout, "connected:");
    assert.match(r.stderr, /aam: trap on core \d.*unreachable.*\(while holding the manager lock: the system stops\)/);
    assert.not.match(r.stderr, "task trapped on core 0 in tests/runtime/programs/traplock/connectTask: unreachable");
  });
}

test.run();
