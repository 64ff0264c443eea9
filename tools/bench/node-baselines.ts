// node-baselines.ts: what a TypeScript user would use instead, measured in this process.
// Not: the system's own rows (sched.ts, and the machine-call rows later).

import { summarize, type Stats } from "./stats";

const now = (): number => performance.now() * 1e6;

/** queueMicrotask round trip: from queueMicrotask(cb) until cb runs, one sample per hop. */
export async function microtaskRoundTrip(n: number, warm = 1000): Promise<Stats> {
  const xs: number[] = [];
  await new Promise<void>((done) => {
    let i = 0;
    const step = (): void => {
      const t0 = now();
      queueMicrotask(() => {
        const dt = now() - t0;
        if (i >= warm) xs.push(dt);
        if (++i < n + warm) step(); else done();
      });
    };
    step();
  });
  return summarize(xs);
}

/** Cost of reading the clock as the samples above do (subtract its median from hops). */
export function clockCost(n: number): Stats {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) { const t0 = now(); xs.push(now() - t0); }
  return summarize(xs);
}
