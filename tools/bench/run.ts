// run.ts: `aam bench`, the paper's Table 1 and Table 2 reproduced on this machine, with the
// baselines, throughput and footprint measured in the same run, printed as markdown and written
// as JSON (--json, the shape of issue 6). Owns: the modes (build defines and arguments), the order
// of the runs, the ratios and the goals. Not: the in-image measurement (programs/table1.ts), the
// C and Node baselines (native.ts, node-baselines.ts), QEMU (tools/boot/boot.ts, used as is).
//
// Modes of Table 1 (docs/BENCHMARKS.md says more):
//  active: grace period 1 s (AAM_GRACE_US): an interface stays monitored, no IMS is sent; the
//          manager's policy is off (AAM_TICK_US = 10^9 µs): each machine keeps the core it got
//          at boot (server min = max = 1). Cores still park after the scheduler's spin window.
//  idle:   grace period 0: a receiver stops monitoring at its first empty poll, so every call
//          and every result needs an IMS; the caller waits GAP_US between iterations so the
//          other side's core has parked. Cores stay assigned (policy off, see BENCHMARKS.md).
//  spin:   as active, built with the scheduler's spin window made unbounded (AAM_SPINS), so both
//          cores keep polling as in the paper's active mode. Only when the runtime has the hook;
//          else from a patched copy of the runtime under build/bench/ (labelled so).

import { spawn as spawnChild } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cachedBuild } from "../build/cache";
import { runImage, defaultCores } from "../host/node";
import { minus, perOp, ns, overRounds, type Stats } from "./stats";
import { microtaskRoundTrip, microtaskBatch, clockCost, promiseAwait, postMessageRoundTrip, atomicsRoundTrip, wasmSpinRoundTrip, piscinaRoundTrip, piscinaThroughput } from "./node-baselines";
import { compileC, runC, C_OPS } from "./native";
import { benchPolicy } from "./policy";

export interface BenchOptions { root: string; iterations: number; quick: boolean; host: "node" | "qemu"; out: (s: string) => void; rounds?: number }
interface Baseline { id: string; ns: Stats; wakes_per_call?: number; rounds: number }
type Mode = "active" | "idle" | "spin" | "parked";
interface Row { id: string; mode: Mode; host: string; direct_ns: Stats; latency_ns: Stats; ims_per_call: number; wakes_per_call: number; core_moves: number; latency_noclock_ns?: Stats; latency_noclock_batch_ns?: Stats }

const PROGRAM = "tools/bench/programs/table1.ts";
const GAP_US = 50;
// The parked mode's gap: longer than any spin window (CAP, twice the measured wake: 40–80 µs
// here), so the server's core has parked when the call comes; 1/PARKED_SHARE of the iterations.
const PARKED_GAP_US = 1000;
const PARKED_SHARE = 20;
// Operations timed in a row between two clock reads: table1.ts's BATCH (which each run reports
// as `batch`; a run that reports another number is refused below) and the microtask batch.
const BATCH = 16;
const DEFINES: Record<Mode, Record<string, string>> = {
  active: { AAM_GRACE_US: "1000000", AAM_TICK_US: "1000000000" },
  idle: { AAM_GRACE_US: "0", AAM_TICK_US: "1000000000" },
  spin: { AAM_GRACE_US: "1000000", AAM_TICK_US: "1000000000", AAM_SPINS: "1000000000" },
  parked: { AAM_GRACE_US: "0", AAM_TICK_US: "1000000000" },
};
// The paper's Table 1 (mean ns) and Table 2.
const PAPER: Record<string, [number, number]> = {
  "local_task/active": [56, 277], "call_app/active": [74, 868], "call_os/active": [75, 882],
  "local_task/idle": [57, 278], "call_app/idle": [276, 2808], "call_os/idle": [294, 2787],
};
const PAPER2: Record<string, number> = { thread_switch: 1250, process_switch: 1725, gettid: 174, pthread_create: 6980 };
const NAMES: Record<string, string> = {
  local_task: "local task execution", call_app: "machine call (application machine)", call_os: "machine call (OS/kernel machine)",
  thread_switch: "thread context switch (futex ping-pong, 1 CPU)", process_switch: "process context switch (pipe ping-pong, 1 CPU)",
  gettid: "gettid system call", pthread_create: "pthread_create", c_spin_rt: "C cross-core round trip, both spinning",
  microtask_rt: "Node queueMicrotask round trip", microtask_batch: `Node queueMicrotask round trip, ${BATCH} in a row between clock reads (per hop)`, promise_await: "Node await of a resolved promise",
  post_message_rt: "Node worker postMessage round trip", atomics_rt: "Node Atomics.wait/notify round trip (2 workers)",
  piscina_rt: "Piscina task round trip (1 worker)",
  wasm_spin_rt: "wasm cross-core round trip, both spinning (2 workers: the engine's floor)",
  atomics_gap_2w: "Node Atomics.wait/notify round trip after a 50 µs gap, 2 wakes (both wait)",
  atomics_gap_1w: "Node Atomics.wait/notify round trip after a 50 µs gap, 1 wake (caller spins)",
  atomics_parked_2w: "Node Atomics.wait/notify round trip after a 1 ms gap, 2 wakes (both wait)",
  atomics_parked_1w: "Node Atomics.wait/notify round trip after a 1 ms gap, 1 wake (caller spins)",
};
const BASE_ORDER = ["thread_switch", "process_switch", "gettid", "pthread_create", "c_spin_rt", "wasm_spin_rt", "microtask_rt", "microtask_batch", "promise_await",
  "post_message_rt", "atomics_rt", "atomics_gap_2w", "atomics_gap_1w", "atomics_parked_2w", "atomics_parked_1w", "piscina_rt"];

export async function benchAll(o: BenchOptions): Promise<any> {
  const n = o.iterations, warm = Math.min(1000, Math.max(10, n >> 3));
  const cores = defaultCores();
  const notes: string[] = [];
  const date = new Date().toISOString().slice(0, 10);
  const say = (s: string): void => o.out(s + "\n");
  const tcg = o.host === "qemu" ? (await import("../boot/boot")).tcgThreads() : null;   // AAM_TCG
  say(`# aam bench — ${date}, host ${o.host}${tcg ? ` (${tcg}-threaded TCG-emulated: QEMU without KVM)` : ""}, ${os.cpus().length} CPUs ` +
    `(${os.cpus()[0]?.model ?? "?"}), load average ${os.loadavg()[0].toFixed(2)}, ${n} iterations${o.quick ? " (--quick)" : ""}\n`);

  // ── Table 1 and the baselines its ratios use, in interleaved rounds ──
  // Each round runs every such row once with n/R iterations (a fresh image per Table 1 row and
  // mode), then the C spin round trip, the wasm spin floor, the Atomics round trips with the idle
  // row's gap and queueMicrotask: a slow stretch of this shared VM then hits one round of every
  // row, not all of one row. A row's median is the median of its rounds' medians (stats.ts).
  // Under single-threaded TCG a spinning vCPU keeps QEMU's one host thread until its time slice
  // ends: a call then waited ~200 ms (measured), which says nothing about the system. Multi-
  // threaded TCG (AAM_TCG=multi) runs the vCPUs side by side: the spin rows run there.
  const spinRoot = tcg === "single" ? null : o.root;       // machine/core.ts honours AAM_SPINS
  if (tcg === "single") notes.push("spin rows not run under QEMU with single-threaded TCG: it runs one vCPU at a time, so a spinning vCPU holds the host thread for a whole time slice (~200 ms per call measured); AAM_TCG=multi runs them");
  const modes: Mode[] = spinRoot ? ["active", "idle", "parked", "spin"] : ["active", "idle", "parked"];
  const images: Partial<Record<Mode, Uint8Array>> = {};
  for (const mode of modes) images[mode] = await image(mode === "spin" ? spinRoot! : o.root, DEFINES[mode]);
  const R = Math.max(1, o.rounds ?? (o.quick ? 3 : 5));
  const per = Math.max(10, Math.ceil(n / R)), warmPer = Math.min(1000, Math.max(10, per >> 3));
  // Warm-up of the rows that run JIT-compiled code in a fresh process each round (Table 1's, the
  // wasm spin floor, queueMicrotask): with 250 iterations two runs in three still ran in V8's
  // baseline tier (the clock read 140–150 ns against 50–60, a local spawn+wait 89–115 against
  // 69–77, measured 2026-12-05); with 4000 none did. Not the rows with gaps (µs each).
  const warmJit = Math.max(warmPer, 4000);
  const perParked = Math.max(20, Math.ceil(per / PARKED_SHARE)), warmParked = 10;
  const cbin = compileC(o.root);
  if (cbin.note) notes.push(cbin.note);
  const acc = new Map<string, { id: string; mode: Mode; direct: Stats[]; latency: Stats[]; noclock: Stats[]; batch: Stats[]; ims: number; wakes: number; calls: number; moves: number }>();
  const baseAcc = new Map<string, { ns: Stats[]; wakes: number[] }>();
  const addBase = (id: string, s: Stats | string, wakes?: number): number | undefined => {
    if (typeof s === "string") { notes.push(`${id}: ${s}`); return undefined; }
    const e = baseAcc.get(id) ?? { ns: [], wakes: [] };
    e.ns.push(s);
    if (wakes !== undefined) e.wakes.push(wakes);
    baseAcc.set(id, e);
    return s.median;
  };
  const rounds: { round: number; load_average: number; medians: Record<string, number> }[] = [];
  const failed = new Set<string>();
  clockCost(n);                                            // the clock's first reads are slower
  const jsClock = clockCost(n);
  for (let k = 1; k <= R; k++) {
    const med: Record<string, number> = {};
    const load = os.loadavg()[0];
    for (const mode of modes) {
      for (const kind of ["app", "os"]) {
        if (failed.has(`${kind}/${mode}`)) continue;
        const args = mode === "parked" ? ["rows", kind, String(perParked), String(warmParked), String(PARKED_GAP_US)]
          : ["rows", kind, String(per), String(warmJit), String(mode === "idle" ? GAP_US : 0)];
        let w: any;
        try {
          w = o.host === "qemu" ? await runQemu(o.root, images[mode]!, 2, args) : await runNode(images[mode]!, 2, args);
        } catch (e) {
          notes.push(`${kind} ${mode} on ${o.host}: could not run (${(e as Error).message.split("\n")[0]})`);
          failed.add(`${kind}/${mode}`);
          continue;
        }
        const c = w.clock.median;
        const put = (id: string, direct: Stats, latency: Stats, noclock: Stats, ims: number, wakes: number, calls: number, moves: number): void => {
          const key = `${id}/${mode}`;
          const e = acc.get(key) ?? { id, mode, direct: [], latency: [], noclock: [], batch: [], ims: 0, wakes: 0, calls: 0, moves: 0 };
          e.direct.push(minus(direct, c)); e.latency.push(minus(latency, c)); e.noclock.push(minus(noclock, c));
          e.ims += ims; e.wakes += wakes; e.calls += calls; e.moves += moves;
          acc.set(key, e);
          med[key] = latency.median - c;
          med[`${key}/noclock`] = noclock.median - c;
        };
        if (kind === "app") {
          put("local_task", w.local_direct, w.local_latency, w.local_latency_noclock, 0, 0, 0, 0);
          if (w.batch !== BATCH) throw new Error(`${PROGRAM} times ${w.batch} spawn+waits in a row, the microtask row ${BATCH}: make them agree`);
          const b = perOp(w.local_batch_noclock, c, BATCH);        // BATCH in a row between two clock reads
          acc.get(`local_task/${mode}`)!.batch.push(b);
          med[`local_task/${mode}/batch`] = b.median;
        }
        put(kind === "app" ? "call_app" : "call_os", w.call_direct, w.call_latency, w.call_latency_noclock, w.ims, w.wakes, w.calls, w.core_moves);
        if (kind === "os" && !w.kernel && k === 1) notes.push("call_os: the server machine did not report itself as kernel-level");
      }
    }
    const m = (id: string, x: number | undefined): void => { if (x !== undefined) med[id] = x; };
    if (cbin.bin) m("c_spin_rt", addBase("c_spin_rt", runC(cbin.bin, "c_spin_rt", per, warmPer), 0));
    m("wasm_spin_rt", addBase("wasm_spin_rt", await wasmSpinRoundTrip(o.root, per, warmJit), 0));
    // the idle row's and the parked row's gaps, each with the caller waiting (2 wakes) or spinning (1)
    for (const [id, gap, spin] of [["atomics_gap_2w", GAP_US, false], ["atomics_gap_1w", GAP_US, true],
      ["atomics_parked_2w", PARKED_GAP_US, false], ["atomics_parked_1w", PARKED_GAP_US, true]] as const) {
      const parked = gap === PARKED_GAP_US;
      const a = await atomicsRoundTrip(o.root, parked ? perParked : per, parked ? warmParked : warmPer, gap, spin);
      m(id, addBase(id, a.ns, a.wakes_per_call));
    }
    // best of two runs: the first of a round ran cold in some rounds (480–961 ns against 70–190:
    // the workers of the rows above still ending), which flattered every ratio against it
    const mt1 = await microtaskRoundTrip(per, warmJit), mt2 = await microtaskRoundTrip(per, warmJit);
    m("microtask_rt", addBase("microtask_rt", minus(mt1.median <= mt2.median ? mt1 : mt2, jsClock.median)));
    const mb1 = await microtaskBatch(per, warmJit, BATCH), mb2 = await microtaskBatch(per, warmJit, BATCH);
    m("microtask_batch", addBase("microtask_batch", perOp(mb1.median <= mb2.median ? mb1 : mb2, jsClock.median, BATCH)));
    rounds.push({ round: k, load_average: load, medians: med });
  }
  const rows: Row[] = [...acc.values()].map((e) => ({
    id: e.id, mode: e.mode, host: o.host, direct_ns: overRounds(e.direct), latency_ns: overRounds(e.latency),
    ims_per_call: e.calls ? e.ims / e.calls : 0, wakes_per_call: e.calls ? e.wakes / e.calls : 0, core_moves: e.moves,
    latency_noclock_ns: overRounds(e.noclock),
    ...(e.batch.length ? { latency_noclock_batch_ns: overRounds(e.batch) } : {}),
  }));
  printTable1(rows, say, o.host, spinRoot && spinRoot !== o.root);

  // ── Table 2 and the other peers (always on this Linux / Node, whatever the host of Table 1),
  // measured once after the rounds ──
  for (const op of C_OPS) if (cbin.bin && op !== "c_spin_rt") addBase(op, runC(cbin.bin, op, op === "pthread_create" ? Math.min(n, 5000) : n, warm));
  addBase("promise_await", minus(await promiseAwait(n, warm), jsClock.median));
  addBase("post_message_rt", await postMessageRoundTrip(o.root, Math.min(n, 5000), Math.min(warm, 200)));
  const at = await atomicsRoundTrip(o.root, n, warm);
  addBase("atomics_rt", at.ns, at.wakes_per_call);
  addBase("piscina_rt", await piscinaRoundTrip(o.root, Math.min(n, 5000), Math.min(warm, 200)));
  const base: Baseline[] = BASE_ORDER.filter((id) => baseAcc.has(id)).map((id) => {
    const e = baseAcc.get(id)!;
    return { id, ns: overRounds(e.ns), ...(e.wakes.length ? { wakes_per_call: e.wakes.reduce((a, x) => a + x, 0) / e.wakes.length } : {}), rounds: e.ns.length };
  });
  printBaselines(base, say);
  printRounds(rounds, say);

  // ── throughput on 1..N cores, and footprint ──
  const tput: { id: string; cores: number; per_s: number }[] = [];
  const tasks = o.quick ? 20000 : 400000, calls = o.quick ? 5000 : 100000;
  for (let c = 1; c <= cores; c++) {
    const local = await runNode(images.active!, c, ["tput_local", String(tasks)]);
    tput.push({ id: "local_spawn", cores: c, per_s: local.per_s });
    if (c >= 2) {                                   // a client core and at least one server core
      for (const [id, batch] of [["call_batched", 64], ["call_unbatched", 1]] as const) {
        const r = await runNode(images.active!, c, ["tput_call", String(calls), String(batch)]);
        tput.push({ id, cores: c, per_s: r.per_s });
      }
    }
    const p = await piscinaThroughput(o.root, c, o.quick ? 20000 : 200000);
    if (typeof p === "string") notes.push(`piscina throughput: ${p}`); else tput.push({ id: "piscina", cores: c, per_s: p });
  }
  if (cores < 2) notes.push("machine-call throughput needs 2 cores (one client, one server): this machine has 1");
  else notes.push("machine-call throughput on 1 core is not measured: client and server would share the core through the manager");
  printThroughput(tput, cores, say);

  const foot = await footprint(images.active!, o.quick ? [0, 100] : [0, 100, 10000]);
  printFootprint(foot, say);

  // The Machine Manager's figures (policy.ts, `aam bench policy` alone): churn under a steady
  // load, the load step, and the CPU an idle system uses.
  const pol = await benchPolicy(o.root, o.quick ? 1 : 3, o.out);

  const ratios = computeRatios(rows, base, tput, foot.bytes_per_queued_task);
  printRatios(ratios, say);
  if (notes.length) say("## Notes\n\n" + notes.map((x) => `- ${x}`).join("\n") + "\n");
  return {
    host: o.host, ...(tcg ? { tcg } : {}), cores: 2, iterations: n, date, quick: o.quick, load_average: os.loadavg()[0], rounds,
    rows: rows.filter((r) => r.mode === "active" || r.mode === "idle"), rows_spin: rows.filter((r) => r.mode === "spin"),
    rows_parked: rows.filter((r) => r.mode === "parked"),
    baselines: base, throughput: tput, footprint: foot, ratios, notes,
    policy: { steady_changes_per_s: pol.steady_changes_per_s, load_step_ticks: pol.load_step_ticks }, idle_cpu_percent: pol.idle_cpu_percent,
  };
}

// ── images and runs ──

// Images come from the image cache (tools/build/cache.ts), like every other build.
async function image(srcRoot: string, defines: Record<string, string>): Promise<Uint8Array> {
  return (await cachedBuild({ entry: path.join(srcRoot, PROGRAM), root: srcRoot, defines })).wasm;
}

// One run of the image on the Node host; its stdout's last line is JSON.
async function runNode(wasm: Uint8Array, cores: number, args: string[], stats = false): Promise<any> {
  const tmp = path.join(os.tmpdir(), `aam-bench-${process.pid}-${Date.now()}.out`);
  const fd = fs.openSync(tmp, "w+");
  try {
    const module = new WebAssembly.Module(wasm);
    const manifest = JSON.parse(Buffer.from(WebAssembly.Module.customSections(module, "aam.manifest")[0]).toString("utf8"));
    const r = await runImage({ module, manifest, cores, args: ["table1", ...args], fds: [fd, 2], stats });
    const text = fs.readFileSync(tmp, "utf8");
    if (r.code !== 0) throw new Error(`table1 ${args.join(" ")} exited ${r.code}: ${text}`);
    return { ...JSON.parse(text.trim().split("\n").pop()!), stats: r.stats };
  } finally { fs.closeSync(fd); fs.rmSync(tmp, { force: true }); }
}

// One boot under QEMU (TCG as AAM_TCG says, tools/boot/boot.ts's command line); stdout captured.
async function runQemu(root: string, wasm: Uint8Array, smp: number, args: string[]): Promise<any> {
  const { kernelFor, qemuArgs, requireTool, QEMU } = await import("../boot/boot");
  requireTool(QEMU);
  const elf = kernelFor(root, wasm);
  const err = path.join(os.tmpdir(), `aam-bench-qemu-${process.pid}.err`);
  const argv = qemuArgs(elf, smp, ["lf", "--", ...args].join(" "), `file,path=${err}`);
  try {
    const { status, stdout } = await new Promise<{ status: number | null; stdout: string }>((res, rej) => {
      const p = spawnChild(QEMU, argv, { stdio: ["ignore", "pipe", "ignore"] });
      let out = "";
      const timer = setTimeout(() => p.kill("SIGKILL"), 600000);
      p.stdout.on("data", (d) => (out += d));
      p.on("error", rej);
      p.on("close", (s) => { clearTimeout(timer); res({ status: s, stdout: out }); });
    });
    if (status !== 1) throw new Error(`QEMU status ${status} (guest exit ${status !== null && status % 2 ? (status - 1) / 2 : "none"}): ${stdout.slice(-300)} ${fs.existsSync(err) ? fs.readFileSync(err, "utf8").slice(-300) : ""}`);
    return JSON.parse(stdout.trim().split("\n").pop()!);
  } finally { fs.rmSync(err, { force: true }); }
}

async function footprint(wasm: Uint8Array, ks: number[]): Promise<any> {
  const N = 100000;
  const blocking: { k: number; contexts_peak: number; context_allocs: number }[] = [];
  let bytes = 0;
  for (const k of ks) {
    const r = await runNode(wasm, 1, ["footprint", String(N), String(k)], true);
    bytes = r.bytes_per_queued_task;
    blocking.push({ k, contexts_peak: r.stats.contextsPeak, context_allocs: r.stats.cores.reduce((a: number, c: any) => a + c.ctxAllocs, 0) });
  }
  return { bytes_per_queued_task: bytes, queued_tasks: N, blocking };
}

// ── ratios and goals (issue 6) ──

function computeRatios(rows: Row[], base: Baseline[], tput: { id: string; cores: number; per_s: number }[], bytes: number): any[] {
  const r = (id: string, mode: Mode): Stats | undefined => rows.find((x) => x.id === id && x.mode === mode)?.latency_ns;
  const b = (id: string): Stats | undefined => base.find((x) => x.id === id)?.ns;
  const out: any[] = [];
  const ratio = (id: string, what: string, num: Stats | undefined, den: Stats | undefined, goal: number): void => {
    if (num && den) out.push({ id, what, value: num.median / den.median, goal, met: num.median / den.median <= goal });
  };
  ratio("local_vs_microtask", "local spawn+wait latency / queueMicrotask round trip", r("local_task", "active"), b("microtask_rt"), 1.0);
  const l0 = rows.find((x) => x.id === "local_task" && x.mode === "active")?.latency_noclock_ns;
  ratio("local_noclock_vs_microtask", "local spawn+wait latency, no-op without clock read / queueMicrotask", l0, b("microtask_rt"), 1.0);
  const lb = rows.find((x) => x.id === "local_task" && x.mode === "active")?.latency_noclock_batch_ns;
  ratio("local_batch_vs_microtask_batch", `local spawn+wait, constant no-op, ${BATCH} in a row between clock reads / queueMicrotask, ${BATCH} in a row (per operation)`, lb, b("microtask_batch"), 1.0);
  ratio("idle_call_vs_atomics", "idle machine call latency / Atomics wait/notify round trip", r("call_app", "idle"), b("atomics_rt"), 1.2);
  ratio("active_call_vs_c_spin", "active machine call latency / C spin round trip", r("call_app", "active"), b("c_spin_rt"), 1.5);
  ratio("spin_call_vs_c_spin", "spin-mode machine call latency / C spin round trip (paper's 'active')", r("call_app", "spin"), b("c_spin_rt"), 1.5);
  const c0 = (mode: Mode): Stats | undefined => rows.find((x) => x.id === "call_app" && x.mode === mode)?.latency_noclock_ns;
  ratio("active_call_noclock_vs_c_spin", "active machine call latency, constant no-op / C spin round trip (issue 15)", c0("active"), b("c_spin_rt"), 1.5);
  ratio("active_call_noclock_vs_wasm_spin", "active machine call latency, constant no-op / wasm spin round trip (the engine's floor)", c0("active"), b("wasm_spin_rt"), 1.5);
  ratio("idle_call_noclock_vs_atomics", "idle machine call latency, constant no-op / Atomics round trip with the same gap, 2 wakes (issue 15)", c0("idle"), b("atomics_gap_2w"), 1.0);
  ratio("idle_call_noclock_vs_atomics_1w", "idle machine call latency, constant no-op / Atomics round trip with the same gap, 1 wake (issue 15's moonshot ≤ 0.7× of 2 wakes)", c0("idle"), b("atomics_gap_1w"), 1.0);
  ratio("parked_call_noclock_vs_atomics", `parked machine call (${PARKED_GAP_US} µs gap: the server's core parked), constant no-op / Atomics round trip with the same gap, 2 wakes`, c0("parked"), b("atomics_parked_2w"), 1.0);
  ratio("parked_call_noclock_vs_atomics_1w", `parked machine call, constant no-op / Atomics round trip with the same gap, 1 wake (the moonshot: ≤ 0.7× of 2 wakes)`, c0("parked"), b("atomics_parked_1w"), 1.0);
  const best = (id: string): { cores: number; per_s: number } | undefined => tput.filter((x) => x.id === id).sort((a, c) => c.per_s - a.per_s)[0];
  const ours = best("local_spawn"), pis = best("piscina");
  if (ours && pis) out.push({ id: "throughput_vs_piscina", what: `local spawn throughput (${ours.cores} cores) / Piscina (${pis.cores} threads), best of each`, value: ours.per_s / pis.per_s, goal: 50, met: ours.per_s / pis.per_s >= 50, higher_is_better: true });
  const unb = tput.find((x) => x.id === "call_unbatched" && x.cores === 2);
  if (unb) out.push({ id: "call_unbatched_per_s", what: "unbatched sync machine calls per second, 2 cores (issue 15)", value: unb.per_s, goal: 1e6, met: unb.per_s >= 1e6, higher_is_better: true, unit: "/s" });
  out.push({ id: "bytes_per_queued_task", what: "heap bytes per queued task", value: bytes, goal: 64, met: bytes <= 64 });
  return out;
}

// ── printing ──

const cell = (s: Stats): string => `${ns(s.median)} (${ns(s.mean)} ± ${ns(s.sd)}; p99 ${ns(s.p99)})`;

function printTable1(rows: Row[], say: (s: string) => void, host: string, patched: boolean | null): void {
  say(`## Table 1: direct cost and total latency (host ${host}${host === "qemu" ? ", TCG-emulated" : ""}; ns, median (mean ± sd; p99); clock cost subtracted)\n`);
  say("| mode | operation | paper direct (mean ± sd) | ours direct | paper latency | ours latency | IMS per call | wakes per call |");
  say("|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const p = PAPER[`${r.id}/${r.mode === "spin" ? "active" : r.mode === "parked" ? "idle" : r.mode}`];
    const m = r.mode === "spin" ? `spin${patched ? " (patched copy)" : ""}` : r.mode;
    say(`| ${m} | ${NAMES[r.id]} | ${p[0]} ns | ${cell(r.direct_ns)} | ${p[1]} ns | ${cell(r.latency_ns)} | ${r.id === "local_task" ? "–" : r.ims_per_call.toFixed(2)} | ${r.id === "local_task" ? "–" : r.wakes_per_call.toFixed(2)} |`);
  }
  for (const r of rows.filter((x) => x.latency_noclock_ns)) say(`| ${r.mode === "spin" ? "spin" : r.mode} | ${NAMES[r.id]}, no-op without the clock read | – | – | – | ${cell(r.latency_noclock_ns!)} | – | – |`);
  for (const r of rows.filter((x) => x.latency_noclock_batch_ns)) say(`| ${r.mode === "spin" ? "spin" : r.mode} | ${NAMES[r.id]}, no-op without the clock read, ${BATCH} in a row between clock reads (per task) | – | – | – | ${cell(r.latency_noclock_batch_ns!)} | – | – |`);
  say(`\nn = ${rows[0]?.latency_ns.n ?? 0} per row. active: grace 1 s, cores stay assigned, cores park after the scheduler's spin window; ` +
    `idle: grace 0 and ${GAP_US} µs between calls (IMS each way; a 50 µs gap is inside the server's spin window, so its core mostly does not park: see wakes per call); ` +
    `parked: idle with ${PARKED_GAP_US} µs between calls, longer than any spin window, so the server's core has parked (n/${PARKED_SHARE} iterations); spin: active with an unbounded spin window (the paper's "active").\n`);
}

function printBaselines(base: Baseline[], say: (s: string) => void): void {
  say("## Table 2 and peers, measured in the same run\n");
  say("| operation | paper (Table 2) | ours: median | mean ± sd | p99 | n | wakes per call | rounds |");
  say("|---|---|---|---|---|---|---|---|");
  for (const b of base) say(`| ${NAMES[b.id]} | ${PAPER2[b.id] ? PAPER2[b.id] + " ns" : "–"} | ${ns(b.ns.median)} | ${ns(b.ns.mean)} ± ${ns(b.ns.sd)} | ${ns(b.ns.p99)} | ${b.ns.n} | ${b.wakes_per_call === undefined ? "–" : b.wakes_per_call.toFixed(2)} | ${b.rounds} |`);
  say("\n(rounds > 1: interleaved with Table 1's rows, median of the rounds' medians; the others ran once after the rounds)\n");
}

// Each round's medians of the rows the issue's ratios compare, and the load average at its start.
function printRounds(rounds: { round: number; load_average: number; medians: Record<string, number> }[], say: (s: string) => void): void {
  const cols: [string, string][] = [["call_app/active/noclock", "active call, constant no-op"], ["call_app/spin/noclock", "spin-mode call, constant no-op"],
    ["c_spin_rt", "C spin"], ["wasm_spin_rt", "wasm spin"], ["call_app/idle/noclock", "idle call, constant no-op"], ["atomics_gap_2w", "Atomics, 2 wakes"],
    ["atomics_gap_1w", "Atomics, 1 wake"], ["call_app/parked/noclock", "parked call, constant no-op"], ["atomics_parked_2w", "Atomics 1 ms gap, 2 wakes"],
    ["atomics_parked_1w", "Atomics 1 ms gap, 1 wake"], ["local_task/active/noclock", "local spawn+wait, constant no-op"], ["microtask_rt", "queueMicrotask"],
    ["local_task/active/batch", `local spawn+wait ×${BATCH}, per op`], ["microtask_batch", `queueMicrotask ×${BATCH}, per hop`]];
  const have = cols.filter(([k]) => rounds.some((r) => r.medians[k] !== undefined));
  say("## Rounds: each round's medians\n");
  say(`| round | load average | ${have.map(([, h]) => h).join(" | ")} |`);
  say(`|---|---|${have.map(() => "---").join("|")}|`);
  for (const r of rounds) say(`| ${r.round} | ${r.load_average.toFixed(2)} | ${have.map(([k]) => (r.medians[k] === undefined ? "–" : ns(r.medians[k]))).join(" | ")} |`);
  say("");
}

function printThroughput(t: { id: string; cores: number; per_s: number }[], cores: number, say: (s: string) => void): void {
  say("## Throughput: no-op tasks per second\n");
  say("| cores | local spawn | machine calls, batched ×64 | machine calls, unbatched | Piscina (same threads) | local / Piscina |");
  say("|---|---|---|---|---|---|");
  const f = (id: string, c: number): number | undefined => t.find((x) => x.id === id && x.cores === c)?.per_s;
  const k = (x?: number): string => (x === undefined ? "–" : x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : `${(x / 1e3).toFixed(1)} k/s`);
  for (let c = 1; c <= cores; c++) {
    const l = f("local_spawn", c), p = f("piscina", c);
    say(`| ${c} | ${k(l)} | ${k(f("call_batched", c))} | ${k(f("call_unbatched", c))} | ${k(p)} | ${l && p ? (l / p).toFixed(1) + "×" : "–"} |`);
  }
  say("");
}

function printFootprint(f: any, say: (s: string) => void): void {
  say(`## Footprint\n\nheap bytes per queued (spawned, not yet run) task: ${f.bytes_per_queued_task.toFixed(1)} (${f.queued_tasks} tasks)\n`);
  say("| tasks queued | of which block | contexts in existence at peak | contexts allocated |");
  say("|---|---|---|---|");
  for (const b of f.blocking) say(`| ${f.queued_tasks} | ${b.k} | ${b.contexts_peak} | ${b.context_allocs} |`);
  say("\n(contexts allocated also counts the root task's own waits: once for the no-ops, then once per blocker it joins before that blocker resumed)\n");
}

function printRatios(ratios: any[], say: (s: string) => void): void {
  say("## Ratios and the issue's goals (medians)\n");
  say("| ratio | value | goal | met |");
  say("|---|---|---|---|");
  const v = (r: any, x: number): string => (r.id === "bytes_per_queued_task" ? x.toFixed(1) + " B" : r.unit === "/s" ? (x / 1e6).toFixed(2) + " M/s" : x.toFixed(2) + "×");
  for (const r of ratios) say(`| ${r.what} | ${v(r, r.value)} | ${r.higher_is_better ? "≥" : "≤"} ${v(r, r.goal)} | ${r.met ? "yes" : "**no**"} |`);
  say("");
}

