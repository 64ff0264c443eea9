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

test("a server that checks SPINNING with a load and then stores HANDED (-DNO_CAS): the claim given back in between, the handed-over result is never finished or a waiter never resumes", () => {
  const r = spin.verify(["-DNO_CAS"]);
  console.log(`  NO_CAS: ${figures(r)}`);
  assert.ok(r.errors > 0, r.out);
  assert.match(r.out, /assertion violated \(finished==1\)|invalid end state \(/, r.out);
  const t = spin.replay(r);
  assert.match(t, /handed = 1/, t);
});

test("a waiter that waits while the word is SPINNING or HANDED (-DOLD_WAITER, right only while SPINNING meant a caller spinning now): with the claim made at publish, a second task waiting on the future never resumes", () => {
  const r = spin.verify(["-DOLD_WAITER"]);
  console.log(`  OLD_WAITER: ${figures(r)}`);
  assert.ok(r.errors > 0, r.out);
  assert.match(r.out, "invalid end state (", r.out);
  const t = spin.replay(r);
  assert.match(t, /otherDone = 0/, t);
});

test("a release that finds HANDED and only drops the handle (-DNO_RELEASE_FINISH): the call never finishes (its credit and its slot would be lost)", () => {
  const r = spin.verify(["-DNO_RELEASE_FINISH"]);
  console.log(`  NO_RELEASE_FINISH: ${figures(r)}`);
  assert.ok(r.errors > 0, r.out);
  assert.match(r.out, "assertion violated (finished==1)", r.out);
});

test.run();
