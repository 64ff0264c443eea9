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
    const r = await aam(["run", img, "--cores", "4", "--", kind, "2"], { timeoutMs: 20000 });
    assert.is(r.code, 70, r.stdout + r.stderr);
    assert.match(r.stderr, `aam: trap on core 2 in ${FN}: ${message}`);
    assert.not.match(r.stdout, "no trap");
  });
}

test("a trap while the other cores spin forever still ends the process, non-zero, without a hang", async () => {
  const img = await image(PROG);
  const r = await aam(["run", img, "--cores", "4", "--", "unreachable", "1", "spin"], { timeoutMs: 20000 });
  assert.is(r.code, 70, r.stderr);
  assert.match(r.stderr, "trap on core 1");
});

test("exit(3) on core 2 ends every core and becomes the process exit status 3", async () => {
  const img = await image(PROG);
  const r = await aam(["run", img, "--cores", "4", "--", "exit3", "2", "spin"], { timeoutMs: 20000 });
  assert.is(r.code, 3, r.stderr);
  assert.is(r.stderr, "");
});

test("main's return value is the exit status when nothing traps", async () => {
  const img = await image(PROG);
  const r = await aam(["run", img, "--cores", "2", "--", "none"]);
  assert.is(r.code, 0);
  assert.match(r.stdout, "no trap: none");
});

test("a missing entry file gets a one-line error and a non-zero status", async () => {
  const r = await aam(["run", "examples/no-such-program.ts"]);
  assert.ok(r.code !== 0);
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

test.run();
