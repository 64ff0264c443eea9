// idle.ts: an idle core does not spin. main keeps its core busy for T ms (reading the clock) while
// no other task exists: every other core finds no work, parks, and should stay halted.
// The kernel's `stats` report (aam boot --stats) gives each core's hlt count and halted time.
// Usage: idle [T ms]
import { now, println, args } from "aam";

export function main(): i32 {
  let a = args();
  let ms: f64 = a.length > 1 ? <f64>I32.parseInt(a[1]) : 400;
  let t0 = now(), reads: u64 = 0;
  while (now() - t0 < ms * 1e6) reads++;
  println("idle: core 0 busy for " + ms.toString() + " ms (" + (reads > 0 ? "clock read" : "no clock") + ")");
  return 0;
}
