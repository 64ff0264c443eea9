// table1.ts: the in-image part of `aam bench` (tools/bench/run.ts drives it, one run per mode).
// Like the paper's §4.3: a task issues a no-op task that returns a timestamp, locally (spawn) or
// on another machine (machine call), and blocks on its future; nothing else runs. Prints one
// JSON line. Not: statistics across runs, baselines, the choice of mode (run.ts picks the build
// defines and the arguments).
//
// Usage (argv[1] selects the part):
//   table1 rows <app|os> <iterations> <warm-up> <gap µs>   Table 1 rows, 2+ cores
//   table1 tput_local <tasks>                               no-op tasks/s, every core spawns
//   table1 tput_call <calls> <batch>                        no-op calls/s (batch 1 = callSync)
//   table1 footprint <tasks> <blocking>                     heap bytes per queued task
//
// Where the clock is read (now(): the platform's ns clock, one import call per read):
//   direct  = t1 − t0 around `spawn(noop)` / `iface.call(NOOP)` only: the caller's time to issue;
//   latency = t1 − t0 around `spawn(noop).join()` / `iface.call(NOOP).join()`: issue → result held;
//   local_batch = t1 − t0 around BATCH `spawn(noop0).join()` in a row (raw: run.ts divides).
// The clock's own cost is measured first (back-to-back reads) and reported, not subtracted here.
import { Task, Future, Signal, spawn, now, println, args, coreCount, heapBytesInUse, defineMachine, findMachine, connect } from "aam";
import { summary } from "./summary";
import { coreRec } from "~lib/rt/layout";
import { FC_WAKES } from "~lib/rt/abi";

// Platform wakes posted by every core so far (runtime/sched/spin.ts wakeCore counts them).
function wakes(): u64 {
  let k: u64 = 0;
  for (let c = 0; c < coreCount(); c++) k += atomic.load<u64>(coreRec(c) + FC_WAKES);
  return k;
}

// local_batch: BATCH spawn+waits in a row between two clock reads (run.ts makes it per spawn+wait):
// the clock's cost (60–150 ns here, bimodal) is more than one spawn+wait, so the single samples
// minus its median are mostly its noise. queueMicrotask is measured the same way (run.ts).
const BATCH = 16;
const NOOP: u32 = 0;                           // the server's no-op reading the clock (the paper's)
const NOOP0: u32 = 1;                          // the same returning a constant

function noop(t: Task): u64 { return <u64>now(); }
function noop0(t: Task): u64 { return 1; }       // the same without the clock read (~100+ ns on Node)

// footprint: a task that blocks until released (k of them), the rest are no-ops
const gate = memory.data(16);                  // a Signal record (zero: no unit, no waiter)
const left = memory.data(8);                   // no-ops of footprint still to run
const allRan = memory.data(16);                // a Signal: the last no-op tells main, which blocks once
function blocker(t: Task): u64 { changetype<Signal>(gate).wait(); return 1; }
function counted(t: Task): u64 { if (atomic.sub<u32>(left, 1) == 1) changetype<Signal>(allRan).signal(); return 1; }

export function machines(): void {
  let a = args();
  if (a.length < 3) return;
  if (a[1] == "rows") defineMachine("server", { minCores: 1, maxCores: 1, kernel: a[2] == "os" }).offer(NOOP, noop).offer(NOOP0, noop0);
  else if (a[1] == "tput_call") {
    let c = <u32>coreCount();              // the client ("main") keeps one core; the server the rest
    defineMachine("server", { minCores: c > 1 ? c - 1 : 0, maxCores: c > 1 ? c - 1 : 1 }).offer(NOOP, noop);
  }
}


// BATCH spawn+waits, in a function of its own: called once per sample, it is optimised as a
// program's code would be. A loop inside rows() would stay in V8's baseline tier, since rows()
// runs once and wasm has no on-stack replacement (queueMicrotask's callback is optimised too).
function batch(): void { for (let k = 0; k < BATCH; k++) spawn(noop0).join(); }

// Busy-wait `ns` in the calling task: the gap that lets the other machine's core go idle.
function gap(ns: f64): void { if (ns > 0) { let t = now(); while (now() - t < ns) {} } }

function kv(name: string, x: u64): string { return "\"" + name + "\":" + x.toString(); }

function rows(a: string[]): string {
  let n = I32.parseInt(a[3]), warm = I32.parseInt(a[4]);
  let gapNs = F64.parseFloat(a[5]) * 1000.0;
  let clock = new StaticArray<f64>(n), ld = new StaticArray<f64>(n), ll = new StaticArray<f64>(n);
  let cd = new StaticArray<f64>(n), cl = new StaticArray<f64>(n), l0 = new StaticArray<f64>(n), c0 = new StaticArray<f64>(n);
  // The clock's cost is measured after the warm-up: its first thousands of reads are slower (the
  // import is still cold), and subtracting that cost would understate every row.
  for (let i = 0; i < warm; i++) { spawn(noop).join(); now(); }
  for (let i = 0; i < n; i++) { let t0 = now(); clock[i] = now() - t0; }
  for (let i = 0; i < n; i++) {
    gap(gapNs);
    let t0 = now(); let f = spawn(noop); let t1 = now();
    ld[i] = t1 - t0;
    f.join();
  }
  for (let i = 0; i < n; i++) {
    gap(gapNs);
    let t0 = now(); let v = spawn(noop).join(); let t1 = now();
    ll[i] = t1 - t0;
    if (v == 0) return "";
  }
  for (let i = 0; i < n; i++) {
    gap(gapNs);
    let t0 = now(); spawn(noop0).join(); let t1 = now();
    l0[i] = t1 - t0;
  }
  let nb = n, lb = new StaticArray<f64>(nb);      // as many samples as the other rows: 16× the tasks
  for (let i = 0; i < warm; i++) batch();
  for (let i = 0; i < nb; i++) {
    gap(gapNs);
    let t0 = now();
    batch();
    lb[i] = now() - t0;
  }
  let server = findMachine("server")!, main = findMachine("main")!;
  let iface = connect(server, 64);
  for (let i = 0; i < warm; i++) iface.call(NOOP).join();
  let ims0 = main.imsSent + server.imsSent, w0 = wakes();
  let g0 = main.grants + server.grants, r0 = main.revokes + server.revokes;
  for (let i = 0; i < n; i++) {
    gap(gapNs);
    let t0 = now(); let f = iface.call(NOOP); let t1 = now();
    cd[i] = t1 - t0;
    f.join();
  }
  for (let i = 0; i < n; i++) {
    gap(gapNs);
    let t0 = now(); let v = iface.call(NOOP).join(); let t1 = now();
    cl[i] = t1 - t0;
    if (v == 0) return "";
  }
  for (let i = 0; i < n; i++) {
    gap(gapNs);
    let t0 = now(); iface.call(NOOP0).join(); let t1 = now();
    c0[i] = t1 - t0;
  }
  // IMS per call tells which path ran: 0 = both sides monitoring, 2 = a signal each way
  let ims = main.imsSent + server.imsSent - ims0, wk = wakes() - w0;
  let moves = main.grants + server.grants - g0 + main.revokes + server.revokes - r0;
  return summary("clock", clock, n) + "," + summary("local_direct", ld, n) + "," + summary("local_latency", ll, n) + "," + summary("local_latency_noclock", l0, n) + "," + summary("local_batch_noclock", lb, nb) + "," + kv("batch", <u64>BATCH) + "," +
    summary("call_direct", cd, n) + "," + summary("call_latency", cl, n) + "," + summary("call_latency_noclock", c0, n) + "," + kv("calls", <u64>(3 * n)) + "," +
    kv("ims", ims) + "," + kv("wakes", wk) + "," + kv("core_moves", moves) + "," + kv("kernel", server.kernel ? 1 : 0);
}

// Every core runs a driver task (spawned here, stolen by idle cores) that spawns and joins
// batches of no-ops: tasks/s over the whole system.
function driver(t: Task): u64 {
  let n = <u32>t.arg0;
  let fs = new StaticArray<u32>(256);
  for (let done: u32 = 0; done < n; done += 256) {
    let b = min<u32>(256, n - done);
    for (let i: u32 = 0; i < b; i++) fs[i] = changetype<u32>(spawn(noop));
    for (let i: u32 = 0; i < b; i++) changetype<Future>(fs[i]).join();
  }
  return n;
}

function tputLocal(a: string[]): string {
  let n = <u32>I32.parseInt(a[2]);
  let c = <u32>coreCount();
  let ds = new StaticArray<u32>(c);
  let t0 = now();
  for (let i: u32 = 0; i < c; i++) ds[i] = changetype<u32>(spawn(driver, n / c));
  let total: u64 = 0;
  for (let i: u32 = 0; i < c; i++) total += changetype<Future>(ds[i]).join();
  let dt = now() - t0;
  return kv("tasks", total) + ",\"per_s\":" + (<f64>total / (dt / 1e9)).toString();
}

function tputCall(a: string[]): string {
  let n = <u32>I32.parseInt(a[2]), batch = <u32>I32.parseInt(a[3]);
  let server = findMachine("server")!;
  let iface = connect(server, 256);
  for (let i = 0; i < 1000; i++) iface.callSync(NOOP);
  let fs = new StaticArray<u32>(256);
  let t0 = now();
  for (let done: u32 = 0; done < n; done += batch) {
    let b = min<u32>(batch, n - done);
    if (b == 1) { iface.callSync(NOOP); continue; }
    for (let i: u32 = 0; i < b; i++) fs[i] = changetype<u32>(iface.call(NOOP));
    for (let i: u32 = 0; i < b; i++) changetype<Future>(fs[i]).join();
  }
  let dt = now() - t0;
  return kv("calls", <u64>n) + ",\"per_s\":" + (<f64>n / (dt / 1e9)).toString() + "," + kv("calls_in", server.callsIn);
}

// n tasks spawned and not yet run (one core, the spawner holds it), k of which will block:
// heap bytes per queued task; the host's counters give the contexts allocated (run.ts).
function footprint(a: string[]): string {
  let n = <u32>I32.parseInt(a[2]), k = <u32>I32.parseInt(a[3]);
  let fs = new StaticArray<u32>(n);                          // allocated before the baseline
  atomic.store<u32>(left, n - k);
  let b0 = heapBytesInUse(0);
  for (let i: u32 = 0; i < n; i++) fs[i] = changetype<u32>(spawn(i < k ? blocker : counted));
  let queued = heapBytesInUse(0) - b0;
  if (n > k) changetype<Signal>(allRan).wait();                       // runs all; k block
  for (let i: u32 = k; i < n; i++) changetype<Future>(fs[i]).join();   // all done: no block
  let blocked = heapBytesInUse(0) - b0;
  changetype<Signal>(gate).signal(<i32>k);
  for (let i: u32 = 0; i < k; i++) changetype<Future>(fs[i]).join();
  return kv("tasks", <u64>n) + "," + kv("blocking", <u64>k) + ",\"bytes_per_queued_task\":" + (<f64>queued / <f64>n).toString() +
    "," + kv("bytes_while_blocked", <u64>blocked);
}

export function main(): i32 {
  let a = args();
  let out = a[1] == "rows" ? rows(a) : a[1] == "tput_local" ? tputLocal(a) : a[1] == "tput_call" ? tputCall(a) :
    a[1] == "footprint" ? footprint(a) : "";
  if (!out.length) { println("table1: bad arguments or a wrong result"); return 1; }
  println("{" + out + "}");
  return 0;
}
