// trap.ts: how the image stops a core on an error it detected itself.
//
// Owns: the abort handler asc wires in for `abort()`/`assert()`/thrown errors (--use abort=…),
// and `fail(msg)` for runtime errors. Both report through platform.fatal, then trap with
// `unreachable`, so that the host sees one report with core, function (from the trap's stack)
// and message, exactly as for a trap the engine raised itself (out of bounds, division by zero).
// Not: recovery. A trap ends the system on both hosts; catching a trapping task is the
// framework's business (it runs tasks under the host's per-task trap boundary in later issues).
//
// Compiled as a library file (~lib/rt/trap): see rt/index.ts.

import { platform } from "./platform";

/** Report `msg` as the reason this core stops, then trap. */
export function fail(msg: string): void {
  report(msg, null, 0, 0);
  unreachable();
}

/** asc's abort hook: assertion failures, `throw`, out-of-range checks in the standard library. */
export function abortHandler(msg: string | null, file: string | null, line: u32, col: u32): void {
  report(msg, file, line, col);
  unreachable();
}

function report(msg: string | null, file: string | null, line: u32, col: u32): void {
  let m = msg ? changetype<usize>(msg) : 0;
  let ml = msg ? msg.length << 1 : 0;
  let f = file ? changetype<usize>(file) : 0;
  let fl = file ? file.length << 1 : 0;
  platform.fatal(m, ml, f, fl, <i32>line, <i32>col);
}
