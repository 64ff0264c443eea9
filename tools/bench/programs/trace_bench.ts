// trace_bench.ts: the cost of the hot trace events in isolation (docs/BENCHMARKS.md, "The cost of
// tracing"). 20 rounds of 40 000 close+open pairs (a task ends, the next begins: what a core records
// between two tasks) into this core's ring, each after a 6 ms pause in which the host drains the
// ring, so that no event is dropped; prints the best and the mean ns per task event (half a pair).
//   aam run tools/bench/programs/trace_bench.ts --trace --cores 1
// Without --trace the trace points compile to nothing and the loop measures an empty loop.
import { now, println } from "aam";
import { TRACE, traceOpen, traceClose } from "aam/sys/trace";
import { EV_TASK_BEGIN, EV_TASK_END } from "aam/sys/trace_events";

export function main(): i32 {
  let n = 40000, rounds = 20;
  let best: f64 = 1e9, sum: f64 = 0;
  for (let r = 0; r < rounds; r++) {
    let w = now(); while (now() - w < 6e6) {}          // the host drains the ring meanwhile
    let t0 = now();
    for (let i = 0; i < n; i++) {
      if (TRACE) { traceClose(EV_TASK_END); traceOpen(EV_TASK_BEGIN, 1, 2, <u32>i << 4); }
    }
    let dt = (now() - t0) / <f64>(2 * n);
    if (dt < best) best = dt;
    sum += dt;
  }
  println("trace " + (TRACE ? "on" : "off") + ": ns per task event, best " + best.toString() + ", mean " + (sum / <f64>rounds).toString());
  return 0;
}
