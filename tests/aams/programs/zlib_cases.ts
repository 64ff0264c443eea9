// zlib_cases.ts: zlib_errors.ts and foreign_trap.ts in one image, so that zlib.test.mjs and
// foreign.test.mjs build one image and one QEMU kernel (each ~10 s on a fresh clone) for both
// instead of two of each. Arguments: `errors` runs zlib_errors.ts's main; `trap N` runs
// foreign_trap.ts's with crash kind N (1, 2 or 3). Each file is still a program of its own too;
// anything else prints the usage and returns 2.
import { args, println } from "aam";
import { zlibMachine } from "../../../aams/zlib";
import { main as errorsMain } from "./zlib_errors";
import { trap } from "./foreign_trap";

export function machines(): void { zlibMachine(); }

export function main(): i32 {
  let a = args();
  let what = a.length > 1 ? a[1] : "";
  if (what == "errors" && a.length == 2) return errorsMain();
  if (what == "trap" && a.length == 3) return trap(I32.parseInt(a[2]));
  println("usage: zlib_cases errors | zlib_cases trap 1|2|3");
  return 2;
}
