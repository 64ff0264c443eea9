// layout.test.ts: igen's record layouts against a C compiler's, for every golden case.
//
// For each case, a probe C file includes the generated header and lists, in one array,
// sizeof, _Alignof and offsetof of every request and result record and of every struct in the
// JSON's type table. The probe is compiled to assembly, not run, and the array read from it:
// no 32-bit C library or linker is needed, only the compiler's own freestanding headers.
//
// Compiler: `gcc -m32 -malign-double -ffreestanding`. -m32 gives ILP32 (4-byte int, long and
// pointers) as on wasm32. The i386 System V ABI aligns int64_t and double to 4 inside structs;
// wasm32 aligns them to 8; -malign-double makes i386 do as wasm32 does. The last test shows
// the difference, so the flag's purpose stays visible. When `clang` is installed, the probes are
// also compiled with `clang --target=wasm32`, the real target.

import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { igen } from '../../igen/main';
import { CASES } from './helpers';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const GCC = has('gcc');
const CLANG = has('clang');
const GCC_FLAGS = ['-m32', '-malign-double', '-ffreestanding', '-std=c11'];
const CLANG_FLAGS = ['--target=wasm32', '-ffreestanding', '-std=c11'];

interface Probe {
  exprs: string[];
  expected: number[];
}

function probeOf(json: any): Probe {
  const exprs: string[] = [];
  const expected: number[] = [];
  const add = (e: string, v: number) => (exprs.push(e), expected.push(v));
  const record = (c: string, r: { size: number; align: number; fields: { name: string; offset: number }[] }) => {
    add(`sizeof(${c})`, r.size);
    add(`_Alignof(${c})`, r.align);
    for (const f of r.fields) add(`offsetof(${c}, ${f.name})`, f.offset);
  };
  for (const m of json.machines) {
    for (const t of m.tasks) {
      for (const r of [t.request, t.response]) if (r.fields.length) record(`struct ${r.name}`, r);
    }
  }
  for (const [name, t] of Object.entries<any>(json.types)) {
    if (t.kind === 'struct' && !name.includes('<')) record(name, t);
  }
  return { exprs, expected };
}

// Compiles `source` to assembly and returns the values of the array igen_probe.
function compile(cc: string, flags: string[], dir: string, includes: string[], source: string): number[] {
  const file = path.join(dir, 'probe.c');
  fs.writeFileSync(file, source);
  const asm = execFileSync(cc, [...flags, ...includes.flatMap((i) => ['-I', i]), '-S', '-o', '-', file], { encoding: 'utf8' });
  const start = asm.search(/^igen_probe:/m);
  assert.ok(start >= 0, 'igen_probe not found in the assembly');
  const values: number[] = [];
  for (const line of asm.slice(start).split('\n').slice(1)) {
    const m = /^\s*\.(?:long|int32|4byte)\s+(\d+)/.exec(line);
    if (!m) break;
    values.push(Number(m[1]));
  }
  return values;
}

const cases = ['zlib/zlib.idl', 'layout/layout.idl', 'fs/fs.idl', 'include/net.idl'];
const includeDir = path.join(CASES, 'include');

for (const idl of cases) {
  test(`layout: ${idl} matches ${GCC ? 'gcc -m32 -malign-double' : '(gcc missing: skipped)'}${CLANG ? ' and clang wasm32' : ''}`, () => {
    if (!GCC) return console.log('  gcc is not installed: layout comparison skipped');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igen-layout-'));
    try {
      const file = path.join(CASES, idl);
      const r = igen([file], { includeDirs: [includeDir], outDir: dir });
      if (!r.ok) return assert.unreachable(r.errors.map((e) => e.format()).join('\n'));
      const base = path.basename(idl, '.idl');
      const json = JSON.parse(fs.readFileSync(path.join(dir, `${base}_igen.json`), 'utf8'));
      const { exprs, expected } = probeOf(json);
      const source = `#include "${base}_igen.h"\nconst unsigned int igen_probe[] = {\n${exprs.map((e) => `    ${e},`).join('\n')}\n};\n`;
      const includes = [dir, path.dirname(file), includeDir];
      const check = (cc: string, flags: string[]) => {
        const got = compile(cc, flags, dir, includes, source);
        assert.is(got.length, expected.length, `${cc}: probe length`);
        exprs.forEach((e, i) => assert.is(got[i], expected[i], `${cc}: ${e}`));
        // The header's own static assertions agree too.
        execFileSync(cc, [...flags, '-DIGEN_CHECK_LAYOUT', '-fsyntax-only', ...includes.flatMap((i) => ['-I', i]), path.join(dir, 'probe.c')]);
      };
      check('gcc', GCC_FLAGS);
      if (CLANG) check('clang', CLANG_FLAGS);
      assert.ok(expected.length > 10);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('layout: without -malign-double, i386 puts an int64_t at offset 4 (why the flag is used)', () => {
  if (!GCC) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igen-layout-'));
  try {
    const src = '#include <stdint.h>\n#include <stddef.h>\nstruct s { char c; int64_t v; };\nconst unsigned int igen_probe[] = { offsetof(struct s, v), sizeof(struct s) };\n';
    assert.equal(compile('gcc', ['-m32', '-ffreestanding'], dir, [], src), [4, 12]);
    assert.equal(compile('gcc', GCC_FLAGS, dir, [], src), [8, 16]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
