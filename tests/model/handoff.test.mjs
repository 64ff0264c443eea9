// handoff.test.mjs: the Promela model of a machine call's result handed over in place
// (runtime/machine/model/handoff.pml: sched/future.ts h1–h5), verified with spin: the call
// finishes exactly once, through the hand-over (at its handle's release) or through the result
// queue; every task waiting for it resumes with the result there; the queue never completes a
// handed-over call: for every spin window, a claim made at publish or by the waiter, a handle
// released at once, and a second task waiting on the same future. Three broken variants are
// rejected. Not: a test of runtime/ itself (the model mirrors it by hand; tests/machines counts
// 10^6 calls per variant completed exactly once, and its `claims` variant ends handles every way).
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ROOT } from "../lib/aam.mjs";
import { checker, figures, assertCorrect } from "../lib/spin.mjs";

const spin = checker(path.join(ROOT, "runtime/machine/model/handoff.pml"));
test.after(() => spin.dispose());

test("hand-over: one call claimed at publish or by its waiter, its owner (released at once, or waited for, perhaps beside a second waiting task), its server and a draining client core: no error, no invalid end state, every step reached", () => {
  const r = spin.verify();
  console.log(`  correct: ${figures(r)}`);
  assertCorrect(assert, r, { Owner: [], Other: [], Server: [], Drain: [], Check: [] });
});

// A broken variant: spin finds an error of the kind `report` matches, and its trail (when
// given) shows the state `trail` matches.
function rejected(title, define, report, trail) {
  test(title, () => {
    const r = spin.verify([define]);
    console.log(`  ${define.slice(2)}: ${figures(r)}`);
    assert.ok(r.errors > 0, r.out);
    assert.match(r.out, report, r.out);
    if (trail) { const t = spin.replay(r); assert.match(t, trail, t); }
  });
}

rejected("a server that checks SPINNING with a load and then stores HANDED (-DNO_CAS): the claim given back in between, the handed-over result is never finished or a waiter never resumes",
  "-DNO_CAS", /assertion violated \(finished==1\)|invalid end state \(/, /handed = 1/);
rejected("a waiter that waits while the word is SPINNING or HANDED (-DOLD_WAITER, right only while SPINNING meant a caller spinning now): with the claim made at publish, a second task waiting on the future never resumes",
  "-DOLD_WAITER", "invalid end state (", /otherDone = 0/);
rejected("a release that finds HANDED and only drops the handle (-DNO_RELEASE_FINISH): the call never finishes (its credit and its slot would be lost)",
  "-DNO_RELEASE_FINISH", "assertion violated (finished==1)");

test.run();
