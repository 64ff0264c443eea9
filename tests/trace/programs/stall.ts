// stall.ts: one task that runs for arg1 ms (default 1500) without blocking, while the other core
// idles: the stall detector (AAM_STALL_MS in the environment) must report it exactly once. Then
// two short tasks, which must not be reported.
import { Task, spawn, println, args, now } from "aam";

function long(t: Task): u64 {
  let x: u64 = 1;
  let end = now() + <f64>t.arg0 * 1e6;
  while (now() < end) x = x * 6364136223846793005 + 1;
  return x | 1;
}

export function main(): i32 {
  let a = args();
  let ms: u64 = a.length > 1 ? <u64>I32.parseInt(a[1]) : 1500;
  let at_once = a.length > 2 ? I32.parseInt(a[2]) : 1;         // 2: two long tasks at once
  let ok = true;
  if (at_once == 2) {
    let f = spawn(long, ms);
    ok = spawn(long, ms).join() != 0;
    ok = f.join() != 0 && ok;
  } else ok = spawn(long, ms).join() != 0;
  ok = ok && spawn(long, 5).join() != 0 && spawn(long, 5).join() != 0;
  println("long task done " + (ok ? "ok" : "WRONG"));
  return ok ? 0 : 1;
}
