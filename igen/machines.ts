// machines.ts: the interface part of the IDL grammar: `machine` blocks, their tasks and the
// tasks' parameters, into MachineAst.
//
// Owns: the syntax of machine-decl, task-decl and param (grammar in parse.ts's header) and the
// AST types they produce. Not: C declarations, specifiers, declarators, attributes and constant
// expressions (parse.ts, which hands them in as a CGrammar), the rules an interface must follow
// (model.ts). `machine`, `task`, `in`, `out` and `inout` are keywords only here.

import { fail, Loc, SourceFile } from './errors';
import { Token } from './lexer';
import { Value } from './expr';
import { CType, strip } from './types';

export type Direction = 'in' | 'out' | 'inout';

export interface LenAst {
  loc: Loc;
  param?: string; // [[len(n)]] naming a parameter (or an enumerator, resolved by model.ts)
  value?: bigint; // [[len(16)]], [[len(KEY_BYTES)]]
}

export interface ParamAst {
  name: string;
  loc: Loc; // the parameter's name
  typeLoc: Loc; // the parameter's first token
  dir: { value: Direction; loc: Loc } | null;
  type: CType;
  len: LenAst | null;
}

export interface TaskAst {
  name: string;
  loc: Loc;
  selector: { value: string; loc: Loc } | null;
  params: ParamAst[];
  result: { type: CType; loc: Loc } | null;
}

export interface MachineAst {
  name: string;
  loc: Loc;
  kernel: boolean;
  tasks: TaskAst[];
  span: { start: number; end: number }; // offsets in the IDL file, for gen/c.ts
}

/** What parse.ts lends this grammar: its token cursor and the C parts of the language. */
export interface CGrammar {
  main: SourceFile;
  typedefs: Map<string, CType>;
  enumerators: Map<string, { value: Value; loc: Loc }>;
  peek(k?: number): Token;
  next(): Token;
  at(text: string, k?: number): boolean;
  expect(text: string, context?: string): Token;
  ident(what: string): Token;
  describe(t: Token): string;
  attrs(): { name: Token; args: Token[] | null }[];
  specifiers(context: 'param' | 'type'): { type: CType; loc: Loc; definesTag: boolean };
  declarator(abstract: boolean): { name: Token | null; apply: (base: CType) => CType };
  constExpr(): Value;
  withTokens<T>(list: Token[], f: () => T): T;
  pos(): number;  // the cursor's position in the current token list
}

const DIRECTIONS = new Set(['in', 'out', 'inout']);

export function isMachineStart(g: CGrammar): boolean {
  const { peek, typedefs } = g;
  return peek().kind === 'ident' && peek().text === 'machine' && !typedefs.has('machine') && peek(1).kind === 'ident';
}

/** machine-decl, its `machine` keyword next. */
export function machine(g: CGrammar): MachineAst {
  const { main, next, ident, attrs, expect, peek, at, describe } = g;
  const kw = next();
  if (kw.loc.file !== main) fail(kw.loc, 'machine declarations belong in the IDL file, not in an included header');
  const name = ident('a machine name');
  let kernel = false;
  let level: Token | null = null;
  for (const a of attrs()) {
    if (a.name.text !== 'kernel' && a.name.text !== 'user') fail(a.name.loc, `unknown machine attribute '${a.name.text}' (expected kernel or user)`);
    if (a.args) fail(a.name.loc, `attribute '${a.name.text}' takes no arguments`);
    if (level && level.text !== a.name.text) fail(a.name.loc, `machine '${name.text}' cannot be both ${level.text} and ${a.name.text}`);
    level = a.name;
    kernel = a.name.text === 'kernel';
  }
  const open = expect('{', ` after machine '${name.text}'`);
  const tasks: TaskAst[] = [];
  for (;;) {
    const t = peek();
    if (at('}')) break;
    if (at(';')) { next(); continue; }
    if (t.kind === 'eof') fail(open.loc, `unterminated machine '${name.text}' (no closing '}')`);
    if (t.kind !== 'ident' || t.text !== 'task') fail(t.loc, `expected 'task' or '}' in machine '${name.text}', found ${describe(t)}`);
    tasks.push(task(g));
  }
  let end = next();
  if (at(';')) end = next();
  return { name: name.text, loc: name.loc, kernel, tasks, span: { start: kw.loc.offset, end: end.loc.offset + end.text.length } };
}

function task(g: CGrammar): TaskAst {
  const { next, ident, attrs, expect, at, peek, describe, specifiers, declarator } = g;
  next(); // 'task'
  const name = ident('a task name');
  let selector: TaskAst['selector'] = null;
  for (const a of attrs()) {
    if (a.name.text !== 'selector') fail(a.name.loc, `unknown task attribute '${a.name.text}' (expected selector)`);
    const s = a.args;
    if (!s || s.length !== 1 || s[0].kind !== 'string') fail(a.name.loc, 'selector takes one string, e.g. [[selector("zlib.deflate")]]');
    const value = s[0].text.slice(1, -1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/.test(value)) fail(s[0].loc, `selector "${value}" must have the form machine.task`);
    selector = { value, loc: s[0].loc };
  }
  expect('(', ` after task '${name.text}'`);
  const params: ParamAst[] = [];
  if (at('void') && at(')', 1)) next();
  while (!at(')')) {
    if (at('...')) fail(peek().loc, 'unsupported C construct: variadic task (a task takes a fixed list of parameters)');
    params.push(param(g));
    if (at(',')) { next(); continue; }
    if (!at(')')) fail(peek().loc, `expected ',' or ')' in the parameters of task '${name.text}', found ${describe(peek())}`);
  }
  next();
  let result: TaskAst['result'] = null;
  if (at('->')) {
    next();
    const loc = peek().loc;
    const spec = specifiers('type');
    if (spec.definesTag) fail(spec.loc, `a struct or enum cannot be defined in the result of task '${name.text}'; define it before the machine`);
    const type = declarator(true).apply(spec.type);
    if (strip(type).kind !== 'void') result = { type, loc };
  }
  expect(';', ` after task '${name.text}'`);
  return { name: name.text, loc: name.loc, selector, params, result };
}

function param(g: CGrammar): ParamAst {
  const { peek, next, at, typedefs, enumerators, specifiers, declarator, attrs, withTokens, constExpr, describe } = g;
  const first = peek();
  let dir: ParamAst['dir'] = null;
  if (first.kind === 'ident' && DIRECTIONS.has(first.text) && !typedefs.has(first.text) && peek(1).kind === 'ident') {
    dir = { value: first.text as Direction, loc: first.loc };
    next();
  }
  const spec = specifiers('param');
  if (spec.definesTag) fail(spec.loc, 'a struct or enum cannot be defined in a task parameter; define it before the machine');
  const typeLoc = spec.loc;
  if (!(peek().kind === 'ident' || at('*') || at('('))) fail(peek().loc, `expected a parameter name, found ${describe(peek())}`);
  const d = declarator(false);
  const name = d.name!;
  const type = d.apply(spec.type);
  let len: LenAst | null = null;
  for (const a of attrs()) {
    if (a.name.text !== 'len') fail(a.name.loc, `unknown parameter attribute '${a.name.text}' (expected len)`);
    if (len) fail(a.name.loc, `parameter '${name.text}' has two [[len]] annotations`);
    const args = a.args ?? [];
    if (args.length === 0) fail(a.name.loc, '[[len]] needs a parameter name or a constant, e.g. [[len(n)]]');
    if (args.length === 1 && args[0].kind === 'ident' && !enumerators.has(args[0].text)) {
      len = { loc: args[0].loc, param: args[0].text };
    } else {
      const eof: Token = { kind: 'eof', text: '', loc: args[args.length - 1].loc, bol: true, space: true };
      let end = 0;
      const v = withTokens(args.concat(eof), () => {
        const r = constExpr();
        end = g.pos();
        return r;
      });
      if (end < args.length) fail(args[end].loc, `unexpected '${args[end].text}' in [[len]]`);
      len = { loc: args[0].loc, value: v.v };
    }
  }
  return { name: name.text, loc: name.loc, typeLoc, dir, type, len };
}
