// fuzz.test.ts: what if the IDL is garbage? 10^4 mutated inputs, seeded and deterministic.
//
// Each input is a golden case with one to four mutations (deleted, duplicated, swapped or
// inserted text, inserted tokens of C and of the IDL, random bytes) applied to the IDL or to one
// of its headers. igen must either produce output (parseable JSON, a C header) or fail with
// located IgenErrors; it must never throw anything else, and no input may take more than
// PER_INPUT_MS of CPU time (this process's, not the wall clock: on a busy machine the wall clock
// also counts the time other processes had the CPU). Set IGEN_FUZZ_SEED to explore other seeds,
// IGEN_FUZZ_N for more inputs.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { igen } from '../../igen/main';
import { IgenError } from '../../igen/errors';
import { CASES, loadTree, memoryHost } from './helpers';

const SEED = Number(process.env.IGEN_FUZZ_SEED ?? 0x1d1);
const N = Number(process.env.IGEN_FUZZ_N ?? 10000);
const PER_INPUT_MS = 1000;
/** CPU time this process has used, in ms (igen runs synchronously on this thread). */
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

// mulberry32: a small PRNG with a 32-bit state, enough to make every run the same.
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)] };
}

const FRAGMENTS = [
  'machine', 'task', 'in', 'out', 'inout', '[[', ']]', '[[kernel]]', '[[len(n)]]', '[[len(', '[[selector("m.x")]]',
  '->', '...', '(', ')', '{', '}', '[', ']', ';', ',', '*', '**', ':', '=', '#', '##', '\n#', '\n#define X ', '\n#if ',
  '\n#endif\n', '\n#else\n', '#include "', '#include <', '"', "'", '/*', '*/', '//', '\\\n', 'struct', 'union', 'enum',
  'typedef', 'const', 'void', 'char', 'long', 'long long', 'unsigned', 'double', 'long double', 'bool', 'size_t',
  'uint64_t', 'int8_t', 'sizeof(', '_Alignof(', '_Static_assert(', '__attribute__((packed))', '0x7fffffff', '4294967296',
  '-1', '0', '1u', '1.5', "'a'", "'\\x80'", '<<', '>>', '/', '%', '?', '&&', '||', '!', '~', 'defined', '\u00e9', '\u0000',
  '\t', '\r\n', ' ', 'x', 'n', 'cap', 'fd_t', 'zlib', 'compress', '(*', ')(int)', '[0]', '[]', ': 3',
];

function mutate(text: string, r: ReturnType<typeof prng>): string {
  const pos = () => r.int(text.length + 1);
  switch (r.int(8)) {
    case 0: { // delete a range
      const a = pos();
      return text.slice(0, a) + text.slice(a + 1 + r.int(20));
    }
    case 1: { // duplicate a range somewhere else
      const a = pos();
      const piece = text.slice(a, a + 1 + r.int(80));
      const b = pos();
      return text.slice(0, b) + piece + text.slice(b);
    }
    case 2: { // swap two lines
      const lines = text.split('\n');
      const i = r.int(lines.length);
      const j = r.int(lines.length);
      [lines[i], lines[j]] = [lines[j], lines[i]];
      return lines.join('\n');
    }
    case 3: { // a random byte
      const a = pos();
      return text.slice(0, a) + String.fromCharCode(r.int(128)) + text.slice(a + 1);
    }
    case 4: { // replace an identifier with another one of the text
      const ids = text.match(/[A-Za-z_]\w*/g) ?? ['x'];
      const from = r.pick(ids);
      const to = r.pick(ids);
      let k = r.int(4);
      return text.replace(new RegExp(`\\b${from}\\b`, 'g'), (m) => (k-- === 0 ? to : m));
    }
    case 5: { // repeat a fragment many times (nesting, long lines)
      const a = pos();
      return text.slice(0, a) + r.pick(FRAGMENTS).repeat(1 + r.int(300)) + text.slice(a);
    }
    default: { // insert a fragment
      const a = pos();
      return text.slice(0, a) + r.pick(FRAGMENTS) + text.slice(a);
    }
  }
}

test(`fuzz: ${N} mutated inputs (seed ${SEED}) give output or located errors, fast`, () => {
  const tree = loadTree(CASES);
  const idls = Object.keys(tree).filter((f) => f.endsWith('.idl'));
  const r = prng(SEED);
  const stats = { ok: 0, failed: 0, slowest: 0 };
  const start = Date.now();
  for (let i = 0; i < N; i++) {
    const idl = r.pick(idls);
    const files = { ...tree };
    const dir = idl.slice(0, idl.lastIndexOf('/') + 1);
    const local = Object.keys(files).filter((f) => f.startsWith(dir) && (f.endsWith('.h') || f.endsWith('.idl')));
    const target = r.next() < 0.75 ? idl : r.pick(local);
    let text = files[target];
    for (let m = 1 + r.int(4); m > 0; m--) text = mutate(text, r);
    files[target] = text;
    const t0 = cpuMs();
    let result;
    try {
      result = igen([idl], { host: memoryHost(files), includeDirs: ['include'], write: false });
    } catch (e) {
      assert.unreachable(`input ${i} (${target} of ${idl}) threw ${e instanceof Error ? e.stack : e}\n--- input ---\n${text}`);
      return;
    }
    const ms = Math.round(cpuMs() - t0);
    stats.slowest = Math.max(stats.slowest, ms);
    if (ms > PER_INPUT_MS) assert.unreachable(`input ${i} took ${ms} ms of CPU\n--- input ---\n${text.slice(0, 2000)}`);
    if (result.ok) {
      stats.ok++;
      for (const o of result.outputs) {
        if (o.path.endsWith('.json')) JSON.parse(o.text);
        assert.ok(o.text.includes('Generated by igen') || o.text.includes('by igen from'), o.path);
      }
    } else {
      stats.failed++;
      assert.ok(result.errors.length > 0);
      for (const e of result.errors) {
        assert.ok(e instanceof IgenError);
        assert.ok(e.file.length > 0 && e.line >= 1 && e.col >= 1, `input ${i}: unlocated error ${e.message}`);
        const lines = e.format().split('\n');
        assert.is(lines.length, 3, `input ${i}: ${e.format()}`);
        assert.match(lines[0], /^[^:]+:\d+:\d+: \S/);
        // The caret stands under the character at the error's column (in a long line's window too).
        assert.ok(lines[2].endsWith('^'));
        assert.is(lines[1][lines[2].length - 1], e.sourceLine[e.col - 1], `input ${i}: caret under column ${e.col}`);
      }
    }
  }
  const total = Date.now() - start;
  console.log(`  fuzz: ${stats.ok} generated, ${stats.failed} failed with located errors, slowest ${stats.slowest} ms of CPU, all ${total} ms`);
  assert.ok(stats.ok > N / 20, 'mutations should leave some inputs valid');
  assert.ok(stats.failed > N / 2, 'most mutations should be errors');
});

test('fuzz: pathological inputs', () => {
  const inputs = [
    '('.repeat(100000),
    '{'.repeat(100000),
    '[['.repeat(50000),
    'int ' + '*'.repeat(100000) + 'p;',
    'machine m { task t(' + 'int a, '.repeat(20000) + 'int z); }',
    '#if '.repeat(1000),
    '#define A A A\nA',
    '#define F(x) F(x) F(x)\nF(F(F(F(F(1)))))',
    '#define F(x) x\n' + 'F('.repeat(5000) + '1' + ')'.repeat(5000),
    'enum e { ' + Array.from({ length: 5000 }, (_, i) => `E${i}`).join(', ') + ' };',
    'x'.repeat(500000),
    '"' + 'a'.repeat(100000),
    '\u0000\u0001\u0002',
    'struct s { ' + 'struct { '.repeat(1000) + 'int a;' + ' } b;'.repeat(1000) + ' };',
    'typedef int t[' + '1+'.repeat(30000) + '1];',
    'char c = ' + '-'.repeat(50000) + '1;',
    'typedef int t0;\n' + Array.from({ length: 5000 }, (_, i) => `typedef t${i} t${i + 1};`).join('\n'),
    'typedef int *p0;\n' + Array.from({ length: 5000 }, (_, i) => `typedef p${i} *p${i + 1};`).join('\n'),
    'struct s0 { int a; };\n' + Array.from({ length: 1000 }, (_, i) => `struct s${i + 1} { struct s${i} v; };`).join('\n'),
    'struct s0 { int a; };\n' + Array.from({ length: 5000 }, (_, i) => `struct s${i + 1} { struct s${i} *p; int x; };`).join('\n') +
      '\nmachine m { task t(struct s5000 v, in struct s5000 *q [[len(1)]]); }',
    'int a' + '[1]'.repeat(10000) + ';',
  ];
  for (const text of inputs) {
    const t0 = cpuMs();
    const r = igen(['a.idl'], { host: memoryHost({ 'a.idl': text }), write: false });
    const ms = cpuMs() - t0;
    assert.ok(ms < 2 * PER_INPUT_MS, `took ${ms.toFixed(0)} ms of CPU: ${text.slice(0, 60)}`);
    if (!r.ok) for (const e of r.errors) assert.ok(e.line >= 1, e.message);
  }
});

test.run();
