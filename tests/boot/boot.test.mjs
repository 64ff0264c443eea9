// boot.test.mjs: the bare-metal boot (boot/) under QEMU: build the test image (count.wat) and the bare
// kernel, boot them on 1, 2 and 4 cores, and check what they print and the exit code they choose.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { boot as bootQemu, build, hasQemu } from '../../boot/qemu.mjs';

const EXIT_TRAP = 70;
const EXIT_FAULT = 71;
const dir = mkdtempSync(join(tmpdir(), 'aam-boot-'));
const built = {};
function elf(name) {
  if (!hasQemu()) throw new Error('qemu-system-x86_64 is missing: run `sh boot/deps.sh` as root to install it');
  const image = name === 'bare' ? '--bare' : fileURLToPath(new URL(`./${name}.wat`, import.meta.url));
  return (built[name] ??= build(image, join(dir, `${name}.elf`)));
}
const lines = (out) => out.split('\n').filter(Boolean);
// A hang guard for each boot: these kernels run for a second or less, but on a busy machine QEMU
// may wait for the CPU much longer (boot() reports a timeout as timedOut).
const boot = (elf, opts) => bootQemu(elf, { timeoutMs: 120000, ...opts });

test('QEMU is installed (boot/deps.sh installs it)', () => {
  assert.ok(hasQemu(), 'qemu-system-x86_64 not found: run `sh boot/deps.sh` as root');
});

for (const smp of [1, 2, 4]) {
  test(`every core of ${smp} runs the image once, core 0 exits with the total`, async () => {
    const r = await boot(elf('count'), { smp });
    assert.is(r.timedOut, false, 'timed out');
    const out = lines(r.stdout);
    for (let k = 0; k < smp; k++)
      assert.is(out.filter((l) => l === `core ${k} up`).length, 1, `"core ${k} up" once in:\n${r.stdout}`);
    assert.is(out.at(-1), `total ${smp}`, r.stdout);
    assert.is(out.length, smp + 1, `lines of different cores mixed or extra output:\n${r.stdout}`);
    assert.is(r.code, smp, `exit code (QEMU status ${r.status}): ${r.stderr}`);
  });
}

test('a trap on core 1 reports the core, the trap and the fatal message, and exits EXIT_TRAP', async () => {
  const r = await boot(elf('count'), { smp: 2, append: '-- trap' });
  assert.match(r.stderr, /^aam: trap on core 1: unreachable executed: boom at count\.wat:42:7$/m);
  assert.is(r.code, EXIT_TRAP);
});

test('an out-of-bounds load traps (explicit bounds checks)', async () => {
  const r = await boot(elf('count'), { smp: 2, append: '-- oob' });
  assert.match(r.stderr, /^aam: trap on core 1: out of bounds memory access$/m);
  assert.is(r.code, EXIT_TRAP);
});

test('unbounded recursion traps at the core\'s stack floor', async () => {
  const r = await boot(elf('count'), { smp: 2, append: '-- stack' });
  assert.match(r.stderr, /^aam: trap on core 1: call stack exhausted$/m);
  assert.is(r.code, EXIT_TRAP);
});

test('park keeps its contract: a token posted before is consumed, tokens do not add up, timeouts end it', async () => {
  const r = await boot(elf('count'), { smp: 2, append: '-- kpark' });
  const m = /^park ok, timeout after (\d+) us$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  // The park measures its own time (guest clock = host clock): a busy host can keep QEMU off the
  // CPU during it, so the bound is loose; it still catches a timeout read in the wrong unit (x1000).
  assert.ok(Number(m[1]) < 1000000, `a 2 ms park took ${m[1]} us`);
  assert.is(r.code, 2);
});

test('park/wake: 2000 round trips between two parked cores', async () => {
  const r = await boot(elf('count'), { smp: 2, append: '-- ping' });
  const m = /^ping 2000 round trips, (\d+) ns each$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  console.log(`  park/wake round trip: ${(m[1] / 1000).toFixed(1)} us`);
  assert.is(r.code, 2);
});

test('verbose: the boot steps and each core\'s entry are timed', async () => {
  const r = await boot(elf('count'), { smp: 4, append: 'verbose --' });
  const report = /^boot \(us\):.*; total (\d+)$/m.exec(r.stderr);
  assert.ok(report, r.stderr);
  const entries = [...r.stderr.matchAll(/^core (\d+): entry (\d+) us after kmain$/gm)];
  assert.is(entries.length, 4, r.stderr);
  const last = Math.max(...entries.map((e) => Number(e[2])));
  console.log(`  boot to entry (4 cores): ${(last / 1000).toFixed(1)} ms after kmain, ${r.ms.toFixed(0)} ms wall`);
  assert.is(r.code, 4);
});

test('bare boot: all 4 cores up, exit 0', async () => {
  const r = await boot(elf('bare'), { smp: 4 });
  const m = /^bare boot: 4 cores up (\d+) us after kmain/m.exec(r.stderr);
  assert.ok(m, r.stderr);
  console.log(`  bare boot (4 cores): ${(m[1] / 1000).toFixed(1)} ms after kmain, ${r.ms.toFixed(0)} ms wall`);
  assert.is(r.code, 0);
});

test('a CPU exception prints vector, error code and RIP, and exits EXIT_FAULT', async () => {
  const r = await boot(elf('bare'), { smp: 2, append: 'fault --' });
  assert.match(r.stderr, /^core 0: CPU exception 6 \(#UD invalid opcode\), error 0, rip [0-9a-f]+/m);
  assert.is(r.code, EXIT_FAULT);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
