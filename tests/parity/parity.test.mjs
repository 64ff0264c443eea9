// parity.test.mjs: the same system image on both hosts. Each scenario program (programs/*.ts) runs
// on Node with 2 cores (`aam run`) and bare metal under QEMU with -smp 1, 2 and 4 (`aam boot`);
// stdout must be the same bytes and the exit status the same. The programs print only what does not
// depend on the core count or the interleaving (totals, checksums), so a difference is a host bug.
// Each Node output is also checked against what the program must print, so that both hosts
// failing alike does not pass.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image, kernelImage, before } from "../lib/aam.mjs";

const P = (n) => `tests/parity/programs/${n}.ts`;
const STDIN = Array.from({ length: 10000 }, (_, i) => `line ${i} of the input\n`).join("");   // the stdin scenario's input
const SMP = [1, 2, 4];

// name, arguments, exit status, what Node's stdout must be, how many task traps stderr reports.
const SCENARIOS = [
  { name: "hello", args: [], code: 0, out: /^hello: shared counter 20000 per core, total ok\n$/ },
  { name: "fib", args: ["16"], code: 0, out: /^fib\(16\) = 987, tasks 2582, fib\(n\)\/fib\(n-1\) = 1\.618\d+, floor\(sqrt\) = 31\.0\n$/ },
  { name: "noop", args: ["20000"], code: 0, out: /^noop: tasks 20000 once 20000 wrong 0 checksum \d+ ok\n$/ },
  { name: "chain", args: ["300", "3"], code: 0, out: /^chain: 300 links x 3 rounds, sum 135450 ok\n$/ },
  { name: "pingpong", args: ["2", "1000"], code: 0, out: /^pingpong: waits 4000 expected 4000 returned 4000 leftover units 0\n$/ },
  { name: "calls", args: ["event", "100"], code: 0, out: /^calls 1200 bad 0 events 1200 calls in 1208 calls out 1200 released 0 thens 0\n$/ },
  { name: "calls", args: ["claims", "60"], code: 0, out: /^calls 720 bad 0 events 0 calls in 728 calls out 720 released 120 thens 120\n$/ },
  { name: "grow", args: ["8", "4"], code: 0, out: /^grow: 8 tasks x 4 blocks of 512 KiB, checksum \d+ ok, memory grown ok\n$/ },
  { name: "task_trap", args: [], code: 0, taskTraps: 12, out: /^task_trap: ok 108 failed 12, the system goes on\n$/ },
  { name: "root_trap", args: [], code: 70, rootTrap: true, out: /^root_trap: joined 1, now trapping in main\n$/ },
  { name: "percore_trap", args: [], code: 70, trap: true, out: /^percore_trap: core 0 divides by zero outside any task\n$/ },
  { name: "exit", args: ["5"], code: 5, out: /^exit: calling exit\(5\) from a task\n$/ },
  { name: "stdin", args: [], code: 0, input: STDIN, out: /^stdin: 228890 bytes, fnv 466a355b\nlast line:\nline 9999 of the input\nend\n$/ },
];

const images = {};
before(test, async () => {
  // Build every image, then every kernel (aam image fills the boot cache), two at a time.
  const queue = [...new Set(SCENARIOS.map((s) => s.name))];
  const worker = async () => {
    for (let name; (name = queue.shift());) {
      images[name] = await image(P(name));
      await kernelImage(images[name]);
    }
  };
  await Promise.all([worker(), worker()]);
});

const taskTraps = (err) => (err.match(/^aam: task trapped on core \d+/gm) ?? []).length;

for (const s of SCENARIOS) {
  test(`${[s.name, ...s.args].join(" ")}: same stdout and exit status ${s.code} on Node (2 cores) and QEMU -smp ${SMP.join(", ")}`, async () => {
    const node = await aam(["run", images[s.name], "--cores", "2", "--", ...s.args], { input: s.input });
    assert.is(node.code, s.code, `node exit status; stderr:\n${node.stderr}`);
    assert.match(node.stdout, s.out, `node stdout:\n${node.stdout}`);
    const runs = await Promise.all(SMP.map((n) => aam(["boot", images[s.name], "--cores", String(n), "--", ...s.args], { input: s.input })));
    runs.forEach((q, i) => {
      const where = `QEMU -smp ${SMP[i]}`;
      assert.is(q.stdout, node.stdout, `${where}: stdout differs from Node's; stderr:\n${q.stderr}`);
      assert.is(q.code, node.code, `${where}: exit status; stderr:\n${q.stderr}`);
      if (s.taskTraps) {
        assert.is(taskTraps(q.stderr), s.taskTraps, `${where}: task trap reports:\n${q.stderr}`);
        assert.is(taskTraps(node.stderr), s.taskTraps, `node: task trap reports:\n${node.stderr}`);
      }
      if (s.rootTrap) {                  // main fails as a task does, then the system ends with 70 (ARCHITECTURE §10)
        const re = /^aam: task trapped on core \d+ in main \(machine main\): unreachable \(main failed: the system ends with status 70\)$/m;
        assert.is(taskTraps(q.stderr), 1, `${where}: ${q.stderr}`);
        assert.is(taskTraps(node.stderr), 1, `node: ${node.stderr}`);
        assert.match(q.stderr, re, `${where}: ${q.stderr}`);
        assert.match(node.stderr, re, `node: ${node.stderr}`);
      }
      if (s.trap) assert.match(q.stderr, /^aam: trap on core 0: integer divide by zero$/m, `${where}: ${q.stderr}`);
    });
  });
}

test.run();
