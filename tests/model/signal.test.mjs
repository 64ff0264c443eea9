// signal.test.mjs: the Promela model of a counting signal (runtime/machine/model/signal.pml:
// sched/signal.ts steps 1-4, the lock-free signal and wait fast paths beside the FIFO of waiting
// tasks) verified with spin: no lost wake-up, every waiter served exactly once, no unit made up
// or lost; and the two broken variants rejected: a waiter that joins the FIFO without handing
// out the units already there (-DNO_REGISTER_HANDOUT) and a signal that reads the FIFO before it
// adds its unit (-DLOAD_FIRST). Not: a test of runtime/ itself (the model mirrors it by hand;
// tests/sched and tests/machines run signals, mutexes and credits at scale).
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ROOT } from "../lib/aam.mjs";
import { checker, figures, assertCorrect } from "../lib/spin.mjs";

const spin = checker(path.join(ROOT, "runtime/machine/model/signal.pml"));
test.after(() => spin.dispose());

test("signal: two waiters and two signallers, fast paths and FIFO: no error, no invalid end state, every step reached", () => {
  const r = spin.verify();
  console.log(`  correct: ${figures(r)}`);
  assertCorrect(assert, r, { Waiter: [], Signaller: [], Check: [], Final: [] });
});

test("a waiter that joins the FIFO without handing out the units already there (-DNO_REGISTER_HANDOUT): it waits for ever with a unit free", () => {
  const r = spin.verify(["-DNO_REGISTER_HANDOUT"]);
  console.log(`  NO_REGISTER_HANDOUT: ${figures(r)}`);
  assert.ok(r.errors > 0, r.out);
  assert.match(r.out, /invalid end state|assertion violated \(\(flen==0\)\|\|\(count<=0\)\)/, r.out);
});

test("a signal that reads the FIFO before adding its unit (-DLOAD_FIRST): the lost wake-up", () => {
  const r = spin.verify(["-DLOAD_FIRST"]);
  console.log(`  LOAD_FIRST: ${figures(r)}`);
  assert.ok(r.errors > 0, r.out);
  assert.match(r.out, /invalid end state|assertion violated \(\(flen==0\)\|\|\(count<=0\)\)/, r.out);
});

test.run();
