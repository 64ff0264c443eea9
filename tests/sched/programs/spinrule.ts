// spinrule.ts: the spin-or-park rule (runtime/sched/spin.ts) over a fabricated core record, step
// by step: gaps, misses and wake samples are arguments, so every figure is exact (no clock, no
// other core). Prints one "name value" line per figure (tests/sched/spin.test.mjs checks them).
import { println, heapAlloc } from "aam";
import { spinWindowOf, spinCapOf, spinOutcomeIn, wakeSampleIn, SPIN_CAP_DEFAULT } from "~lib/aam/sched/spin";
import { CORE_REC_SIZE } from "~lib/rt/abi";

const US: f64 = 1000.0;
let r: usize = 0;

function fresh(): void { r = heapAlloc(CORE_REC_SIZE); memory.fill(r, 0, CORE_REC_SIZE); }
function us(x: f64): string { return (<i64>Math.round(x / US)).toString(); }

export function main(): i32 {
  fresh();
  println("fresh window_us " + us(spinWindowOf(r)) + " cap_us " + us(spinCapOf(r)) + " default_cap_us " + us(SPIN_CAP_DEFAULT));
  // Two cores that park in turn: every gap is 30 µs (the other side's wake), found after a park.
  wakeSampleIn(r, 20 * US);                  // one wake measured: 20 µs, so CAP = 40 µs
  let k = 0;
  while (spinWindowOf(r) < 30 * US && k < 100) { spinOutcomeIn(r, 30 * US, false); k++; }
  println("parking_in_turn cap_us " + us(spinCapOf(r)) + " periods_until_window_covers_30us " + k.toString() + " window_us " + us(spinWindowOf(r)));
  // Now it spins and catches every call within 3 µs: the window follows the gaps down.
  for (let i = 0; i < 200; i++) spinOutcomeIn(r, 3 * US, true);
  println("hits_at_3us window_us " + us(spinWindowOf(r)));
  // Work stops: idle periods end in timeouts (no work). Count periods until the window < 100 ns.
  k = 0;
  while (spinWindowOf(r) >= 100 && k < 100) { spinOutcomeIn(r, Infinity, false); k++; }
  println("idle periods_until_window_below_100ns " + k.toString());
  // A gap longer than the cap, found after the park, is a miss too; one miss alone keeps GAP.
  fresh();
  wakeSampleIn(r, 20 * US);
  for (let i = 0; i < 8; i++) spinOutcomeIn(r, 10 * US, true);
  let before = spinWindowOf(r);
  spinOutcomeIn(r, 500 * US, false);
  println("one_long_gap window_kept " + (spinWindowOf(r) == before ? "yes" : "no"));
  spinOutcomeIn(r, 500 * US, false);
  println("two_long_gaps window_halved " + (spinWindowOf(r) == before / 2 ? "yes" : "no"));
  // Wake samples: stale (> 10 ms) and negative ones are dropped; a slow host caps at CAP_MAX.
  fresh();
  wakeSampleIn(r, 20_000 * US);
  wakeSampleIn(r, -5 * US);
  println("stale_and_negative_samples cap_us " + us(spinCapOf(r)));
  for (let i = 0; i < 30; i++) wakeSampleIn(r, 1000 * US);
  println("slow_wakes_1ms cap_us " + us(spinCapOf(r)) + " window_us " + us(spinWindowOf(r)));
  for (let i = 0; i < 30; i++) wakeSampleIn(r, 5 * US);
  println("fast_wakes_5us cap_us " + us(spinCapOf(r)));
  return 0;
}
