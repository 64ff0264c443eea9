// foreign_trap.ts: a trap inside a foreign module (zlib.crash: out of bounds, unreachable, division
// by zero) fails that call, marks the module failed, and every later call of the machine fails
// with the reason; the image and its other machines go on (main finishes and returns 0).
// Argument: the crash kind (1, 2 or 3).
import { println, args } from "aam";
import { zlibMachine, connectZlib, ZLIB_DEFLATE, ZLIB_FORMAT_ZLIB } from "../../../aams/zlib";

export function machines(): void { zlibMachine(); }

export function main(): i32 {
  let a = args();
  return trap(a.length > 1 ? I32.parseInt(a[1]) : 1);
}

// The program, with crash kind `how` (zlib_cases.ts runs it too).
export function trap(how: i32): i32 {
  let c = connectZlib();
  let h = c.openSync(ZLIB_DEFLATE, ZLIB_FORMAT_ZLIB, 6);
  println("before: stream " + h.toString());
  let call = c.crash(how);
  call.wait();
  println("the call that trapped: " + (call.failed ? call.error : "did not fail"));
  call.release();
  let o = c.open(ZLIB_DEFLATE, ZLIB_FORMAT_ZLIB, 6);
  o.wait();
  println("a later call: " + (o.failed ? o.error : "served"));
  o.release();
  println("main goes on");
  return 0;
}
