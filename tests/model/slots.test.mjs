// slots.test.mjs: the Promela model of a client core's ring of call slots (runtime/machine/model/
// slots.pml: machine/imc.ts p1–p3, task/task.ts taskRelease of a slot) verified with spin: every
// call published in a slot is taken exactly once, at the position it was published, none is lost,
// and no slot is refilled before the release of its call ended, with calls freed by any core
// (KIND = 0) or, handed over, by the client core in its FREED mask; and the three broken variants
// rejected: a client that does not check that its next slot is free (-DNO_FREE_CHECK), a
// release that frees the slot before its clean-up (-DFREE_FIRST) and a FREED bit not cleared
// when its slot is refilled (-DNO_FREED_CLEAR). Not: a test of runtime/ itself
// (the model mirrors it by hand; tests/machines counts 10^6 calls per variant completed exactly once).
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ROOT } from "../lib/aam.mjs";
import { checker, figures, assertCorrect } from "../lib/spin.mjs";

const spin = checker(path.join(ROOT, "runtime/machine/model/slots.pml"));
test.after(() => spin.dispose());

test("call slots: a client core's 5 calls through a ring of 2 slots, two server cores, a releasing core and calls handed over and freed by the client core itself: no error, no invalid end state, every step reached", () => {
  const r = spin.verify();
  console.log(`  correct: ${figures(r)}`);
  // the servers' and the releaser's loops never end: their "-end-" is the only state not reached
  assertCorrect(assert, r, { Client: [], Server: ["-end-"], Release: ["-end-"], Check: [] });
});

test("a client that fills its next slot without checking that it is free (-DNO_FREE_CHECK): a call not yet taken is overwritten", () => {
  const r = spin.verify(["-DNO_FREE_CHECK"]);
  console.log(`  NO_FREE_CHECK: ${figures(r)}`);
  assert.ok(r.errors > 0, r.out);
  assert.match(r.out, "assertion violated", r.out);
});

test("a handed-over call's FREED bit left set after the slot is refilled (-DNO_FREED_CLEAR): the client refills the slot again under the clean-up of the call in it, and the server finds it emptied", () => {
  const r = spin.verify(["-DNO_FREED_CLEAR"]);
  console.log(`  NO_FREED_CLEAR: ${figures(r)}`);
  assert.ok(r.errors > 0, r.out);
  assert.match(r.out, "assertion violated (kind[s]!=0)", r.out);
  const t = spin.replay(r);
  assert.match(t, /freed\[\d\] = 1/, t);
});

test("a release that frees the slot before cleaning up its call (-DFREE_FIRST): the client refills it under the clean-up", () => {
  const r = spin.verify(["-DFREE_FIRST"]);
  console.log(`  FREE_FIRST: ${figures(r)}`);
  assert.ok(r.errors > 0, r.out);
  assert.match(r.out, "assertion violated ((kind[s]==0)||(kind[s]==call))", r.out);
});

test.run();
