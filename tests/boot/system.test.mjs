// system.test.mjs: real system images on bare metal through the CLI (`aam boot`, `aam image`):
// park/wake under load (no lost wake-up over 10^5 cycles), idle cores halted rather than spinning
// (the kernel's `--stats` halt counts), boot-to-first-task next to a bare boot, the hand-run QEMU
// command line of docs/BOOT.md, and the messages for a missing QEMU or gcc.
// Parity with the Node host is tests/parity/.
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as os from "node:os";
import { spawn } from "node:child_process";
import { aam, image, prebuild, ROOT, AAM, HANG_MS, before } from "../lib/aam.mjs";
import { boot } from "../../boot/qemu.mjs";

before(test, () => prebuild([["tests/boot/programs/wake.ts"], ["tests/boot/programs/idle.ts"], ["tests/parity/programs/hello.ts"], ["tests/parity/programs/exit.ts"]]));

const STATS_CORE = /^aam boot stats: core (\d+): parks (\d+), hlt (\d+), halted (\d+) us of (\d+) us/gm;
const coreStats = (err) => [...err.matchAll(STATS_CORE)].map((m) => ({ core: +m[1], parks: +m[2], hlt: +m[3], halted: +m[4], up: +m[5] }));

// 10^5 park/wake cycles of wake.ts on 2 cores under TCG `tcg`: none lost; the round trip and each
// core's --stats counts.
async function wakeCycles(tcg) {
  const r = await aam(["boot", await image("tests/boot/programs/wake.ts"), "--cores", "2", "--stats", "--", "100000"], { env: { AAM_TCG: tcg } });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const m = /^wake cycles 100000 picked up 100000 lost 0 round trip ns (\d+)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  const cores = coreStats(r.stderr);
  assert.is(cores.length, 2, r.stderr);
  return { r, m, cores };
}

// Single-threaded TCG runs one vCPU at a time: a core that waits runs until it halts, so every
// cycle's wait is a hlt and the count proves it. With the vCPUs side by side (multi, the default)
// the answer often comes before the waiter reaches hlt (the park then returns at once, or is not
// needed): the next test counts only that nothing is lost and that the cores did halt.
test("work posted to a halted core is picked up: 10^5 park/wake cycles, none lost, each a hlt (single-threaded TCG)", async () => {
  const { r, m, cores } = await wakeCycles("single");
  // Each side parks once per cycle; if the posted work were found by spinning, hlt would stay low.
  for (const c of cores) assert.ok(c.hlt >= 90000, `core ${c.core} halted only ${c.hlt} times in 10^5 cycles:\n${r.stderr}`);
  console.log(`  park/wake round trip (real image, -smp 2, single-threaded TCG): ${(m[1] / 1000).toFixed(1)} us; hlt ${cores.map((c) => c.hlt).join(", ")}`);
});

test("the same 10^5 park/wake cycles with the vCPUs side by side (multi-threaded TCG): none lost, both cores halted", async () => {
  const { r, m, cores } = await wakeCycles("multi");
  for (const c of cores) assert.ok(c.hlt >= 1 && c.parks >= c.hlt, `core ${c.core}: parks ${c.parks}, hlt ${c.hlt}:\n${r.stderr}`);
  console.log(`  park/wake round trip (real image, -smp 2, multi-threaded TCG): ${(m[1] / 1000).toFixed(1)} us; parks ${cores.map((c) => c.parks).join(", ")}; hlt ${cores.map((c) => c.hlt).join(", ")}`);
});

// What is counted decides: a core that spins instead of parking never enters hlt, and one whose
// park ends again and again enters it at every wake. The halted time is a margin, not a count: an
// idle core is awake only briefly after each wake (here every stall threshold / 4 = 500 ms while
// main runs), but a busy host can keep QEMU off the CPU during such a moment for tens of ms, and
// guest time, which follows the host's clock, goes on meanwhile; over a 2 s window that costs a
// few percent, where a spinning core halts about 0 %.
test("an idle system does not spin: the cores without work stay halted while one core is busy", async () => {
  const r = await aam(["boot", await image("tests/boot/programs/idle.ts"), "--cores", "4", "--stats", "--", "2000"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^idle: core 0 busy for 2000\.0 ms \(clock read\)$/m);
  const cores = coreStats(r.stderr);
  assert.is(cores.length, 4, r.stderr);
  // From the first task (main) to the exit only main's core has work; boot work before it is not
  // idleness. main is a task: whichever core took it first is the busy one (not always core 0).
  const t = /kmain to first task (\d+) us, kmain to exit (\d+) us/.exec(r.stderr);
  assert.ok(t, r.stderr);
  const idle = t[2] - t[1];
  const busy = cores.reduce((a, c) => (c.halted / c.up < a.halted / a.up ? c : a));
  assert.ok(busy.halted < 0.2 * busy.up, `no core was busy:\n${r.stderr}`);
  const idlers = cores.filter((c) => c !== busy);
  for (const c of idlers) {
    assert.ok(c.hlt >= 1 && c.parks >= 1, `core ${c.core} never parked into hlt:\n${r.stderr}`);
    assert.ok(c.hlt < 50, `core ${c.core} entered hlt ${c.hlt} times while idle (woken again and again):\n${r.stderr}`);
    assert.ok(c.halted >= 0.5 * idle, `core ${c.core} halted ${c.halted} us of the ${idle} us after the first task:\n${r.stderr}`);
  }
  console.log(`  busy core ${busy.core}; idle cores: ${idlers.map((c) => `${c.hlt} hlt, halted ${(c.halted / 1000).toFixed(0)} of ${(c.up / 1000).toFixed(0)} ms up`).join("; ")} (${(idle / 1000).toFixed(0)} ms after the first task)`);
});

// A SIGKILL leaves nothing a process can run: the folder (with a 1 GiB sparse RAM file when stdio
// goes through rings) stays and QEMU goes on. The next boot sweeps both (tools/boot/tmp.ts).
test("a SIGKILLed aam boot leaves its temp folder and QEMU; the next aam boot removes the folder and stops that QEMU", async () => {
  const busy = await image("tests/boot/programs/idle.ts");
  const p = spawn(process.execPath, [AAM, "boot", busy, "--cores", "1", "--", "600000"], { stdio: ["ignore", "ignore", "ignore"] });
  const prefix = `aam-boot-${p.pid}-`;
  let dir = null, qemu = 0;
  try {
    for (let i = 0; i < HANG_MS / 50 && !qemu; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const n = fs.readdirSync(os.tmpdir()).find((x) => x.startsWith(prefix));
      if (n && fs.existsSync(path.join(os.tmpdir(), n, "qemu.pid"))) { dir = path.join(os.tmpdir(), n); qemu = Number(fs.readFileSync(path.join(dir, "qemu.pid"), "utf8")); }
    }
    assert.ok(qemu > 0, `no ${prefix}* folder with a qemu.pid appeared`);
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGKILL");
    await exited;
    assert.ok(fs.existsSync(dir), "the folder went with the SIGKILL (nothing should have run)");
    assert.ok(alive(qemu), "QEMU stopped with its parent: nothing left to sweep");
    const r = await aam(["boot", await image("tests/parity/programs/hello.ts"), "--cores", "1"]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.not.ok(fs.existsSync(dir), `${dir} is still there after the next boot`);
    for (let i = 0; i < 200 && alive(qemu); i++) await new Promise((r) => setTimeout(r, 50));   // SIGKILL is asynchronous
    assert.not.ok(alive(qemu), `QEMU ${qemu} still runs after the sweep`);
  } finally {
    if (qemu && alive(qemu)) process.kill(qemu, "SIGKILL");
    if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
});

// A process that still runs and is not a zombie (a killed QEMU is reaped by init once its parent died).
function alive(pid) {
  try { process.kill(pid, 0); } catch { return false; }
  try { return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, "utf8")); } catch { return false; }
}

test("--stats: boot to first task next to a bare boot of the same kernel", async () => {
  const r = await aam(["boot", await image("tests/parity/programs/hello.ts"), "--cores", "2", "--stats"]);
  assert.is(r.code, 0, r.stderr);
  const first = /^aam boot stats: cores 2, kmain to every core in aam_entry (\d+) us, kmain to first task (\d+) us/m.exec(r.stderr);
  const bare = /^aam boot stats: bare boot of the same kernel \(no image, 2 cores\): every core up (\d+) us after kmain, QEMU wall (\d+) ms; this run: QEMU wall (\d+) ms/m.exec(r.stderr);
  assert.ok(first && bare, r.stderr);
  assert.ok(+first[2] >= +first[1] && +first[1] > 0, r.stderr);
  console.log(`  -smp 2: first task ${(first[2] / 1000).toFixed(1)} ms after kmain (all cores in aam_entry ${(first[1] / 1000).toFixed(1)} ms); ` +
    `bare boot ${(bare[1] / 1000).toFixed(1)} ms; QEMU wall ${bare[3]} ms image, ${bare[2]} ms bare`);
});

test("aam image writes an ELF that boots with the QEMU command line of docs/BOOT.md", async () => {
  const out = path.join(ROOT, "build/test-images/exit-by-hand.elf");
  fs.rmSync(out, { force: true });
  const w = await aam(["image", await image("tests/parity/programs/exit.ts"), "-o", out]);
  assert.is(w.code, 0, w.stderr);
  const r = await boot(out, { smp: 2, append: "lf -- 7", timeoutMs: 120000 });
  assert.is(r.stdout, "exit: calling exit(7) from a task\n");
  assert.is(r.code, 7, r.stderr);
});

test("bad uses: missing QEMU, missing gcc, a wasm that is not an image, no -o", async () => {
  const bin = fs.mkdtempSync(path.join(ROOT, "build/nobin-"));
  fs.symlinkSync(process.execPath, path.join(bin, "node"));
  try {
    const img = await image("tests/parity/programs/hello.ts");
    const q = await aam(["boot", img, "--cores", "1"], { env: { PATH: bin } });
    assert.is(q.code, 71);
    assert.match(q.stderr, /^aam: qemu-system-x86_64 not found: install it \(as root: `make system-deps`/m);
    // A new image (an extra custom section) is a cache miss, so the kernel must be compiled.
    const bytes = fs.readFileSync(img), name = Buffer.from("x"), payload = Buffer.from(String(process.hrtime.bigint()));
    const other = path.join(bin, "other.wasm");
    fs.writeFileSync(other, Buffer.concat([bytes, Buffer.from([0, 1 + name.length + payload.length, name.length]), name, payload]));
    const g = await aam(["image", other, "-o", path.join(bin, "x.elf")], { env: { PATH: bin } });
    assert.is(g.code, 71);
    assert.match(g.stderr, /^aam: gcc not found: install it/m);
    const notImage = path.join(bin, "plain.wasm");
    fs.writeFileSync(notImage, Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    const n = await aam(["boot", notImage, "--cores", "1"]);
    assert.is(n.code, 2);
    assert.match(n.stderr, /not an AAM system image/);
    const o = await aam(["image", img]);
    assert.is(o.code, 2);
    assert.match(o.stderr, /aam image needs -o kernel\.elf/);
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

test.run();
