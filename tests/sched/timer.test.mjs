// timer.test.mjs: sched/timer.ts on both hosts (tests/sched/programs/timers.ts): sleeps never end
// early and all end exactly once, cancel is exact, and an idle system wakes for a deadline (a
// parked core's timeout is bounded by it: without that the program would hang).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image } from "../lib/aam.mjs";

const EXPECTED = [
  "sleepers 400 woke 400 early 0",
  "timers 64 cancelled 32 fired 32 extra_units 0 cancel_after_fire_true 0 cancel_0 false",
  "idle sleep woke after its deadline",
  "heap back yes",
  "",
].join("\n");

for (const [host, cores] of [["run", 2], ["run", 1], ["boot", 2]]) {
  test(`timers (${host === "run" ? "Node" : "QEMU"}, ${cores} core${cores > 1 ? "s" : ""}): 400 sleeps of 0–3 ms all end once and none early; 32 of 64 timers cancelled exactly, the other 32 signal once each, cancel after firing says false; an idle system wakes for a sleeping main; heap back to where it was`, async () => {
    const r = await aam([host, await image("tests/sched/programs/timers.ts"), "--cores", String(cores)]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, EXPECTED, r.stderr);
  });
}

test.run();
