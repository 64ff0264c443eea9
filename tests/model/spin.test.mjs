// spin.test.mjs: the Promela model of the monitored-flag / IMS hand-off (runtime/machine/model/imc.pml),
// verified with spin: the protocol holds (no lost wake-up, exactly-once, no deadlock) at several
// sizes, and the variant without the server's re-check (-DNO_RECHECK) is rejected with a trail that
// shows the lost wake-up. Not: a test of runtime/ itself (the model mirrors it by hand).
// spin missing is a failure, never a skip: tools/system-deps.sh (make system-deps) installs it.
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ROOT } from "../lib/aam.mjs";
import { checker, hasSpin, NO_SPIN, figures, assertCorrect } from "../lib/spin.mjs";

const spin = checker(path.join(ROOT, "runtime/machine/model/imc.pml"));
const verify = (defines, opts) => spin.verify(defines, opts);
const replay = (r) => spin.replay(r);
test.after(() => spin.dispose());

test("spin is installed (tools/system-deps.sh installs it)", () => {
  assert.ok(hasSpin(), NO_SPIN);
});

test("the protocol: 2 clients x 3 messages, q of 2: no error, no invalid end state, every step reached", () => {
  const r = verify();
  console.log(`  correct: ${figures(r)}`);
  // not vacuous: Check's asserts ran (the quiescent state is reachable) and so did every step
  assertCorrect(assert, r, { Client: [], Server: ["-end-"], Check: [] });
});

for (const d of [["-DNC=1", "-DM=4", "-DQCAP=1"], ["-DNC=2", "-DM=3", "-DQCAP=1"], ["-DNC=3", "-DM=2", "-DQCAP=2"]]) {
  test(`the protocol at ${d.join(" ")}: no error`, () => {
    const r = verify(d);
    console.log(`  correct: ${figures(r)}`);
    assert.is(r.errors, 0, r.out);
    assert.match(r.out, "Full statespace search", r.out);
    assert.not.match(r.out, "max search depth too small", r.out);
  });
}

test("without the re-check (-DNO_RECHECK) spin finds the lost wake-up, and its trail shows it", () => {
  const r = verify(["-DNO_RECHECK"]);
  console.log(`  NO_RECHECK: ${figures(r)}`);
  assert.ok(r.errors > 0, r.out);
  assert.match(r.out, "assertion violated (q_len(q)==0)", r.out);   // property (a)
  assert.ok(r.trail, "no trail written");
  const t = replay(r);
  // Final state: both clients done, a message left in q, the server asleep, no SIG pending.
  const m = /quiescent: q (\d+) sig (\d+) asleep (\d+) done (\d+) processed (\d+) of (\d+)/.exec(t);
  assert.ok(m, t);
  const [q, sig, asleep, done, processed, total] = m.slice(1).map(Number);
  assert.ok(q > 0, t);
  assert.equal([sig, asleep, done], [0, 1, 2], t);
  assert.is(processed, total - q, t);
  assert.match(t, "Error: assertion violated", t);
  // The race itself: the last message is enqueued and MON read as 1 (no IMS) before the server
  // clears MON and, not re-checking, goes to sleep; nothing is processed after that.
  const events = t.split("\n").map((l) => l.trim()).filter((l) => /^(client|server)/.test(l));
  const lastEnq = events.findLastIndex((e) => / enqueue /.test(e));
  const who = events[lastEnq].split(":")[0];
  const after = events.slice(lastEnq + 1);
  const read = after.indexOf(`${who}: read MON 1`), cleared = after.indexOf("server: MON 0");
  assert.ok(read >= 0 && cleared > read, `expected "${who}: read MON 1" then "server: MON 0" after the last enqueue:\n${after.join("\n")}`);
  assert.is(after.at(-1), "server: asleep", after.join("\n"));
  assert.not.ok(after.some((e) => /IMS|process|woken/.test(e)), after.join("\n"));
});

test("without the re-check, the end-state check alone rejects it too (-A: assertions ignored)", () => {
  const r = verify(["-DNO_RECHECK"], { panArgs: ["-A"] });
  console.log(`  NO_RECHECK -A: ${figures(r)}`);
  assert.ok(r.errors > 0, r.out);
  assert.match(r.out, "invalid end state (", r.out);
  const t = replay(r);
  assert.match(t, /queue 1 \(q\): \[\d+\]/, t);                     // the final state: q not empty
  assert.match(t, /asleep = 1\n\s*done = 2/, t);
});

test.run();
