// gen/json.ts: the model as JSON, `<name>_igen.json`.
//
// Owns: the JSON form of a Model: every machine with its hash and canonical text, every task
// with its ordinal, parameters, result and record layouts, and a table of the structs and enums
// they use. Generators in other languages and `aam build` read this file; its "format" number
// changes when its shape does.
// Not: anything that is not in the model.
//
// The output is deterministic: keys in a fixed order, the type table sorted by name, paths
// relative to the IDL's directory with '/' separators.

import * as path from 'path';
import { Model, Param, Record } from '../model';
import { CType, EnumDecl, StructDecl, findIncomplete, findUnsupported, spell, strip } from '../types';
import { sizeAlign } from '../layout';
import { hex32, hex64 } from '../ids';
import { Loc } from '../errors';

export const suffix = '_igen.json';
export const FORMAT = 1;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function generate(model: Model, source: string): string {
  const structs = new Map<string, StructDecl>();
  const enums = new Map<string, EnumDecl>();
  const where = model.machines[0]?.loc ?? { file: model.idl, offset: 0, line: 1, col: 1 };

  const laidOut = (t: CType) => !findIncomplete(t) && !findUnsupported(t) && strip(t).kind !== 'void';

  // Every struct and enum reachable from the tasks, by value or through pointers (a worklist:
  // pointer chains between structs may be long).
  function collect(root: CType) {
    const work = [root];
    while (work.length) {
      const s = strip(work.pop()!);
      if (s.kind === 'pointer') work.push(s.to);
      else if (s.kind === 'array') work.push(s.of);
      else if (s.kind === 'enum' && s.decl.complete) enums.set(s.decl.name, s.decl);
      else if (s.kind === 'struct' && laidOut(s) && !structs.has(s.decl.name)) {
        structs.set(s.decl.name, s.decl);
        for (const f of s.decl.fields) work.push(f.type);
      }
    }
  }

  function type(t: CType, loc: Loc): Json {
    const s = strip(t);
    const j: { [k: string]: Json } = { c: spell(t) };
    if (t.kind === 'typedef') j.typedef = t.name;
    if (s.const) j.const = true;
    switch (s.kind) {
      case 'void': j.kind = 'void'; break;
      case 'bool': j.kind = 'bool'; break;
      case 'int': j.kind = 'int'; j.int = s.int; break;
      case 'float': j.kind = 'float'; j.float = s.size === 4 ? 'f32' : 'f64'; break;
      case 'enum': j.kind = 'enum'; j.ref = s.decl.name; j.int = s.decl.int; break;
      case 'struct': j.kind = 'struct'; j.ref = s.decl.name; break;
      case 'pointer': j.kind = 'pointer'; j.to = type(s.to, loc); break;
      case 'array': j.kind = 'array'; j.count = s.count; j.of = type(s.of, loc); break;
      default: j.kind = s.kind;
    }
    if (laidOut(t)) Object.assign(j, sizeAlign(t, loc));
    return j;
  }

  function record(r: Record): Json {
    return {
      name: r.name,
      size: r.size,
      align: r.align,
      fields: r.fields.map((f) => ({ name: f.name, offset: f.offset, ...sizeAlign(f.type, f.loc) })),
    };
  }

  function param(p: Param): Json {
    const j: { [k: string]: Json } = { name: p.name, dir: p.dir ?? 'value', type: type(p.type, p.loc) };
    if (p.len) j.len = 'param' in p.len ? { param: p.len.param } : { count: p.len.count };
    if (p.elem) j.elemSize = p.elem.size;
    return j;
  }

  for (const m of model.machines) {
    for (const t of m.tasks) {
      for (const p of t.params) collect(p.type);
      if (t.result) collect(t.result);
    }
  }

  const machines: Json = model.machines.map((m) => ({
    name: m.name,
    level: m.kernel ? 'kernel' : 'user',
    hash: hex64(m.hash),
    canonical: m.canonical,
    tasks: m.tasks.map((t) => ({
      name: t.name,
      selector: t.selector,
      ordinal: t.ordinal,
      ordinalHex: hex32(t.ordinal),
      params: t.params.map(param),
      result: t.result ? type(t.result, t.loc) : null,
      request: record(t.request),
      response: record(t.response),
    })),
  }));

  const types: { [k: string]: Json } = {};
  const names = [...structs.keys(), ...enums.keys()].sort();
  for (const name of names) {
    const s = structs.get(name);
    if (s) {
      const { size, align } = sizeAlign({ kind: 'struct', decl: s }, where);
      types[name] = { kind: 'struct', size, align, fields: s.fields.map((f) => ({ name: f.name, offset: f.offset, type: type(f.type, f.loc) })) };
    } else {
      const e = enums.get(name)!;
      types[name] = { kind: 'enum', int: e.int, members: e.members.map((x) => ({ name: x.name, value: Number(x.value) })) };
    }
  }

  const dir = path.dirname(model.idl.path);
  const rel = (p: string) => path.relative(dir, p).split(path.sep).join('/');
  const doc: Json = {
    generated: `by igen from ${source}; do not edit`,
    format: FORMAT,
    source,
    includes: model.files.slice(1).map((f) => rel(f.path)),
    machines,
    types,
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
