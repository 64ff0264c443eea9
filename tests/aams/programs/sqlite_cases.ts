// sqlite_cases.ts: sqlite_errors.ts and sqlite_run.ts in one image, so that sqlite.test.mjs builds
// one image and one QEMU kernel (each ~10 s on a fresh clone) for both instead of two of each.
// Argument: `errors` runs sqlite_errors.ts's main, `run` sqlite_run.ts's (each file is still a
// program of its own too); anything else prints the usage and returns 2.
import { args, println } from "aam";
import { sqliteMachine } from "../../../aams/sqlite";
import { main as errorsMain } from "./sqlite_errors";
import { main as runMain } from "./sqlite_run";

export function machines(): void { sqliteMachine(); }

export function main(): i32 {
  let a = args();
  let what = a.length > 1 ? a[1] : "";
  if (what == "errors") return errorsMain();
  if (what == "run") return runMain();
  println("usage: sqlite_cases errors|run");
  return 2;
}
