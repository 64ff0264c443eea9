import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { aam, image, prebuild, fields, ROOT, before } from "../lib/aam.mjs";
import { model } from "../../tools/build/abi.mjs";

const ABI = model(JSON.parse(fs.readFileSync(path.join(ROOT, "runtime/abi.json"), "utf8"))).byName;

const OUT = path.join(ROOT, "build/test-images/cli-hello.wasm");

// Every define at one end of its range (docs/DEFINES.md), in one image each: chain.ts blocks
// thousands of tasks at once (contexts) and spawns them faster than 2-slot rings hold (overflow,
// steals), so the minimum image proves the least ring and context sizes work.
const AT_MIN = { AAM_CTX_SIZE: "256", AAM_DEBUG: "1", AAM_GRACE_US: "0", AAM_RING_SLOTS: "2", AAM_SPINS: "0", AAM_STALL_MS: "0", AAM_STEAL: "1", AAM_TICK_US: "1", AAM_TRACE: "1", AAM_TRACE_SLOTS: "8" };
const AT_MAX = { AAM_CTX_SIZE: "1048576", AAM_GRACE_US: "2147483647", AAM_RING_SLOTS: "65536", AAM_SPINS: "2147483647", AAM_STALL_MS: "2147483647", AAM_STEAL: "0", AAM_TICK_US: "2147483647", AAM_TRACE: "1", AAM_TRACE_SLOTS: "1048576" };
const CHAIN = "tests/sched/programs/chain.ts";
before(test, () => prebuild([[CHAIN, { defines: AT_MIN }], [CHAIN, { defines: AT_MAX }]]));   // two at once

test("aam build writes an image whose only imports are the platform interface and whose only exports are aam_entry, aam_resume, aam_inline and memory", async () => {
  fs.rmSync(OUT, { force: true });
  const r = await aam(["build", "examples/hello.ts", "-o", OUT]);
  assert.is(r.code, 0, r.stderr);
  const mod = new WebAssembly.Module(fs.readFileSync(OUT));
  const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`);
  const allowed = /^(env\.memory|aam\.(core_id|core_count|now_ns|park|wake|exit|fatal|run_inline)|wasi_snapshot_preview1\.(fd_write|args_sizes_get|args_get|environ_sizes_get|environ_get|clock_time_get|random_get|proc_exit))$/;
  for (const i of imports) assert.ok(allowed.test(i), `unexpected import ${i}`);
  assert.ok(imports.includes("env.memory") && imports.includes("aam.core_id"));
  assert.equal(WebAssembly.Module.exports(mod).map((e) => e.name).sort(), ["aam_entry", "aam_inline", "aam_resume", "memory"]);
  const mem = WebAssembly.Module.imports(mod).find((i) => i.name === "memory");
  assert.is(mem.kind, "memory");
});

test("the manifest beside the image and inside it agree and describe the memory map", async () => {
  const side = JSON.parse(fs.readFileSync(OUT + ".json", "utf8"));
  const mod = new WebAssembly.Module(fs.readFileSync(OUT));
  const inner = JSON.parse(Buffer.from(WebAssembly.Module.customSections(mod, "aam.manifest")[0]).toString());
  assert.equal(inner, side);
  assert.is(side.format, "aam-image/1");
  assert.is(side.entry, "aam_entry");
  assert.is(side.memory.memoryBase, ABI.get("MEMORY_BASE").value);
  assert.is(side.memory.scb, ABI.get("SCB").value);
  assert.ok(side.memory.heapBase > side.memory.memoryBase);
  assert.ok(side.dataSegments > 0);
  assert.ok(side.build.ascFlags.includes("--sharedMemory"));
});

test("aam run of a built image passes the arguments after -- and runs on the requested cores", async () => {
  const r = await aam(["run", OUT, "--cores", "3"]);
  assert.is(r.code, 0, r.stderr);
  for (let c = 0; c < 3; c++) assert.match(r.stdout, `hello from core ${c} of 3`);
  assert.match(r.stdout, "shared counter: 300000 (expected 300000) ok");
});

test("each core's lines come out whole, one per line, never mixed with another core's", async () => {
  const r = await aam(["run", OUT, "--cores", "4"]);
  const lines = r.stdout.trim().split("\n");
  assert.is(lines.length, 5, r.stdout);
  for (const l of lines) assert.ok(/^hello from core \d of 4$|^shared counter: /.test(l), `mangled line: ${l}`);
});

test("a program that imports something outside the platform interface is refused at build time, naming the import", async () => {
  const r = await aam(["build", "tests/cli/programs/extra_import.ts", "-o", path.join(ROOT, "build/test-images/extra.wasm")]);
  assert.is(r.code, 1);
  assert.match(r.stderr, "env.getTimeOfDay, which is not part of the platform interface");
});

test("a program without main() is refused in one line at its file", async () => {
  const r = await aam(["build", "tests/cli/programs/no_main.ts", "-o", path.join(ROOT, "build/test-images/nomain.wasm")]);
  assert.is(r.code, 1);
  assert.is(r.stderr, "aam: tests/cli/programs/no_main.ts: the program must export function main(): i32\n");
});

test("bad command lines exit 2 with the reason on one line (refuse.test.mjs has each case)", async () => {
  for (const args of [["frobnicate"], ["run", "examples/hello.ts", "--cores", "zero"], ["run"], ["run", "examples/hello.ts", "--bogus"]]) {
    const r = await aam(args);
    assert.is(r.code, 2, args.join(" "));
    assert.match(r.stderr, /^aam: [^\n]+\n$/, args.join(" "));
  }
});

test("a bad --define stops aam with status 2 and one line naming the define, the value and the rule; nothing is built", async () => {
  const out = path.join(ROOT, "build/test-images/cli-baddefine.wasm");
  fs.rmSync(out, { force: true });
  const cases = [
    [["build", "examples/hello.ts", "-o", out, "--define", "AAM_RING_SLOTS=3"], "aam: build: --define AAM_RING_SLOTS=3: must be a power of two between 2 and 65536 slots\n"],
    [["build", "examples/hello.ts", "-o", out, "-D", "AAM_CTX_SIZE=16"], "aam: build: --define AAM_CTX_SIZE=16: must be a whole number between 256 and 1048576 bytes\n"],
    [["run", "examples/hello.ts", "--define", "AAM_RINGSLOTS=4"], /^aam: build: --define AAM_RINGSLOTS=4: unknown name; known: AAM_CTX_MAX, AAM_CTX_SIZE, .*AAM_TRACE_SLOTS \(docs\/DEFINES\.md\)\n$/],
    [["run", OUT, "--define", "AAM_STEAL=2"], "aam: build: --define AAM_STEAL=2: must be 0 or 1\n"],    // a built image too
  ];
  for (const [args, want] of cases) {
    const r = await aam(args);
    assert.is(r.code, 2, args.join(" "));
    if (typeof want === "string") assert.is(r.stderr, want); else assert.match(r.stderr, want);
  }
  assert.not.ok(fs.existsSync(out));
});

for (const [end, defines, args] of [["minimum", AT_MIN, ["--cores", "4", "--", "2000", "5"]], ["maximum", AT_MAX, ["--cores", "2", "--", "300", "2"]]]) {
  test(`every define at its ${end} builds, and tasks blocking across cores run on it to the right result with nothing leaked`, async () => {
    const r = await aam(["run", await image(CHAIN, { defines }), ...args]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const f = fields(r.stdout);
    assert.match(r.stdout, "result ok");
    assert.is(f.leaked, 0);
    assert.ok(f["blocked peak"] >= 1, r.stdout);
  });
}

test("--cores above the image's limit of 64 is refused, for an image too", async () => {
  const r = await aam(["run", OUT, "--cores", "65"]);
  assert.is(r.code, 2);
  assert.is(r.stderr, "aam: --cores takes a whole number from 1 to 64, got '65'\n");
});

test("Ctrl-C (SIGINT) stops every core of a busy system and exits 130", async () => {
  const { spawn } = await import("node:child_process");
  const { AAM } = await import("../lib/aam.mjs");
  const p = spawn(process.execPath, [AAM, "run", "tests/cli/programs/spin.ts", "--cores", "2"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  p.stdout.on("data", (d) => {
    out += d;
    if (out.includes("spinning")) setTimeout(() => p.kill("SIGINT"), 200);
  });
  const t0 = Date.now();
  const code = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { p.kill("SIGKILL"); reject(new Error("aam run did not stop after SIGINT")); }, 60000);
    p.on("close", (c) => { clearTimeout(timer); resolve(c); });
  });
  assert.is(code, 130, out);
  assert.ok(Date.now() - t0 < 60000);
});

test("SIGUSR2 to a hung system prints each core's machine, task and locks and the counters (one blocked task, one record live); the system runs on", async () => {
  const { spawn } = await import("node:child_process");
  const { AAM } = await import("../lib/aam.mjs");
  const p = spawn(process.execPath, [AAM, "run", "tests/cli/programs/hang.ts", "--cores", "2"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "";
  p.stdout.on("data", (d) => { if (!out.includes("waiting") && (out += d).includes("waiting")) p.kill("SIGUSR2"); });
  // "waiting" is printed just before main blocks: a report may catch it still on its way to
  // the wait, so ask again until main has blocked (at most 100 reports)
  const settled = /core 0: machine 1, task 0x0, [^\n]*\ncore 1: machine 1, task 0x0,[^]*contexts: 1 in use/;
  let reports = 0, report = "";
  p.stderr.on("data", (d) => {
    err += d;
    const parts = err.split("manager ticks");             // a report ends with that line
    if (report || parts.length - 1 === reports) return;
    reports = parts.length - 1;
    const last = "aam: SIGUSR2" + parts[reports - 1].split("aam: SIGUSR2").pop();
    if (settled.test(last) || reports >= 100) { report = last; p.kill("SIGINT"); }
    else p.kill("SIGUSR2");
  });
  const code = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { p.kill("SIGKILL"); reject(new Error("no hang report or no stop:\n" + out + err)); }, 120000);
    p.on("close", (c) => { clearTimeout(timer); resolve(c); });
  });
  assert.is(code, 130, err);                             // it ran on after the report: SIGINT ended it
  assert.match(report, /^aam: SIGUSR2 at \d+ ms: the state of 2 cores\n/);
  assert.match(report, /\ncore 0: machine 1, task 0x0, locks held 0, park token [01]\ncore 1: machine 1, task 0x0, locks held 0, park token [01]\n/);
  assert.match(report, /contexts: 1 in use, peak 1; peak blocked tasks 1; task records live 1\n/);
  assert.match(report, /\nmain +2 +1 /);                   // machine main, 2 cores, 1 task run
});

test.run();
