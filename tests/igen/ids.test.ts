// ids.test.ts: are ordinals stable and does the interface hash see every change that matters?

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fnv1a32, fnv1a64, hex64 } from '../../igen/ids';
import { run } from './helpers';

function machine(text: string, prelude = '') {
  const r = run({ 'a.idl': `${prelude}\nmachine m ${text}` });
  if (!r.ok) throw new Error(r.errors.map((e) => e.format()).join('\n'));
  return r.models[0].machines[0];
}
const ordinals = (m: ReturnType<typeof machine>) => Object.fromEntries(m.tasks.map((t) => [t.name, t.ordinal]));

test('FNV-1a test vectors (so other languages can reproduce the ids)', () => {
  assert.is(fnv1a32(''), 0x811c9dc5);
  assert.is(fnv1a32('a'), 0xe40c292c);
  assert.is(fnv1a32('foobar'), 0xbf9cf968);
  assert.is(hex64(fnv1a64('')), '0xcbf29ce484222325');
  assert.is(hex64(fnv1a64('a')), '0xaf63dc4c8601ec8c');
  assert.is(hex64(fnv1a64('foobar')), '0x85944171f73967e8');
});

test('an ordinal is FNV-1a 32 of "machine.task"', () => {
  const m = machine('{ task compress(); }');
  assert.is(m.tasks[0].ordinal, fnv1a32('m.compress'));
  assert.is(m.tasks[0].selector, 'm.compress');
});

test('ordinals do not move when tasks are added or reordered', () => {
  const a = ordinals(machine('{ task a(); task b(int x); }'));
  const b = ordinals(machine('{ task c(); task b(int x); task a(); }'));
  assert.is(a.a, b.a);
  assert.is(a.b, b.b);
});

test('a selector keeps a renamed task on its old ordinal', () => {
  const before = machine('{ task close_all(); }');
  const after = machine('{ task shutdown [[selector("m.close_all")]] (); }');
  assert.is(after.tasks[0].ordinal, before.tasks[0].ordinal);
});

test('the interface hash changes with every wire-visible change', () => {
  const base = machine('{ task t(in const uint8_t *p [[len(n)]], uint32_t n) -> int32_t; }');
  const variants = [
    '{ task t(in const uint8_t *p [[len(n)]], uint64_t n) -> int32_t; }', // a parameter type
    '{ task t(in const uint16_t *p [[len(n)]], uint32_t n) -> int32_t; }', // an element type
    '{ task t(inout uint8_t *p [[len(n)]], uint32_t n) -> int32_t; }', // a direction
    '{ task t(in const uint8_t *p [[len(4)]], uint32_t n) -> int32_t; }', // a length
    '{ task t(in const uint8_t *p [[len(n)]], uint32_t n) -> int64_t; }', // the result
    '{ task t(in const uint8_t *p [[len(n)]], uint32_t n) -> int32_t; task u(); }', // a new task
    '{ task u(in const uint8_t *p [[len(n)]], uint32_t n) -> int32_t; }', // a task's name
    '{ task t(in const uint8_t *q [[len(n)]], uint32_t n) -> int32_t; }', // a parameter's name
    '[[kernel]] { task t(in const uint8_t *p [[len(n)]], uint32_t n) -> int32_t; }', // the level
  ];
  const hashes = new Set([base.hash, ...variants.map((v) => machine(v).hash)]);
  assert.is(hashes.size, variants.length + 1);
});

test('the hash sees inside structs, but not typedef names', () => {
  const s = (fields: string) => `struct opts { ${fields} };`;
  const h = (prelude: string, param = 'struct opts o') => machine(`{ task t(${param}); }`, prelude).hash;
  const base = h(s('int32_t level; uint8_t raw;'));
  assert.is.not(h(s('int32_t level; uint16_t raw;')), base, 'a field type');
  assert.is.not(h(s('int64_t level; uint8_t raw;')), base, 'an offset');
  assert.is.not(h(s('int32_t lvl; uint8_t raw;')), base, 'a field name');
  assert.is(h(s('int32_t level; uint8_t raw;') + ' typedef struct opts opts_t;', 'opts_t o'), base, 'a typedef for the same struct');
  assert.is(h('typedef int32_t fd_t;', 'fd_t fd'), h('typedef int32_t file_t;', 'file_t fd'), 'a renamed typedef');
});

test('the hash is the same on every run and from every directory', () => {
  const text = 'machine m { task t(uint8_t x); }';
  const a = run({ 'a.idl': text });
  const b = run({ 'deep/dir/a.idl': text }, 'deep/dir/a.idl');
  if (!a.ok || !b.ok) return assert.unreachable();
  assert.is(a.models[0].machines[0].hash, b.models[0].machines[0].hash);
  assert.is(a.outputs[1].text, b.outputs[1].text);
});

test.run();
