// spin.test.mjs: the Promela model of the monitored-flag / IMS hand-off (runtime/machine/model/imc.pml),
// verified with spin: the protocol holds (no lost wake-up, exactly-once, no deadlock) at several
// sizes, and the variant without the server's re-check (-DNO_RECHECK) is rejected with a trail that
// shows the lost wake-up. Not: a test of runtime/ itself (the model mirrors it by hand).
// spin missing is a failure, never a skip: tools/system-deps.sh (make system-deps) installs it.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ROOT } from "../lib/aam.mjs";

const MODEL = path.join(ROOT, "runtime/machine/model/imc.pml");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "aam-spin-"));

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 300000 });   // a hang guard (gcc -O2 pan.c on a busy machine)
  if (r.error) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  return { code: r.status, out: (r.stdout ?? "") + (r.stderr ?? "") };
}

const hasSpin = () => spawnSync("spin", ["-V"], { encoding: "utf8" }).status === 0;
const NO_SPIN = "spin is not installed: run `make system-deps` (tools/system-deps.sh) as root, or `apt-get install spin`";

let dirs = 0;
/**
 * Generate the verifier for the model under `defines`, compile it, run it; pan's options:
 * -q  a terminal state with messages still in q is an invalid end state, although s5 is an end label
 * -A  ignore assertions (so only end states can fail)
 * Returns pan's report, its parsed figures and the directory (the trail, if any, is left there).
 */
function verify(defines = [], { panArgs = [] } = {}) {
  if (!hasSpin()) throw new Error(NO_SPIN);
  const dir = path.join(work, String(dirs++));
  fs.mkdirSync(dir);
  fs.copyFileSync(MODEL, path.join(dir, "imc.pml"));
  const gen = run("spin", ["-a", ...defines, "imc.pml"], dir);
  assert.is(gen.code, 0, `spin -a failed:\n${gen.out}`);
  // SAFETY: no never claim, so no cycle machinery; -w20: a 1M-slot hash table is ample (< 1M states).
  const cc = run("gcc", ["-O2", "-DSAFETY", "-o", "pan", "pan.c"], dir);
  assert.is(cc.code, 0, `gcc pan.c failed:\n${cc.out}`);
  const t0 = Date.now();
  const pan = run("./pan", ["-q", "-w20", ...panArgs], dir);
  const ms = Date.now() - t0;
  const num = (re) => { const m = re.exec(pan.out); return m ? Number(m[1]) : null; };
  return {
    dir, defines, panArgs, ms, out: pan.out,
    errors: num(/errors: (\d+)/),
    states: num(/(\d+) states, stored/),
    depth: num(/depth reached (\d+)/),
    trail: fs.existsSync(path.join(dir, "imc.pml.trail")),
  };
}

/** Replay the trail pan left in r.dir: spin's simulation prints the model's printf narrative. */
function replay(r) {
  const t = run("spin", ["-t", ...r.defines, "imc.pml"], r.dir);
  assert.is(t.code, 0, t.out);
  return t.out;
}

/** "unreached in proctype P" blocks of a full search: P -> the unreached statements' texts. */
function unreached(out) {
  const res = {};
  for (const m of out.matchAll(/unreached in proctype (\w+)\n((?:\t.*\n)*?)\t\(\d+ of \d+ states\)/g))
    res[m[1]] = m[2].split("\n").filter(Boolean).map((l) => l.replace(/^.*"(.*)"$/, "$1"));
  return res;
}

function figures(r) {
  return `${r.states} states, depth ${r.depth}, ${r.ms} ms (${[...r.defines, ...r.panArgs].join(" ") || "defaults"})`;
}

test.after(() => fs.rmSync(work, { recursive: true, force: true }));

test("spin is installed (tools/system-deps.sh installs it)", () => {
  assert.ok(hasSpin(), NO_SPIN);
});

test("the protocol: 2 clients x 3 messages, q of 2: no error, no invalid end state, every step reached", () => {
  const r = verify();
  console.log(`  correct: ${figures(r)}`);
  assert.match(r.out, "Full statespace search", r.out);
  assert.not.match(r.out, "max search depth too small", r.out);
  assert.is(r.errors, 0, r.out);
  assert.not.match(r.out, /invalid end state \(/, r.out);
  assert.match(r.out, /invalid end states\s+\+/, "end states must be checked:\n" + r.out);
  assert.not.ok(r.trail, "pan wrote a trail");
  // Not vacuous: Check's asserts ran (the quiescent state is reachable) and so did every step.
  const u = unreached(r.out);
  assert.equal(u, { Client: [], Server: ["-end-"], Check: [] }, r.out);
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
