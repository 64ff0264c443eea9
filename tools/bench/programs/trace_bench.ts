// trace_bench.ts: the cost of one hot trace event in isolation (docs/BENCHMARKS.md, "The cost of
// tracing"). 20 rounds of 40 000 events into this core's ring, each after a 6 ms pause in which the
// host drains the ring, so that no event is dropped; prints the best and the mean ns per event.
//   aam run tools/bench/programs/trace_bench.ts --trace --cores 1
// Without --trace the trace points compile to nothing and the loop measures an empty loop.
import { now, println } from "aam";
import { TRACE, traceHot } from "aam/trace";

export function main(): i32 {
  let n = 40000, rounds = 20;
  let best: f64 = 1e9, sum: f64 = 0;
  for (let r = 0; r < rounds; r++) {
    let w = now(); while (now() - w < 6e6) {}          // the host drains the ring meanwhile
    let t0 = now();
    for (let i = 0; i < n; i++) { if (TRACE) traceHot(1, 1, 2, <u32>i); }
    let dt = (now() - t0) / <f64>n;
    if (dt < best) best = dt;
    sum += dt;
  }
  println("trace " + (TRACE ? "on" : "off") + ": ns per hot event, best " + best.toString() + ", mean " + (sum / <f64>rounds).toString());
  return 0;
}
