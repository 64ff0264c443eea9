// summary.ts: in-image summary of benchmark samples as a JSON member
// "name":{"mean","sd","median","p99","n"} (the STATS shape of tools/bench/stats.ts).
// Shared by the in-image parts of the benchmarks (sched_bench.ts, table1.ts).
export function summary(name: string, xs: StaticArray<f64>, n: i32): string {
  let s = new Array<f64>(n);
  let sum = 0.0;
  for (let i = 0; i < n; i++) { s[i] = xs[i]; sum += xs[i]; }
  s.sort();
  let mean = sum / n;
  let v = 0.0;
  for (let i = 0; i < n; i++) v += (s[i] - mean) * (s[i] - mean);
  let sd = Math.sqrt(v / <f64>max(n - 1, 1));
  return "\"" + name + "\":{\"mean\":" + mean.toString() + ",\"sd\":" + sd.toString() + ",\"median\":" + s[n >> 1].toString() +
    ",\"p99\":" + s[min(n - 1, <i32>Math.floor(<f64>n * 0.99))].toString() + ",\"n\":" + n.toString() + "}";
}
