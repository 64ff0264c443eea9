// sched_bench.ts: in-image part of the local task benchmark (tools/bench/sched.ts runs it).
// Like the paper's §4.3: a task spawns a no-op task that returns a timestamp and blocks on its
// future; nothing else runs. Prints one JSON line of raw per-iteration samples' summaries.
// Usage: sched_bench [iterations] [warm-up]
import { Task, Future, spawn, now, println, args } from "aam";
import { summary } from "./summary";

function noop(t: Task): u64 { return <u64>now(); }
function add1(x: u64): u64 { return x + 1; }
function one(t: Task): u64 { return 1; }


export function main(): i32 {
  let a = args();
  let n = a.length > 1 ? I32.parseInt(a[1]) : 10000;
  let warm = a.length > 2 ? I32.parseInt(a[2]) : 1000;
  let clock = new StaticArray<f64>(n), direct = new StaticArray<f64>(n), lat = new StaticArray<f64>(n);
  let batch = new StaticArray<f64>(n / 100 + 1), latBatch = new StaticArray<f64>(n / 100 + 1), indirect = new StaticArray<f64>(100);
  for (let i = 0; i < n; i++) { let t0 = now(); clock[i] = now() - t0; }
  for (let i = 0; i < warm; i++) spawn(noop).join();
  for (let i = 0; i < n; i++) {                       // direct cost: the caller's time to issue
    let t0 = now(); let f = spawn(noop); let t1 = now();
    direct[i] = t1 - t0;
    f.join();
  }
  for (let i = 0; i < n; i++) {                       // total latency: issue → result in hand
    let t0 = now(); let v = spawn(noop).join(); let t1 = now();
    lat[i] = t1 - t0;
    if (v == 0) return 1;
  }
  let fs = new StaticArray<u32>(100);
  let nb = n / 100;
  for (let b = 0; b < nb; b++) {                      // direct cost amortised over 100 spawns
    let t0 = now();
    for (let i = 0; i < 100; i++) fs[i] = changetype<u32>(spawn(noop));
    batch[b] = (now() - t0) / 100;
    for (let i = 0; i < 100; i++) changetype<Future>(fs[i]).join();
  }
  for (let b = 0; b < nb; b++) {                      // spawn + wait amortised over 100, no clock in the task
    let t0 = now();
    let k: u64 = 0;
    for (let i = 0; i < 100; i++) k += spawn(one).join();
    latBatch[b] = (now() - t0) / 100;
    if (k != 100) return 1;
  }
  let fn = add1;
  let idx = fn.index;
  let x: u64 = 0;
  for (let r = 0; r < 100; r++) {                     // in-wasm call_indirect, 10^5 calls a sample
    let t0 = now();
    for (let i = 0; i < 100000; i++) x = call_indirect<u64>(idx, x);
    indirect[r] = (now() - t0) / 100000;
  }
  println("{" + summary("clock", clock, n) + "," + summary("direct", direct, n) + "," + summary("latency", lat, n) + "," +
    summary("direct_batched", batch, nb) + "," + summary("latency_batched", latBatch, nb) + "," + summary("call_indirect", indirect, 100) + ",\"check\":" + x.toString() + "}");
  return 0;
}
