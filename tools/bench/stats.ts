// stats.ts: summary statistics for benchmarks (mean, sd, median, p99) and their printing.
// Not: measuring (each benchmark measures; every one runs its baseline in the same run).

export interface Stats { mean: number; sd: number; median: number; p99: number; n: number }

export function summarize(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const mean = s.reduce((a, x) => a + x, 0) / n;
  const sd = Math.sqrt(s.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(n - 1, 1));
  return { mean, sd, median: s[n >> 1], p99: s[Math.min(n - 1, Math.floor(n * 0.99))], n };
}

/** One summary of a row measured in several rounds: the median is the median of the rounds'
 *  medians (what the ratios use: a round the host slowed moves it by one rank, not by its
 *  samples), the mean and sd those of all samples pooled, the p99 the median of the rounds' p99. */
export function overRounds(xs: Stats[]): Stats {
  if (xs.length === 1) return xs[0];
  const mid = (v: number[]): number => { const s = [...v].sort((a, b) => a - b); const k = s.length >> 1; return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2; };
  const n = xs.reduce((a, x) => a + x.n, 0);
  const mean = xs.reduce((a, x) => a + x.n * x.mean, 0) / n;
  const ss = xs.reduce((a, x) => a + (x.n - 1) * x.sd ** 2 + x.n * (x.mean - mean) ** 2, 0);
  return { mean, sd: Math.sqrt(ss / Math.max(n - 1, 1)), median: mid(xs.map((x) => x.median)), p99: mid(xs.map((x) => x.p99)), n };
}

/** Subtract a constant (e.g. the median cost of reading the clock) from every statistic of location. */
export function minus(s: Stats, c: number): Stats {
  return { ...s, mean: s.mean - c, median: s.median - c, p99: s.p99 - c };
}

/** Per operation from samples of `k` operations between two clock reads of cost `c` each. */
export function perOp(s: Stats, c: number, k: number): Stats {
  return { ...s, mean: (s.mean - c) / k, sd: s.sd / k, median: (s.median - c) / k, p99: (s.p99 - c) / k };
}

export function ns(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} ms`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)} µs`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(2)} µs`;
  return `${x.toFixed(1)} ns`;
}

export function row(name: string, s: Stats): string {
  return `| ${name} | ${ns(s.mean)} ± ${ns(s.sd)} | ${ns(s.median)} | ${ns(s.p99)} | ${s.n} |`;
}

export const HEADER = "| operation | mean ± sd | median | p99 | n |\n|---|---|---|---|---|";
