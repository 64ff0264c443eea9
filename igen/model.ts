// model.ts: the resolved, checked description of every machine interface in an IDL file.
//
// Owns: the rules an interface must follow (docs/igen.md, "Parameters"), the request and result
// record of each task with its wasm32 layout, task ordinals and their collisions, and the
// interface hash. Every generator reads a Model and nothing else.
// Not: parsing (parse.ts), layout arithmetic (layout.ts), hashing (ids.ts), output (gen/).
//
// A task is one message on the machine's interface queue. Its request record holds the
// parameters in declaration order, a pointer parameter as its 4-byte address; its result record
// holds the result value. Pointer parameters say which way their data flows (in: client to
// server, out: server to client, inout: both) and how many elements they point to, so the
// generated server of a kernel-level machine can validate and copy them.

import { IgenError, Loc, SourceFile } from './errors';
import { canonType, fnv1a32, fnv1a64, hex32 } from './ids';
import { layoutFields, SizeAlign, sizeAlign } from './layout';
import { Direction, MachineAst, ParamAst, Program, TaskAst } from './parse';
import { CType, Field, findIncomplete, findPointerField, findUnsupported, isInteger, spell, strip } from './types';
import { MAX_ERRORS, MAX_TASKS, MAX_TYPE_BYTES } from './limits';

export type Length = { param: string } | { count: number };

export interface Param {
  name: string;
  loc: Loc;
  type: CType;
  dir: Direction | null; // null for a value parameter
  len: Length | null; // set exactly for pointer parameters
  elem: SizeAlign | null; // a pointer parameter's element (void counts as 1 byte)
}

export interface Record {
  name: string; // C struct tag, e.g. zlib_compress_request
  size: number;
  align: number;
  fields: Field[];
}

export interface Task {
  name: string;
  loc: Loc;
  selector: string;
  ordinal: number;
  params: Param[];
  result: CType | null;
  request: Record;
  response: Record;
}

export interface Machine {
  name: string;
  loc: Loc;
  kernel: boolean;
  tasks: Task[];
  canonical: string;
  hash: bigint;
}

export interface Model {
  idl: SourceFile;
  files: SourceFile[]; // the IDL and every header it read
  program: Program;
  machines: Machine[];
}

export function buildModel(program: Program, files: SourceFile[], mainDirectives: { start: number; end: number }[], macros: Map<string, Loc>): { model: Model | null; errors: IgenError[] } {
  const errors: IgenError[] = [];
  const err = (loc: Loc, message: string) => {
    if (errors.length < MAX_ERRORS) errors.push(new IgenError(loc, message));
  };
  const where = (l: Loc) => `${l.file.path}:${l.line}:${l.col}`;
  const machines: Machine[] = [];
  const seen = new Map<string, MachineAst>();

  for (const m of program.machines) {
    const first = seen.get(m.name);
    if (first) err(m.loc, `duplicate machine '${m.name}' (first declared at ${where(first.loc)})`);
    else seen.set(m.name, m);
    for (const d of mainDirectives) {
      if (d.start > m.span.start && d.start < m.span.end) {
        const loc = { file: program.main, offset: d.start, ...program.main.position(d.start) };
        err(loc, `preprocessor directive inside machine '${m.name}'; put it before the machine`);
      }
    }
    const before = errors.length;
    const tasks = machineTasks(m);
    if (errors.length === before) machines.push(finishMachine(m, tasks));
  }
  // Generated names (C records, macros) join machine and task with '_': they must stay distinct
  // from each other and from the names the input declares.
  const records = new Map<string, string>();
  const taken = (name: string, loc: Loc, what: string) => {
    const tag = program.tags.get(name.replace(/^struct /, ''));
    const mac = macros.get(name);
    const at = tag?.decl.loc ?? mac;
    if (at) err(loc, `${what} would generate '${name}', which ${where(at)} already declares`);
    return !!at;
  };
  for (const m of machines) {
    taken(`${m.name.toUpperCase()}_INTERFACE_HASH`, m.loc, `machine '${m.name}'`);
    for (const t of m.tasks) {
      const key = t.request.name.toLowerCase();
      const other = records.get(key);
      if (other) err(t.loc, `task ${m.name}.${t.name} and task ${other} would generate the same name '${t.request.name}'`);
      else records.set(key, `${m.name}.${t.name}`);
      const what = `task ${m.name}.${t.name}`;
      taken(`struct ${t.request.name}`, t.loc, what) || taken(`struct ${t.response.name}`, t.loc, what) ||
        taken(`${m.name.toUpperCase()}_${t.name.toUpperCase()}_ORDINAL`, t.loc, what);
    }
  }
  return errors.length ? { model: null, errors } : { model: { idl: program.main, files, program, machines }, errors };

  function machineTasks(m: MachineAst): Task[] {
    const tasks: Task[] = [];
    const byName = new Map<string, TaskAst>();
    const byOrdinal = new Map<number, Task>();
    for (const t of m.tasks) {
      const dup = byName.get(t.name);
      if (dup) {
        err(t.loc, `duplicate task '${t.name}' in machine '${m.name}' (first declared at ${where(dup.loc)})`);
        continue;
      }
      byName.set(t.name, t);
      const task = checkTask(m, t);
      if (!task) continue;
      if (task.ordinal === 0) {
        err(t.selector?.loc ?? t.loc, `ordinal of '${task.selector}' is 0, which is reserved; give the task a [[selector]]`);
        continue;
      }
      const other = byOrdinal.get(task.ordinal);
      if (other) {
        err(t.selector?.loc ?? t.loc, `ordinal ${hex32(task.ordinal)} of task '${t.name}' collides with task '${other.name}' in machine '${m.name}'; give one a [[selector]]`);
        continue;
      }
      byOrdinal.set(task.ordinal, task);
      tasks.push(task);
    }
    // A task's slot in the machine's task table is its index: the runtime has 64 (runtime/machine/record.ts MAX_METHODS).
    if (tasks.length > MAX_TASKS) err(m.tasks[MAX_TASKS].loc, `machine '${m.name}' has ${m.tasks.length} tasks; a machine serves at most ${MAX_TASKS} (one per method slot)`);
    return tasks;
  }

  function checkTask(m: MachineAst, t: TaskAst): Task | null {
    const before = errors.length;
    const qualified = `${m.name}.${t.name}`;
    const params: Param[] = [];
    const names = new Map<string, ParamAst>();
    for (const p of t.params) {
      const dup = names.get(p.name);
      if (dup) err(p.loc, `duplicate parameter '${p.name}' in task ${qualified}`);
      else names.set(p.name, p);
    }
    for (const p of t.params) {
      const checked = checkParam(m, p, names, qualified);
      if (checked) params.push(checked);
    }
    let result: CType | null = null;
    if (t.result) {
      const r = t.result;
      const s = strip(r.type);
      if (s.kind === 'pointer' && strip(s.to).kind !== 'func') err(r.loc, `the result of task ${qualified} cannot be a pointer; return data through an out parameter`);
      else if (s.kind === 'array') err(r.loc, `the result of task ${qualified} cannot be an array; wrap it in a struct`);
      else if (valueTypeOk(r.type, r.loc, `the result of task ${qualified}`)) result = r.type;
    }
    if (errors.length > before) return null;
    const selector = t.selector?.value ?? qualified;
    const reqFields: Field[] = params.map((p) => ({ name: p.name, type: p.type, loc: p.loc, offset: 0 }));
    const resFields: Field[] = result ? [{ name: 'result', type: result, loc: t.result!.loc, offset: 0 }] : [];
    const request = record(`${m.name}_${t.name}_request`, reqFields, t.loc);
    const response = record(`${m.name}_${t.name}_result`, resFields, t.loc);
    if (!request || !response) return null;
    return { name: t.name, loc: t.loc, selector, ordinal: fnv1a32(selector), params, result, request, response };
  }

  function record(name: string, fields: Field[], loc: Loc): Record | null {
    try {
      const { size, align } = layoutFields(fields, loc);
      return { name, size, align, fields };
    } catch (e) {
      if (!(e instanceof IgenError)) throw e;
      if (errors.length < MAX_ERRORS) errors.push(e);
      return null;
    }
  }

  // A type carried by value (a parameter or the result): supported, complete, not void.
  function valueTypeOk(type: CType, loc: Loc, what: string): boolean {
    const s = strip(type);
    if (s.kind === 'void') return err(loc, `${what} has type 'void'`), false;
    const u = findUnsupported(type);
    if (u) return err(u.loc, `unsupported C construct: ${u.construct} (needed by ${what})`), false;
    const inc = findIncomplete(type);
    if (inc) return err(loc, `${what} has incomplete type '${inc.name}'`), false;
    try {
      sizeAlign(type, loc);
    } catch (e) {
      if (e instanceof IgenError) {
        if (errors.length < MAX_ERRORS) errors.push(e);
        return false;
      }
      throw e;
    }
    return true;
  }

  function checkParam(m: MachineAst, p: ParamAst, names: Map<string, ParamAst>, qualified: string): Param | null {
    const what = `parameter '${p.name}' of task ${qualified}`;
    const s = strip(p.type);
    if (s.kind === 'func') return err(p.loc, `unsupported C construct: function pointer (${what})`), null;
    if (s.kind === 'array') return err(p.loc, `array parameter '${p.name}': pass a pointer with [[len(${s.count})]] or wrap the array in a struct`), null;
    if (s.kind !== 'pointer') {
      if (p.dir) return err(p.dir.loc, `direction '${p.dir.value}' on non-pointer parameter '${p.name}' (only pointer parameters have a direction)`), null;
      if (p.len) return err(p.len.loc, `[[len]] on non-pointer parameter '${p.name}' (only pointer parameters have a length)`), null;
      if (!valueTypeOk(p.type, p.loc, what)) return null;
      const ptrField = m.kernel ? findPointerField(p.type) : null;
      if (ptrField) return err(p.loc, `kernel-level machine '${m.name}' cannot take ${what}: it contains pointer field '${ptrField}', which would reach the kernel unvalidated; pass the data as its own pointer parameter`), null;
      return { name: p.name, loc: p.loc, type: p.type, dir: null, len: null, elem: null };
    }
    // A pointer parameter.
    const to = strip(s.to);
    if (to.kind === 'func') return err(to.loc, `unsupported C construct: function pointer (${what})`), null;
    if (!p.dir) return err(p.typeLoc, `pointer parameter '${p.name}' needs a direction: in, out or inout`), null;
    if (to.kind === 'pointer') return err(p.loc, `${what} points to a pointer: unsupported (nested pointers are neither validated nor copied)`), null;
    if (p.dir.value !== 'in' && to.const) return err(p.dir.loc, `'${p.dir.value}' parameter '${p.name}' points to const data`), null;
    let elem: SizeAlign = { size: 1, align: 1 };
    if (to.kind !== 'void') {
      if (!valueTypeOk(s.to, p.loc, `the data pointed to by ${what}`)) return null;
      elem = sizeAlign(s.to, p.loc);
      const ptrField = m.kernel ? findPointerField(s.to) : null;
      if (ptrField) return err(p.loc, `kernel-level machine '${m.name}' cannot take ${what}: the data contains pointer field '${ptrField}', which would reach the kernel unvalidated`), null;
    }
    if (!p.len) return err(p.loc, `pointer parameter '${p.name}' needs a length: [[len(param)]] or [[len(count)]]`), null;
    let len: Length;
    const lp = p.len.param !== undefined ? names.get(p.len.param) : undefined;
    const constant = p.len.value ?? (p.len.param !== undefined && !lp ? program.enumerators.get(p.len.param)?.value.v : undefined);
    if (constant !== undefined) {
      const shown = p.len.param ?? String(constant);
      if (constant < 1n) return err(p.len.loc, `[[len(${shown})]]: a constant length must be at least 1`), null;
      if (constant * BigInt(elem.size) > BigInt(MAX_TYPE_BYTES)) return err(p.len.loc, `[[len(${shown})]]: ${constant} elements of ${elem.size} bytes is larger than ${MAX_TYPE_BYTES} bytes`), null;
      len = { count: Number(constant) };
    } else if (!lp) {
      return err(p.len.loc, `[[len(${p.len.param})]]: task ${qualified} has no parameter '${p.len.param}'`), null;
    } else if (strip(lp.type).kind === 'pointer') {
      return err(p.len.loc, `[[len(${lp.name})]]: '${lp.name}' is a pointer; a length must be an integer parameter`), null;
    } else if (!isInteger(lp.type)) {
      return err(p.len.loc, `[[len(${lp.name})]]: '${lp.name}' has type '${spell(lp.type)}'; a length must be an integer parameter`), null;
    } else {
      len = { param: lp.name };
    }
    return { name: p.name, loc: p.loc, type: p.type, dir: p.dir.value, len, elem };
  }

  function finishMachine(m: MachineAst, tasks: Task[]): Machine {
    const lines = [`igen-interface 1`, `machine ${m.name} ${m.kernel ? 'kernel' : 'user'}`];
    for (const t of tasks) {
      lines.push(`task ${t.name} ${hex32(t.ordinal)}`);
      for (const p of t.params) {
        const len = !p.len ? '' : 'param' in p.len ? ` len ${p.len.param}` : ` len ${p.len.count}`;
        lines.push(`param ${p.name}${p.dir ? ' ' + p.dir : ''} ${canonType(p.type, p.loc)}${len}`);
      }
      lines.push(`result ${t.result ? canonType(t.result, t.loc) : 'void'}`);
    }
    const canonical = lines.join('\n') + '\n';
    return { name: m.name, loc: m.loc, kernel: m.kernel, tasks, canonical, hash: fnv1a64(canonical) };
  }
}
