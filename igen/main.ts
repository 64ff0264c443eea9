// main.ts: igen's entry point, `igen(files, opts)`, and the `aam igen` command line.
//
// Owns: the pipeline of one IDL file (preprocess -> parse -> model -> generators), the list of
// generators, and the all-or-nothing rule: outputs are written only when every input file
// passed every phase, so a bad input leaves no partial output behind.
// Not: any phase's rules; the aam command dispatcher (tools/) calls igenCli or igen.
//
// Pipeline of one file:
//   1. preprocess.ts reads the IDL and its headers and expands macros into one token list.
//   2. parse.ts reads C declarations and machine blocks from it.
//   3. model.ts checks each machine and lays out its records.
//   4. each generator in GENERATORS renders the model into one output file.
// Phases 1 and 2 stop at their first error; phase 3 reports every error it finds.

import * as fs from 'fs';
import * as path from 'path';
import { IgenError } from './errors';
import { Host, preprocess } from './preprocess';
import { parse } from './parse';
import { buildModel, Model } from './model';
import * as cHeader from './gen/c';
import * as jsonModel from './gen/json';
import { client as asClient, server as asServer } from './gen/as';
import * as tsHost from './gen/ts';

export interface Generator {
  suffix: string; // appended to the IDL's name without its extension
  generate(model: Model, source: string): string;
}

// One entry per artefact: C header, JSON model, AssemblyScript client and server, and the
// TypeScript client for JS on the Node host.
export const GENERATORS: Generator[] = [cHeader, jsonModel, asClient, asServer, tsHost];

export interface IgenOptions {
  outDir?: string; // default: next to each IDL file
  includeDirs?: string[]; // searched after the including file's directory, in order
  host?: Host; // file access; default: the real file system
  write?: boolean; // default true; false only computes the outputs
}

export interface Output {
  path: string;
  text: string;
}

export type IgenResult =
  | { ok: true; outputs: Output[]; models: Model[] }
  | { ok: false; errors: IgenError[] };

export const nodeHost: Host = {
  readFile(file) {
    try {
      if (!fs.statSync(file).isFile()) return undefined;
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  },
};

export function igen(files: string[], opts: IgenOptions = {}): IgenResult {
  const host = opts.host ?? nodeHost;
  const includeDirs = opts.includeDirs ?? [];
  const outputs: Output[] = [];
  const models: Model[] = [];
  const errors: IgenError[] = [];
  for (const file of files) {
    try {
      const pre = preprocess(file, { includeDirs, host });
      const program = parse(pre.tokens, pre.main);
      const { model, errors: modelErrors } = buildModel(program, pre.files, pre.mainDirectives, pre.macros);
      if (!model) {
        errors.push(...modelErrors);
        continue;
      }
      const source = path.basename(file);
      const dir = opts.outDir ?? path.dirname(file);
      const base = source.replace(/\.[^.]*$/, '');
      for (const g of GENERATORS) outputs.push({ path: path.join(dir, base + g.suffix), text: g.generate(model, source) });
      models.push(model);
    } catch (e) {
      if (e instanceof IgenError) errors.push(e);
      else throw e;
    }
  }
  if (errors.length) return { ok: false, errors };
  const seen = new Set<string>();
  for (const o of outputs) {
    if (seen.has(path.resolve(o.path))) return { ok: false, errors: [new IgenError(o.path, 'two IDL files would write this output')] };
    seen.add(path.resolve(o.path));
  }
  if (opts.write !== false) writeAll(outputs);
  return { ok: true, outputs, models };
}

// Writes each output through a temporary file and a rename, so a reader never sees half a file.
function writeAll(outputs: Output[]) {
  for (const o of outputs) {
    fs.mkdirSync(path.dirname(o.path), { recursive: true });
    const tmp = `${o.path}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, o.text);
    fs.renameSync(tmp, o.path);
  }
}

const USAGE = 'usage: aam igen <file.idl>... [-o dir] [-I dir]...';

// `aam igen` and `node -r esbuild-register igen/main.ts`: prints errors to stderr and returns the
// exit status (0 ok, 1 bad input, 2 bad usage).
export function igenCli(argv: string[], log = console): number {
  const files: string[] = [];
  const opts: IgenOptions = { includeDirs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.length > 2 ? a.slice(2) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a directory`);
      return v;
    };
    try {
      if (a.startsWith('-o')) opts.outDir = value();
      else if (a.startsWith('-I')) opts.includeDirs!.push(value());
      else if (a === '-h' || a === '--help') return log.log(USAGE), 0;
      else if (a.startsWith('-')) throw new Error(`unknown option '${a}'`);
      else files.push(a);
    } catch (e) {
      log.error(`igen: ${(e as Error).message}\n${USAGE}`);
      return 2;
    }
  }
  if (files.length === 0) {
    log.error(USAGE);
    return 2;
  }
  const r = igen(files, opts);
  if (!r.ok) {
    for (const e of r.errors) log.error(e.format());
    return 1;
  }
  for (const o of r.outputs) log.log(`igen: wrote ${o.path}`);
  return 0;
}

if (typeof module !== 'undefined' && require.main === module) process.exitCode = igenCli(process.argv.slice(2));
