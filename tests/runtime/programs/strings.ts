// strings.ts: every core formats numbers and builds strings at the same time and checks each
// result against one computed without the standard library's formatting (integer digit loops).
// Floats are chosen exactly representable, so the expected text is known: i/8 = q.fff.
// Usage: strings [iterations per core]
import { coreId, coreCount, println, args } from "aam";

const wrong = memory.data(8);

function digits(n: u32): string {     // reference formatting, by hand
  if (n == 0) return "0";
  let s = "";
  while (n) { s = String.fromCharCode(48 + <i32>(n % 10)) + s; n /= 10; }
  return s;
}

function eighths(i: u32): string {     // reference for <f64>i / 8 as AssemblyScript prints it
  let frac = ["0", "125", "25", "375", "5", "625", "75", "875"][i & 7];
  return digits(i >> 3) + "." + frac;
}

export function percore(): void {
  let a = args();
  let n = a.length > 1 ? <u32>I32.parseInt(a[1]) : 20000;
  let me = <u32>coreId();
  let bad = 0;
  for (let k: u32 = 0; k < n; k++) {
    let i = k * 7 + me * 1000003;
    let f = <f64>i / 8.0;
    let s = f.toString();
    if (s != eighths(i)) bad++;
    if (parseFloat(s) != f) bad++;
    let t = "core " + me.toString() + ": " + i.toString() + " = 0x" + i.toString(16);
    if (t != "core " + digits(me) + ": " + digits(i) + " = 0x" + hex(i)) bad++;
    let g = (<f32>(i & 0xffff) * <f32>0.5).toString();
    if (parseFloat(g) != <f64>(i & 0xffff) * 0.5) bad++;
  }
  atomic.add<u32>(wrong, bad);
}

function hex(n: u32): string {
  if (n == 0) return "0";
  let s = "";
  while (n) { s = "0123456789abcdef".charAt(<i32>(n & 15)) + s; n >>= 4; }
  return s;
}

export function main(): i32 {
  let bad = atomic.load<u32>(wrong);
  println("cores " + coreCount().toString() + " wrong results " + bad.toString());
  return bad == 0 ? 0 : 1;
}
