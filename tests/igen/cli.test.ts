// cli.test.ts: what does `aam igen` write, print and return, and what does a bad input leave?

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { igen, igenCli } from '../../igen/main';

function tmp(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igen-cli-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, log: { log: (s: string) => out.push(s), error: (s: string) => err.push(s) } as unknown as Console };
}

const GOOD = 'machine m { task t(uint32_t x) -> uint32_t; }\n';

test('aam igen x.idl -o dir writes the header, the JSON, the AS client and server and the host client, and exits 0', () => {
  const dir = tmp({ 'x.idl': GOOD });
  try {
    const c = capture();
    assert.is(igenCli([path.join(dir, 'x.idl'), '-o', path.join(dir, 'out')], c.log), 0);
    assert.equal(fs.readdirSync(path.join(dir, 'out')).sort(), ['x_igen.h', 'x_igen.json', 'x_igen_client.ts', 'x_igen_host.ts', 'x_igen_server.ts']);
    assert.is(c.err.length, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('without -o the outputs go next to the IDL; -I dirs are searched', () => {
  const dir = tmp({ 'x.idl': '#include <t.h>\nmachine m { task t(t_t x); }', 'inc/t.h': 'typedef int t_t;' });
  try {
    assert.is(igenCli([path.join(dir, 'x.idl'), '-I', path.join(dir, 'inc')], capture().log), 0);
    assert.ok(fs.existsSync(path.join(dir, 'x_igen.h')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad input prints located errors, exits 1 and writes nothing, not even for good files', () => {
  const dir = tmp({ 'good.idl': GOOD, 'bad.idl': 'machine m {\n  task t(in char *p);\n}\n' });
  try {
    const c = capture();
    const status = igenCli([path.join(dir, 'good.idl'), path.join(dir, 'bad.idl'), '-o', path.join(dir, 'out')], c.log);
    assert.is(status, 1);
    assert.is(c.err.join('\n'), `${path.join(dir, 'bad.idl')}:2:19: pointer parameter 'p' needs a length: [[len(param)]] or [[len(count)]]\n  task t(in char *p);\n                  ^`);
    assert.not.ok(fs.existsSync(path.join(dir, 'out')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an old output is not touched by a failed run', () => {
  const dir = tmp({ 'x.idl': GOOD });
  try {
    assert.is(igenCli([path.join(dir, 'x.idl')], capture().log), 0);
    const before = fs.readFileSync(path.join(dir, 'x_igen.h'), 'utf8');
    fs.writeFileSync(path.join(dir, 'x.idl'), 'machine m { task t(bogus_t x); }');
    assert.is(igenCli([path.join(dir, 'x.idl')], capture().log), 1);
    assert.is(fs.readFileSync(path.join(dir, 'x_igen.h'), 'utf8'), before);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('usage errors exit 2; a missing file is reported without a position', () => {
  const c = capture();
  assert.is(igenCli([], c.log), 2);
  assert.is(igenCli(['-x'], c.log), 2);
  assert.is(igenCli(['-o'], c.log), 2);
  const m = capture();
  assert.is(igenCli(['/nonexistent/x.idl'], m.log), 1);
  assert.is(m.err[0], '/nonexistent/x.idl: cannot read file');
});

test('two IDL files that would write the same output are refused', () => {
  const dir = tmp({ 'a/x.idl': GOOD, 'b/x.idl': GOOD });
  try {
    const r = igen([path.join(dir, 'a/x.idl'), path.join(dir, 'b/x.idl')], { outDir: path.join(dir, 'out') });
    assert.not.ok(r.ok);
    assert.not.ok(fs.existsSync(path.join(dir, 'out')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
