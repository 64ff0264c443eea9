// docs/API.md is right: every ```ts block in it builds, every `ts run` block prints the ```output
// block under it, and each misuse it lists fails with the message it gives (tests/api/programs/misuse.ts).
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, aam, image, prebuild, before } from "../lib/aam.mjs";

const DOC = fs.readFileSync(path.join(ROOT, "docs/API.md"), "utf8");

// The fenced blocks of the doc: a ```ts block is a whole program, marked `run` (built and run,
// its output compared with the ```output block right after it) or `build` (built only); its
// options: args=a,b (after --), cores=N (default 2).
function examples(md) {
  const lines = md.split("\n"), out = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]);
    if (!open || !open[1]) continue;
    let j = i + 1;
    while (j < lines.length && lines[j] !== "```") j++;
    const body = lines.slice(i + 1, j).join("\n") + "\n";
    if (open[1] === "ts") {
      const words = open[2].split(/\s+/).filter(Boolean);
      const opts = Object.fromEntries(words.filter((w) => w.includes("=")).map((w) => w.split("=")));
      out.push({ line: i + 1, mode: words[0], args: opts.args ? opts.args.split(",") : [], cores: opts.cores ?? "2", src: body });
    } else if (open[1] === "output" && out.length && out[out.length - 1].output === undefined) {
      out[out.length - 1].output = body;
    }
    i = j;
  }
  return out;
}

const EX = examples(DOC);
const DIR = path.join(ROOT, "build/api-examples");
fs.rmSync(DIR, { recursive: true, force: true });
fs.mkdirSync(DIR, { recursive: true });
for (const e of EX) {
  e.file = path.relative(ROOT, path.join(DIR, `line${e.line}.ts`));
  fs.writeFileSync(path.join(ROOT, e.file), e.src);
}
const MISUSE = "tests/api/programs/misuse.ts";

before(test, () => prebuild([[MISUSE], ...EX.map((e) => [e.file])]));

test("docs/API.md has an example per group, each marked run or build", () => {
  assert.ok(EX.length >= 7, `${EX.length} examples`);
  for (const e of EX) assert.ok(e.mode === "run" || e.mode === "build", `line ${e.line}: \`\`\`ts ${e.mode ?? ""}: say run or build`);
  for (const e of EX.filter((x) => x.mode === "run")) assert.ok(e.output !== undefined, `line ${e.line}: a run example needs an output block`);
  for (const heading of ["Tasks, futures and signals", "Machines", "Interfaces and calls", "Kernel-level machines and buffers", "The heap"]) {
    const at = DOC.indexOf(heading);
    assert.ok(at >= 0 && DOC.indexOf("```ts run", at) > at, `a runnable example under "${heading}"`);
  }
});

for (const e of EX) {
  test(`docs/API.md line ${e.line}: ${e.mode === "run" ? "builds and prints what the doc shows" : "builds"}`, async () => {
    const img = await image(e.file);
    if (e.mode !== "run") return;
    const r = await aam(["run", img, "--cores", e.cores, ...(e.args.length ? ["--", ...e.args] : [])]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.fixture(r.stdout, e.output);
  });
}

// [argv of misuse.ts, the message as docs/API.md gives it (0x… stands for an address), how it
// ends: "task" (the task fails, the system goes on) or "system" (status 70)].
const CASES = [
  ["spawn-module-level", "spawn: no scheduler yet (spawn from percore() or later)", "system"],
  ["wait-outside-task", "suspend: not inside a task (blocking calls are for tasks, not percore/boot code)", "system"],
  ["self-outside-task", "self: not inside a task", "system"],
  ["quiet-outside-task", "failQuietly: not inside a task (a failure without a trap is a task's)", "system"],
  ["quiet-twice", "failQuietly: the task failed already (called twice?)", "task"],
  ["quiet-then-block", "suspend: the task blocked after failQuietly (call it last: return failQuietly(msg))", "task"],
  ["signal-fromarg", "Signal.fromArg: not a signal", "task"],
  ["signal-dispose-busy", "signal: disposed while tasks wait on it", "system"],
  ["mutex-unlock", "mutex: unlock of a mutex that is not locked", "system"],
  ["waitgroup-done-twice", "waitgroup: done() called more often than counted", "system"],
  ["waitgroup-add-after-zero", "waitgroup: add after it reached zero", "system"],
  ["double-free", "heap: double free: 0x…", "system"],
  ["free-outside", "heap: free of a pointer outside the heap: 0x10", "system"],
  ["free-inside", "heap: free of a pointer inside a block: 0x…", "system"],
  ["define-late", "defineMachine: machine late defined after boot (define machines in the machines() export)", "task"],
  ["define-twice", "machine calc declared twice", "system"],
  ["min-above-max", "machine calc: min cores 3 > max 2", "system"],
  ["too-many-machines", "machine m30: more than 32 machines (main included)", "system"],
  ["offer-late", "machine calc: method 5 offered after boot (offer from machines())", "task"],
  ["offer-range", "machine calc: method 64 out of range 0..63", "system"],
  ["offer-twice", "machine calc: method 0 offered twice", "system"],
  ["buffer-args", "machine bytes: offerBuffer(0): ptrArg 1 and lenArg 1 must be two different arguments 0..2", "system"],
  ["buffer-dir", "machine bytes: offerBuffer(0): dir 0 is not IN, OUT or INOUT", "system"],
  ["machine-fromarg", "Machine.fromArg: no machine with id 99 (1..2)", "task"],
  ["find-null", "Unexpected 'null' (not assigned or failed cast)", "task"],
  ["connect-cap", "connect: capacity 3 is not a power of two ≥ 2", "task"],
  ["sync-unknown", "callSync: machine 'calc' has no method 7 (it offers 0..1)", "task"],
  ["sync-trapped", "callSync: machine 'calc' method 1: the handler failed: unreachable", "task"],
  ["iface-fromarg", "Interface.fromArg: 0x0 is not an interface", "task"],
  ["hostserve-slots", "hostServe: 0 slots (1..1024)", "system"],
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

for (const [which, message, ends] of CASES) {
  test(`misuse ${which}: ${ends === "task" ? "the task fails" : "the system ends"} with the error docs/API.md gives`, async () => {
    assert.ok(DOC.includes("`" + message + "`"), `docs/API.md lists \`${message}\``);
    const r = await aam(["run", await image(MISUSE), "--cores", "2", "--", which]);
    // "aam: task trapped on core C in F: MESSAGE (the task fails; …)" or "aam: trap on core C in F: MESSAGE"
    const re = new RegExp(`^aam: (task trapped|trap) on core \\d+ in \\S+( \\(machine \\S+\\))?: ${escape(message).replace("0x…", "0x[0-9a-f]+")}( \\([^()]*:\\d+:\\d+\\))?( \\((the task fails|main failed).*)?$`, "m");
    const m = re.exec(r.stderr);
    assert.ok(m, `${which}: no line with "${message}" in\n${r.stderr}`);
    if (ends === "task") {
      assert.is(m[1], "task trapped", r.stderr);
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stdout, "task failed true");
    } else {
      assert.is(r.code, 70, r.stdout + r.stderr);
    }
  });
}

// failQuietly on both hosts: the callers see the failure, nothing is printed, nothing leaks.
const QUIET = "tests/api/programs/quiet.ts";
const QUIET_OUT = `call 4: failed false, value 40, error ''
task: failed true, value 0, error 'refuse: a literal message'
call 5: failed true, value 0, error 'calc: 5 is odd'
task: failed true, value 0, error 'refuse: a literal message'
callSync 6: 60
callThen 7: continuation saw 0
100 rounds: heap +0
`;
for (const cmd of ["run", "boot"]) {
  test(`failQuietly (${cmd === "run" ? "Node" : "QEMU"}): calls and tasks fail with their message, value 0, nothing on stderr, no heap block left`, async () => {
    const r = await aam([cmd, await image(QUIET), "--cores", "2"]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.is(r.stdout, QUIET_OUT);
    assert.is(r.stderr, "", "a quiet failure prints nothing");
  });
}

test.run();
