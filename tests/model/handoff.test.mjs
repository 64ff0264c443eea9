// handoff.test.mjs: the Promela model of a machine call's result handed over in place to a caller
// spinning for it (runtime/machine/model/handoff.pml: sched/future.ts h1–h3), verified with spin:
// the call finishes exactly once, through the hand-over or through the result queue, the caller
// always resumes, and the queue never completes a handed-over call, for every spin window; and
// the broken variant (the server checks SPINNING with a load and stores HANDED, -DNO_CAS)
// rejected. Not: a test of runtime/ itself (the model mirrors it by hand; tests/machines counts
// 10^6 calls per variant completed exactly once).
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ROOT } from "../lib/aam.mjs";
import { checker, figures, assertCorrect } from "../lib/spin.mjs";

const spin = checker(path.join(ROOT, "runtime/machine/model/handoff.pml"));
test.after(() => spin.dispose());

test("hand-over: one call, a spinning caller, its server and a draining client core: no error, no invalid end state, every step reached", () => {
  const r = spin.verify();
  console.log(`  correct: ${figures(r)}`);
  assertCorrect(assert, r, { Caller: [], Server: [], Drain: [], Check: [] });
});

test("a server that checks SPINNING with a load and then stores HANDED (-DNO_CAS): the caller gives up between them and never resumes", () => {
  const r = spin.verify(["-DNO_CAS"], { panArgs: ["-A"] });
  console.log(`  NO_CAS: ${figures(r)}`);
  assert.ok(r.errors > 0, r.out);
  assert.match(r.out, "invalid end state (", r.out);
  const t = spin.replay(r);
  assert.match(t, /resumed = 0/, t);
});

test.run();
