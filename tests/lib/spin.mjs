// spin.mjs: running the spin model checker on a Promela model of runtime/ (tests/model): generate
// the verifier, compile it, run it, parse its report, replay a trail. Not: the models' properties
// (each test file states its own). spin missing is a failure, never a skip: tools/system-deps.sh
// (make system-deps) installs it.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const NO_SPIN = "spin is not installed: run `make system-deps` (tools/system-deps.sh) as root, or `apt-get install spin`";
export const hasSpin = () => spawnSync("spin", ["-V"], { encoding: "utf8" }).status === 0;

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 300000 });   // a hang guard (gcc -O2 pan.c on a busy machine)
  if (r.error) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  return { code: r.status, out: (r.stdout ?? "") + (r.stderr ?? "") };
}

/** A checker for the model file `model`; `dispose()` removes its work folder. */
export function checker(model) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "aam-spin-"));
  const name = path.basename(model);
  let dirs = 0;
  return {
    /** Generate the verifier under `defines`, compile it, run it with -q (a terminal state with work left is an
     *  invalid end state) and `panArgs` (e.g. -A: ignore assertions). Returns the report, its figures and the
     *  folder (the trail, if any, is left there). */
    verify(defines = [], { panArgs = [], hashBits = 20 } = {}) {
      if (!hasSpin()) throw new Error(NO_SPIN);
      const dir = path.join(work, String(dirs++));
      fs.mkdirSync(dir);
      fs.copyFileSync(model, path.join(dir, name));
      const gen = run("spin", ["-a", ...defines, name], dir);
      if (gen.code !== 0) throw new Error(`spin -a failed:\n${gen.out}`);
      // SAFETY: no never claim, so no cycle machinery.
      const cc = run("gcc", ["-O2", "-DSAFETY", "-o", "pan", "pan.c"], dir);
      if (cc.code !== 0) throw new Error(`gcc pan.c failed:\n${cc.out}`);
      const t0 = Date.now();
      const pan = run("./pan", ["-q", `-w${hashBits}`, ...panArgs], dir);
      const ms = Date.now() - t0;
      const num = (re) => { const m = re.exec(pan.out); return m ? Number(m[1]) : null; };
      return {
        dir, defines, panArgs, ms, out: pan.out,
        errors: num(/errors: (\d+)/),
        states: num(/(\d+) states, stored/),
        depth: num(/depth reached (\d+)/),
        trail: fs.existsSync(path.join(dir, `${name}.trail`)),
      };
    },
    /** Replay the trail pan left in r.dir: spin's simulation prints the model's printf narrative. */
    replay(r) {
      const t = run("spin", ["-t", ...r.defines, name], r.dir);
      if (t.code !== 0) throw new Error(t.out);
      return t.out;
    },
    dispose() { fs.rmSync(work, { recursive: true, force: true }); },
  };
}

/** "unreached in proctype P" blocks of a full search: P -> the unreached statements' texts. */
export function unreached(out) {
  const res = {};
  for (const m of out.matchAll(/unreached in (?:proctype (\w+)|(init))\n((?:\t.*\n)*?)\t\(\d+ of \d+ states\)/g))
    res[m[1] ?? m[2]] = m[3].split("\n").filter(Boolean).map((l) => l.replace(/^.*"(.*)"$/, "$1"));
  return res;
}

/** The checks of a model's correct run, one message each: a full search (depth enough), no error,
 *  end states checked and none invalid, no trail, and exactly the `expected` unreached steps per
 *  process (so the run was not vacuous). `assert` is uvu/assert (passed in: this file has no uvu). */
export function assertCorrect(assert, r, expected) {
  assert.match(r.out, "Full statespace search", r.out);
  assert.not.match(r.out, "max search depth too small", r.out);
  assert.is(r.errors, 0, r.out);
  assert.not.match(r.out, /invalid end state \(/, r.out);
  assert.match(r.out, /invalid end states\s+\+/, "end states must be checked:\n" + r.out);
  assert.not.ok(r.trail, "pan wrote a trail");
  assert.equal(unreached(r.out), expected, r.out);
}

export function figures(r) {
  return `${r.states} states, depth ${r.depth}, ${r.ms} ms (${[...r.defines, ...r.panArgs].join(" ") || "defaults"})`;
}
