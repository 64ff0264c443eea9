// park.test.mjs: the Promela model of spin-then-park and of a caller's spin-then-suspend
// (runtime/machine/model/park.pml), verified with spin: no lost wake-up, every item taken once, at
// most one spinner per machine and a caller that always resumes, for every spin window; and each
// broken variant rejected: parking without the re-check, every core spinning, and registering a
// waiter with a load and a store instead of a cmpxchg. Not: a test of runtime/ itself (the model
// mirrors it by hand; tests/sched/spin.test.mjs checks the window's arithmetic).
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ROOT } from "../lib/aam.mjs";
import { checker, figures, assertCorrect } from "../lib/spin.mjs";

const spin = checker(path.join(ROOT, "runtime/machine/model/park.pml"));
test.after(() => spin.dispose());

test("the protocols: 2 cores (a one-core machine's spinner keeps SPINNER until the manager grants the second), 1 producer of 2 items, a caller and a completer: no error, no invalid end state, every step reached", () => {
  const r = spin.verify();
  console.log(`  correct: ${figures(r)}`);
  assertCorrect(assert, r, { Producer: [], Core: ["-end-"], Grant: [], Caller: [], Completer: [], init: [], Check: [] });
});

for (const d of [["-DNC=1", "-DNP=2", "-DM=2"], ["-DNC=2", "-DNP=2", "-DM=1"]]) {
  test(`the protocols at ${d.join(" ")}: no error`, () => {
    const r = spin.verify(d);
    console.log(`  correct: ${figures(r)}`);
    assert.is(r.errors, 0, r.out);
    assert.match(r.out, "Full statespace search", r.out);
  });
}

test("a core that parks without re-checking after SLEEPING (-DNO_RECHECK): spin finds an item left with every core parked", () => {
  const r = spin.verify(["-DNO_RECHECK"]);
  console.log(`  NO_RECHECK: ${figures(r)}`);
  assert.ok(r.errors > 0, r.out);
  assert.match(r.out, "assertion violated (work==0)", r.out);
  const t = spin.replay(r);
  assert.match(t, /quiescent: work [1-9]\d* taken/, t);
});

test("every core spinning (-DNO_SPINNER): spin finds two spinners at once", () => {
  const r = spin.verify(["-DNO_SPINNER"]);
  console.log(`  NO_SPINNER: ${figures(r)}`);
  assert.ok(r.errors > 0, r.out);
  assert.match(r.out, "assertion violated (spinning<=1)", r.out);
});

test("a waiter registered with a load and a store, not a cmpxchg (-DNO_CAS): the completion slips between them and the caller never resumes", () => {
  const r = spin.verify(["-DNO_CAS"], { panArgs: ["-A"] });
  console.log(`  NO_CAS: ${figures(r)}`);
  assert.ok(r.errors > 0, r.out);
  assert.match(r.out, "invalid end state (", r.out);
  const t = spin.replay(r);
  assert.match(t, /resumed = 0/, t);
});

test.run();
