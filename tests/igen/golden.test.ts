// golden.test.ts: every IDL under cases/ against its checked-in outputs.
//
// cases/<dir>/<name>.idl generates <name>_igen.h and <name>_igen.json beside it; cases/errors/
// <name>.idl must fail with exactly the text in <name>.err. The cases run from memory with
// paths relative to cases/ and `-I include`, so the outputs do not depend on where the tests run.
// Regenerate after an intended change: IGEN_UPDATE=1 npx uvu -r esbuild-register tests/igen golden

import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { igen, GENERATORS } from '../../igen/main';
import { CASES, loadTree, memoryHost, UPDATE } from './helpers';

const tree = loadTree(CASES);
const host = memoryHost(tree);
const idls = Object.keys(tree).filter((f) => f.endsWith('.idl')).sort();

function expect(rel: string, actual: string) {
  const file = path.join(CASES, rel);
  if (UPDATE) return fs.writeFileSync(file, actual);
  assert.ok(rel in tree, `missing expected output ${rel} (run with IGEN_UPDATE=1)`);
  assert.fixture(actual, tree[rel], rel);
}

for (const idl of idls.filter((f) => !f.startsWith('errors/'))) {
  test(`golden: ${idl}`, () => {
    const r = igen([idl], { host, includeDirs: ['include'], write: false });
    if (!r.ok) return assert.unreachable(r.errors.map((e) => e.format()).join('\n'));
    assert.is(r.outputs.length, GENERATORS.length);
    for (const o of r.outputs) expect(o.path, o.text);
  });

  test(`golden: ${idl} is deterministic`, () => {
    const a = igen([idl], { host, includeDirs: ['include'], write: false });
    const b = igen([idl], { host, includeDirs: ['include'], write: false });
    assert.equal(a, b);
  });
}

for (const idl of idls.filter((f) => f.startsWith('errors/'))) {
  test(`golden error: ${idl}`, () => {
    const r = igen([idl], { host, includeDirs: ['include'], write: false });
    if (r.ok) return assert.unreachable(`${idl} should fail`);
    expect(idl.replace(/\.idl$/, '.err'), r.errors.map((e) => e.format()).join('\n') + '\n');
  });
}

test('golden: every generated file starts with a line naming its source', () => {
  for (const idl of idls.filter((f) => !f.startsWith('errors/'))) {
    const r = igen([idl], { host, includeDirs: ['include'], write: false });
    if (!r.ok) return assert.unreachable();
    const src = path.basename(idl);
    for (const o of r.outputs) assert.match(o.text.split('\n').slice(0, 2).join('\n'), `by igen from ${src}`, o.path);
  }
});

test.run();
