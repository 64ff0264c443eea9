// helpers.ts: shared by the igen tests: an in-memory file system and a one-call igen run.

import * as path from 'path';
import { igen, IgenOptions, IgenResult } from '../../igen/main';
import { Host } from '../../igen/preprocess';

export function memoryHost(files: Record<string, string>): Host {
  const norm = new Map(Object.entries(files).map(([k, v]) => [path.resolve('/mem', k), v]));
  return { readFile: (f) => norm.get(path.resolve('/mem', f)) };
}

// Runs igen on `main` (default a.idl) over in-memory files, writing nothing.
export function run(files: Record<string, string>, main = 'a.idl', opts: IgenOptions = {}): IgenResult {
  return igen([main], { host: memoryHost(files), write: false, ...opts });
}

// The one error of a failed run, as `file:line:col: message` (no source line), for assertions.
export function errorOf(files: Record<string, string>, main = 'a.idl', opts: IgenOptions = {}): string {
  const r = run(files, main, opts);
  if (r.ok) throw new Error('expected an error, igen succeeded');
  return r.errors.map((e) => (e.line ? `${e.file}:${e.line}:${e.col}: ${e.reason}` : `${e.file}: ${e.reason}`)).join('\n');
}

export const CASES = path.join(__dirname, 'cases');

// Every file under `dir`, keyed by its path relative to `dir` with '/' separators.
export function loadTree(dir: string, prefix = ''): Record<string, string> {
  const fs = require('fs') as typeof import('fs');
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix + e.name;
    if (e.isDirectory()) Object.assign(out, loadTree(path.join(dir, e.name), rel + '/'));
    else out[rel] = fs.readFileSync(path.join(dir, e.name), 'utf8');
  }
  return out;
}

// Set IGEN_UPDATE=1 to rewrite the expected outputs instead of comparing with them.
export const UPDATE = process.env.IGEN_UPDATE === '1';
