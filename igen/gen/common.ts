// gen/common.ts: what the AssemblyScript and TypeScript generators share.
//
// Owns: the call record's geometry (result offset, record size, the per-pointer facts the kernel
// checks), the structs and enums an interface reaches, and how C names become AS/TS names
// (PascalCase types, camelCase tasks, reserved words escaped, collisions numbered).
// Not: any language's text (gen/as.ts, gen/ts.ts), layouts (layout.ts).
//
// Call record of a task (the contract of client, server, kernel and host):
//
//   0 ┌──────────────┐
//     │ request      │ <machine>_<task>_request, layout.ts
//     ├──────────────┤ RESULT = alignUp(request size, result align)
//     │ result       │ <machine>_<task>_result (may be empty)
//     └──────────────┘ SIZE = max(8, alignUp(RESULT + result size, 8))

import { Machine, Model, Param, Task } from '../model';
import { CType, StructDecl, EnumDecl, strip } from '../types';

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

export interface Geometry {
  resultOffset: number;
  resultSize: number;
  recordSize: number;
}

export function geometry(t: Task): Geometry {
  const resultOffset = alignUp(t.request.size, t.response.align);
  const resultSize = t.response.size;
  return { resultOffset, resultSize, recordSize: Math.max(8, alignUp(resultOffset + resultSize, 8)) };
}

/** Largest buffer a kernel-level machine copies for a pointer with a parameter length. */
export const MAX_BUFFER_BYTES = 0x1000000;

export interface PointerFact {
  param: Param;
  field: number; // offset of the pointer in the request
  dir: number; // IN 1, OUT 2, INOUT 3
  elem: number;
  len: { count: number } | { field: number; size: number; signed: boolean; param: Param };
  maxBytes: number;
}

const DIRS = { in: 1, out: 2, inout: 3 } as const;

export function pointers(t: Task): PointerFact[] {
  const out: PointerFact[] = [];
  for (const p of t.params) {
    if (!p.dir || !p.len || !p.elem) continue;
    const field = t.request.fields.find((f) => f.name === p.name)!.offset;
    let len: PointerFact['len'];
    let maxBytes: number;
    if ('count' in p.len) {
      len = { count: p.len.count };
      maxBytes = p.len.count * p.elem.size;
    } else {
      const name = p.len.param;
      const lp = t.params.find((q) => q.name === name)!;
      const s = strip(lp.type);
      const int = s.kind === 'int' ? s.int : 'u32';
      len = { field: t.request.fields.find((f) => f.name === name)!.offset, size: Number(int.slice(1)) / 8, signed: int[0] === 'i', param: lp };
      maxBytes = MAX_BUFFER_BYTES;
    }
    out.push({ param: p, field, dir: DIRS[p.dir], elem: p.elem.size, len, maxBytes });
  }
  return out;
}

/** Parameters that only give another pointer parameter's length (host APIs derive them). */
export function lengthParams(t: Task): Set<string> {
  const s = new Set<string>();
  for (const p of t.params) if (p.len && 'param' in p.len) s.add(p.len.param);
  return s;
}

/** Structs and enums the interface reaches, in a deterministic order (sorted by C name). */
export function reachedTypes(model: Model): { structs: StructDecl[]; enums: EnumDecl[] } {
  const structs = new Map<string, StructDecl>();
  const enums = new Map<string, EnumDecl>();
  const work: CType[] = [];
  for (const m of model.machines) for (const t of m.tasks) {
    for (const p of t.params) work.push(p.type);
    if (t.result) work.push(t.result);
  }
  // A struct behind a pointer *field* is only an address (usize / number): not reached.
  while (work.length) {
    const s = strip(work.pop()!);
    if (s.kind === 'pointer') {
      const to = strip(s.to);
      if (to.kind !== 'void') work.push(to);
    } else if (s.kind === 'array') work.push(s.of);
    else if (s.kind === 'enum') enums.set(s.decl.name, s.decl);
    else if (s.kind === 'struct' && !structs.has(s.decl.name)) {
      structs.set(s.decl.name, s.decl);
      for (const f of s.decl.fields) if (strip(f.type).kind !== 'pointer') work.push(f.type);
    }
  }
  const byName = <T extends { name: string }>(m: Map<string, T>) => [...m.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { structs: byName(structs), enums: byName(enums) };
}

// Words that cannot name a parameter, a local or a member in AS/TS but can name one in C.
const RESERVED = new Set(('abstract any arguments as async await boolean break case catch class const constructor continue ' +
  'debugger declare default delete do else enum eval export extends false finally for from function get if implements ' +
  'import in instanceof interface is keyof let module namespace never new null number object of package private ' +
  'protected public readonly require return set static string super switch symbol this throw true try type typeof ' +
  'undefined unique unknown var void while with yield ' +
  'bool i8 i16 i32 i64 u8 u16 u32 u64 isize usize f32 f64 v128 memory load store changetype unreachable').split(' '));

export const safe = (name: string) => (RESERVED.has(name) ? name + '_' : name);

const words = (s: string) => s.replace(/^(struct|enum) /, '').split(/[^A-Za-z0-9]+/).filter(Boolean);

/** zlib_options_t → ZlibOptions, struct zlib_stats → ZlibStats, enum zlib_level → ZlibLevel. */
export function pascal(cName: string): string {
  const w = words(cName);
  if (w.length > 1 && w[w.length - 1] === 't') w.pop();
  const s = w.map((x) => x[0].toUpperCase() + x.slice(1)).join('');
  return /^[0-9]/.test(s) ? '_' + s : s;
}

/** close_all → closeAll. */
export function camel(name: string): string {
  const p = pascal(name);
  return safe(p[0].toLowerCase() + p.slice(1));
}

/** Hands out names unique within one generated file, in call order (so deterministic). */
export class Namer {
  private used = new Set<string>();
  constructor(reserved: Iterable<string> = []) {
    for (const r of reserved) this.used.add(r);
  }
  take(want: string): string {
    let name = want;
    for (let i = 2; this.used.has(name); i++) name = `${want}${i}`;
    this.used.add(name);
    return name;
  }
}

/** A local's name that no parameter of the function uses. */
export function local(want: string, params: Iterable<string>): string {
  const taken = new Set(params);
  let name = want;
  while (taken.has(name)) name += '_';
  return name;
}

/** Type names of one file: every reached struct and enum, and the generated per-machine names. */
export interface Names {
  struct: Map<StructDecl, string>;
  enum: Map<EnumDecl, string>;
  machine: Map<Machine, { base: string; client: string; connect: string; check: string; offer: string; offerForeign: string; handlers: string; foreign: string; hash: string }>;
  call: Map<Task, string>; // the typed call class
  handler: Map<Task, string>; // the handler's function type
  method: Map<Task, string>; // camelCase task name, unique in its machine
}

export function names(model: Model): Names {
  const n = new Namer(['Machine', 'Task', 'Interface', 'Future', 'IgenCall', 'Uint8Array', 'DataView', 'Promise', 'Error']);
  const res: Names = { struct: new Map(), enum: new Map(), machine: new Map(), call: new Map(), handler: new Map(), method: new Map() };
  for (const m of model.machines) {
    const base = pascal(m.name);
    res.machine.set(m, {
      base,
      client: n.take(`${base}Client`),
      connect: n.take(`connect${base}`),
      check: n.take(`${camel(m.name).replace(/_$/, '')}InterfaceError`),
      offer: n.take(`offer${base}`),
      offerForeign: n.take(`offer${base}Foreign`),
      handlers: n.take(`${m.name.toUpperCase()}_HANDLERS`),
      foreign: n.take(`${m.name.toUpperCase()}_FOREIGN`),
      hash: n.take(`${m.name.toUpperCase()}_INTERFACE_HASH`),
    });
    const methods = new Namer(['wait', 'release', 'result', 'done', 'failed', 'error', 'asArg', 'fromArg']);
    for (const t of m.tasks) {
      const meth = methods.take(camel(t.name).replace(/_$/, ''));
      methods.take(meth + 'Sync');
      methods.take(meth + 'Then');
      res.method.set(t, meth);
      const tb = base + pascal(t.name);
      res.call.set(t, n.take(`${tb}Call`));
      res.handler.set(t, n.take(`${tb}Handler`));
    }
  }
  const { structs, enums } = reachedTypes(model);
  for (const e of enums) res.enum.set(e, n.take(pascal(e.name)));
  for (const s of structs) res.struct.set(s, n.take(pascal(s.name)));
  return res;
}
