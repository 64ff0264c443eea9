// spin.test.mjs: the spin-or-park rule of runtime/sched/spin.ts over a fabricated core record
// (tests/sched/programs/spinrule.ts): figures are exact because gaps and wake samples are given,
// not measured. What the rule buys on a real machine is a benchmark figure (aam bench), not a test.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image } from "../lib/aam.mjs";

test("spin window: 0 on a fresh core; cores parking in turn grow it to cover their gap at the first period (GAP a decaying maximum); it follows 200 hits down, falls below 100 ns within 7 idle periods, halves only from the second long gap in a row; the cap is twice the measured wake, 20 µs before any, 0 when wakes take over 100 µs (an oversubscribed host); stale and negative samples are dropped", async () => {
  const r = await aam(["run", await image("tests/sched/programs/spinrule.ts"), "--cores", "1"]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, [
    "fresh window_us 0 cap_us 20 default_cap_us 20",
    "parking_in_turn cap_us 40 periods_until_window_covers_30us 1 window_us 40",
    "hits_at_3us window_us 6",
    "idle periods_until_window_below_100ns 7",
    "one_long_gap window_kept yes",
    "two_long_gaps window_halved yes",
    "stale_and_negative_samples cap_us 20",
    "slow_wakes_1ms cap_us 0 window_us 0",
    "fast_wakes_5us cap_us 10",
    "",
  ].join("\n"));
});

test.run();
