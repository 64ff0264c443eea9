// stall.ts: one task that runs without blocking for at least arg1 ms (default 1500) and until the
// stall detector (AAM_STALL_MS in the environment) has reported it, while the other core idles:
// it must be reported exactly once. Then two short tasks (5 ms), which must not be reported.
// With arg2 = 2, two such tasks at once, each running until both were reported.
// The long tasks watch the detector's record of its last report (the rate limit's own clock):
// waiting for a report, not for a time, keeps the outcome from depending on when the host runs
// the core that ticks. Prints how long each task ran and the times between reports, so that the
// test can hold them against the reports on stderr.
import { Task, spawn, println, args, now } from "aam";
import { managerRecord } from "aam/machine/record";
import { stallLastReport } from "aam/machine/stall";
import { MGR_STALL } from "~lib/rt/abi";

const HANG_NS: f64 = 60e9;                 // a hang guard: no report at all
const want = memory.data(4);               // reports a long task waits for
const reports = memory.data(8 * 4);        // report times seen by the first long task (f64 bits)
const nreports = memory.data(4);
const ranMs = memory.data(8 * 4);          // per task (arg1): how long it ran, ms

function lastReport(): f64 { return stallLastReport(<usize>load<u32>(managerRecord() + MGR_STALL)); }

// The first long task notes each report time it sees (the only writer).
function note(r: f64): void {
  let n = load<u32>(nreports);
  if (n < 4) { store<u64>(reports + (<usize>n << 3), reinterpret<u64>(r)); store<u32>(nreports, n + 1); }
}

// arg0: at least this many ms; arg1: slot for its run time; arg2: 1 if it waits for the reports.
function long(t: Task): u64 {
  let x: u64 = 1;
  let t0 = now(), end = t0 + <f64>t.arg0 * 1e6, seen: f64 = 0, n: u32 = 0;
  while (true) {
    x = x * 6364136223846793005 + 1;
    let tn = now();
    if (t.arg2) {
      let r = lastReport();
      if (r != seen && r != 0) { seen = r; n++; if (t.arg1 == 0) note(r); }
      if (tn >= end && n >= atomic.load<u32>(want)) break;
      if (tn - t0 > HANG_NS) break;
    } else if (tn >= end) break;
  }
  store<f64>(ranMs + (<usize>t.arg1 << 3), (now() - t0) / 1e6);
  return x | 1;
}

export function main(): i32 {
  let a = args();
  let ms: u64 = a.length > 1 ? <u64>I32.parseInt(a[1]) : 1500;
  let at_once = a.length > 2 ? I32.parseInt(a[2]) : 1;         // 2: two long tasks at once
  let detector = <usize>load<u32>(managerRecord() + MGR_STALL);
  atomic.store<u32>(want, at_once == 2 ? 2 : 1);
  let watch: u64 = a.length > 3 && a[3] == "nowait" ? 0 : 1;    // the detector is off: do not wait
  let ok = true;
  if (at_once == 2) {
    let f = spawn(long, ms, 0, watch);
    ok = spawn(long, ms, 1, watch).join() != 0;
    ok = f.join() != 0 && ok;
  } else ok = spawn(long, ms, 0, watch).join() != 0;
  ok = ok && spawn(long, 5, 2, 0).join() != 0 && spawn(long, 5, 3, 0).join() != 0;
  let line = "long task done " + (ok ? "ok" : "WRONG") + "; ran";
  for (let i = 0; i < 4; i++) line += " " + (<u32>load<f64>(ranMs + (<usize>i << 3))).toString();
  line += " ms; reports seen " + load<u32>(nreports).toString() + ", gaps";
  for (let i: u32 = 1; i < load<u32>(nreports); i++) {
    let gap = reinterpret<f64>(load<u64>(reports + (<usize>i << 3))) - reinterpret<f64>(load<u64>(reports + (<usize>(i - 1) << 3)));
    line += " " + (<u64>(gap / 1e3)).toString() + " us";
  }
  println(line);
  return ok && detector != 0 ? 0 : 1;
}
