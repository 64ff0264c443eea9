// preprocess.ts: the C preprocessor subset igen needs to read regular headers.
//
// Owns: #include (quoted: relative to the including file, then each -I dir; angled: the built-in
// standard headers, then each -I dir), include cycles and depth, #pragma once, #define/#undef
// (object-like and function-like, __VA_ARGS__), #if/#ifdef/#ifndef/#elif/#else/#endif with
// `defined`, #error, and macro expansion with hide sets.
// Not: `#` and `##` in macro bodies, #line, #include of a macro (each a located error), file
// system access (the Host does it, so tests run from memory).
//
// Expanded tokens carry the location of the macro name that produced them: an error inside a
// macro body is reported where the macro was used.

import * as path from 'path';
import { fail, Loc, SourceFile } from './errors';
import { lex, Token } from './lexer';
import { evalExpr, Cursor, int32 } from './expr';
import { MAX_FILES, MAX_INCLUDE_DEPTH, MAX_MACRO_DEPTH, MAX_MACRO_EXPANSIONS, MAX_TOKENS } from './limits';

export interface Host {
  // The file's text, or undefined if it does not exist or is not a readable file.
  readFile(file: string): string | undefined;
}

export interface PreprocessOptions {
  includeDirs: string[];
  host: Host;
}

export interface Preprocessed {
  tokens: Token[]; // after expansion, ending with an eof token
  main: SourceFile;
  files: SourceFile[]; // every file read, the IDL first
  mainDirectives: { start: number; end: number }[]; // offsets of directive lines in the IDL file
  macros: Map<string, Loc>; // every macro defined by the input (not the predefined ones)
}

interface Macro {
  name: string;
  params: string[] | null; // null: object-like
  variadic: boolean;
  body: Token[];
  loc: Loc | null; // null: predefined
}

// Standard headers whose content igen knows: their types are built in (types.ts) and their
// limit macros predefined below. Including them is allowed and does nothing else.
export const BUILTIN_HEADERS = new Set(['stdint.h', 'stddef.h', 'stdbool.h', 'inttypes.h']);

const PREDEFINED: [string, string][] = [
  ['__IGEN__', '1'], ['__wasm__', '1'], ['__wasm32__', '1'], ['__ILP32__', '1'],
  ['__STDC__', '1'], ['__STDC_VERSION__', '201710L'], ['__CHAR_BIT__', '8'], ['__SIZEOF_POINTER__', '4'],
  ['true', '1'], ['false', '0'],
  ['INT8_MIN', '(-128)'], ['INT8_MAX', '127'], ['UINT8_MAX', '255'],
  ['INT16_MIN', '(-32768)'], ['INT16_MAX', '32767'], ['UINT16_MAX', '65535'],
  ['INT32_MIN', '(-2147483647-1)'], ['INT32_MAX', '2147483647'], ['UINT32_MAX', '4294967295U'],
  ['INT64_MIN', '(-9223372036854775807LL-1)'], ['INT64_MAX', '9223372036854775807LL'],
  ['UINT64_MAX', '18446744073709551615ULL'], ['SIZE_MAX', '4294967295U'],
  ['INTPTR_MAX', '2147483647'], ['UINTPTR_MAX', '4294967295U'],
];

interface Cond {
  loc: Loc;
  active: boolean; // this group's lines are processed
  taken: boolean; // a group of this #if has been active (later #elif/#else are not)
  outerActive: boolean;
  sawElse: boolean;
}

export function preprocess(mainPath: string, opts: PreprocessOptions): Preprocessed {
  const macros = new Map<string, Macro>();
  const out: Token[] = [];
  const files: SourceFile[] = [];
  const stack: string[] = []; // resolved paths of the files being read, outermost first
  const stackNames: string[] = [];
  const once = new Set<string>();
  const mainDirectives: { start: number; end: number }[] = [];
  let expansions = 0;
  let main: SourceFile | undefined;

  for (const [name, value] of PREDEFINED) {
    const body = lex(new SourceFile('<predefined>', value)).slice(0, -1);
    macros.set(name, { name, params: null, variadic: false, body, loc: null });
  }

  function readSource(display: string, where: Loc | null, text = opts.host.readFile(display)): SourceFile {
    if (text === undefined) {
      if (where) fail(where, `cannot read include file '${display}'`);
      fail(display, 'cannot read file');
    }
    if (files.length >= MAX_FILES) fail(where ?? display, `more than ${MAX_FILES} files read`);
    const file = new SourceFile(display, text);
    files.push(file);
    return file;
  }

  function checkSize(t: Token) {
    if (out.length > MAX_TOKENS) fail(t.loc, `more than ${MAX_TOKENS} tokens after preprocessing`);
  }

  // ---- macro expansion ----

  function expand(input: Token[], depth: number): Token[] {
    const result: Token[] = [];
    const work = input.slice().reverse(); // next token at the end
    while (work.length) {
      const t = work.pop()!;
      const m = t.kind === 'ident' && !t.hide?.has(t.text) ? macros.get(t.text) : undefined;
      if (!m || (m.params && work[work.length - 1]?.text !== '(')) {
        result.push(t);
        if (result.length + work.length > MAX_TOKENS) fail(t.loc, `macro expansion of more than ${MAX_TOKENS} tokens`);
        continue;
      }
      if (++expansions > MAX_MACRO_EXPANSIONS) fail(t.loc, `more than ${MAX_MACRO_EXPANSIONS} macro expansions`);
      const hide = new Set(t.hide ?? []);
      hide.add(m.name);
      const place = (b: Token, first: boolean): Token => ({ kind: b.kind, text: b.text, loc: t.loc, bol: false, space: first ? t.space : b.space, hide });
      let body: Token[];
      if (!m.params) {
        body = m.body.map((b, i) => place(b, i === 0));
      } else {
        const args = collectArgs(t, m, work);
        if (m.body.some((b) => b.text === '#' || b.text === '##')) {
          fail(t.loc, `unsupported C construct: '#' or '##' in the body of macro '${m.name}'`);
        }
        if (depth >= MAX_MACRO_DEPTH) fail(t.loc, `macro arguments nested more than ${MAX_MACRO_DEPTH} deep`);
        const expanded = new Map<string, Token[]>();
        m.params.forEach((p, i) => expanded.set(p, expand(args[i], depth + 1)));
        body = [];
        for (const b of m.body) {
          const arg = b.kind === 'ident' ? expanded.get(b.text) : undefined;
          if (arg) for (const a of arg) body.push({ kind: a.kind, text: a.text, loc: a.loc, bol: false, space: a.space, hide: union(a.hide, hide) });
          else body.push(place(b, body.length === 0));
          if (body.length > MAX_TOKENS) fail(t.loc, `macro expansion of more than ${MAX_TOKENS} tokens`);
        }
      }
      if (body.length + work.length + result.length > MAX_TOKENS) fail(t.loc, `macro expansion of more than ${MAX_TOKENS} tokens`);
      for (let i = body.length - 1; i >= 0; i--) work.push(body[i]);
    }
    return result;
  }

  function union(a: ReadonlySet<string> | undefined, b: ReadonlySet<string>): ReadonlySet<string> {
    if (!a || a.size === 0) return b;
    const s = new Set(a);
    for (const x of b) s.add(x);
    return s;
  }

  // Pops `( arg, arg )` from the work stack; returns one token list per parameter.
  function collectArgs(name: Token, m: Macro, work: Token[]): Token[][] {
    work.pop(); // '('
    const args: Token[][] = [[]];
    let depth = 0;
    for (;;) {
      const t = work.pop();
      if (!t || t.kind === 'eof') fail(name.loc, `unterminated call of macro '${m.name}'`);
      if (t.text === '(' && t.kind === 'punct') depth++;
      else if (t.text === ')' && t.kind === 'punct') {
        if (depth === 0) break;
        depth--;
      } else if (t.text === ',' && t.kind === 'punct' && depth === 0 && !(m.variadic && args.length === m.params!.length)) {
        args.push([]);
        continue;
      }
      args[args.length - 1].push(t);
    }
    const n = m.params!.length;
    if (n === 0 && args.length === 1 && args[0].length === 0) return [];
    if (m.variadic && args.length === n - 1) args.push([]);
    if (args.length !== n) fail(name.loc, `macro '${m.name}' takes ${n} argument${n === 1 ? '' : 's'}, given ${args.length}`);
    return args;
  }

  // ---- directives ----

  function define(line: Token[], hash: Token) {
    const name = line[0];
    if (!name || name.kind !== 'ident') fail(name?.loc ?? hash.loc, 'expected a macro name after #define');
    let params: string[] | null = null;
    let variadic = false;
    let i = 1;
    if (line[1]?.text === '(' && !line[1].space) {
      params = [];
      i = 2;
      if (line[i]?.text === ')') i++;
      else {
        for (;;) {
          const p = line[i];
          if (p?.text === '...') {
            variadic = true;
            params.push('__VA_ARGS__');
            i++;
          } else if (p?.kind === 'ident') {
            if (params.includes(p.text)) fail(p.loc, `duplicate macro parameter '${p.text}'`);
            params.push(p.text);
            i++;
          } else {
            fail(p?.loc ?? name.loc, 'expected a parameter name in the macro parameter list');
          }
          const sep = line[i];
          if (sep?.text === ')' && sep.kind === 'punct') { i++; break; }
          if (variadic || sep?.text !== ',') fail(sep?.loc ?? name.loc, "expected ',' or ')' in the macro parameter list");
          i++;
        }
      }
    }
    const m: Macro = { name: name.text, params, variadic, body: line.slice(i), loc: name.loc };
    const old = macros.get(m.name);
    if (old?.loc && !sameMacro(old, m)) {
      fail(name.loc, `macro '${m.name}' redefined differently (first defined at ${where(old.loc)})`);
    }
    macros.set(m.name, m);
  }

  function sameMacro(a: Macro, b: Macro): boolean {
    const key = (m: Macro) => JSON.stringify([m.params, m.body.map((t, i) => (i > 0 && t.space ? ' ' : '') + t.text)]);
    return key(a) === key(b);
  }

  function condValue(line: Token[], hash: Token): boolean {
    // `defined X` and `defined(X)` first, then expansion, then names left over are 0.
    const pre: Token[] = [];
    for (let i = 0; i < line.length; i++) {
      const t = line[i];
      if (t.kind === 'ident' && t.text === 'defined') {
        const paren = line[i + 1]?.text === '(';
        const n = line[i + (paren ? 2 : 1)];
        if (!n || n.kind !== 'ident') fail(n?.loc ?? t.loc, "expected a macro name after 'defined'");
        if (paren && line[i + 3]?.text !== ')') fail(line[i + 3]?.loc ?? n.loc, "expected ')' after 'defined(NAME'");
        pre.push({ ...t, kind: 'number', text: macros.has(n.text) ? '1' : '0' });
        i += paren ? 3 : 1;
      } else {
        pre.push(t);
      }
    }
    const toks = expand(pre, 0);
    if (toks.length === 0) fail(hash.loc, 'expected an expression after #if or #elif');
    const end: Token = { kind: 'eof', text: '', loc: toks[toks.length - 1].loc, bol: true, space: true };
    let i = 0;
    const cur: Cursor = { peek: (k = 0) => toks[i + k] ?? end, next: () => toks[i++] ?? end };
    const v = evalExpr(cur, { preprocessor: true, ident: () => ({ ...int32(0), wide: true }) });
    if (i < toks.length) fail(toks[i].loc, `extra tokens after the #if expression: '${toks[i].text}'`);
    return v.v !== 0n;
  }

  function include(file: SourceFile, line: Token[], hash: Token) {
    const t = line[0];
    let name: string;
    let angled = false;
    if (t?.kind === 'string') {
      name = t.text.slice(1, -1);
    } else if (t?.text === '<') {
      const close = line.findIndex((x) => x.text === '>');
      if (close < 0) fail(t.loc, "expected '>' to end the include file name");
      name = file.text.slice(t.loc.offset + 1, line[close].loc.offset);
      angled = true;
    } else if (t) {
      fail(t.loc, 'unsupported #include form: expected "file" or <file>');
    } else {
      fail(hash.loc, 'expected a file name after #include');
    }
    if (name === '') fail(t.loc, 'empty include file name');
    if (angled && BUILTIN_HEADERS.has(name)) return;
    const candidates = (angled || path.isAbsolute(name) ? [] : [path.join(path.dirname(file.path), name)])
      .concat(path.isAbsolute(name) ? [name] : opts.includeDirs.map((d) => path.join(d, name)));
    for (const c of candidates) {
      const text = opts.host.readFile(c);
      if (text === undefined) continue;
      const key = path.resolve(c);
      if (once.has(key)) return;
      const at = stack.indexOf(key);
      if (at >= 0) fail(t.loc, `include cycle: ${stackNames.slice(at).concat(c).join(' -> ')}`);
      if (stack.length >= MAX_INCLUDE_DEPTH) fail(t.loc, `includes nested more than ${MAX_INCLUDE_DEPTH} deep`);
      run(readSource(c, t.loc, text));
      return;
    }
    fail(t.loc, `cannot find include file '${name}'`);
  }

  function where(loc: Loc): string {
    return `${loc.file.path}:${loc.line}:${loc.col}`;
  }

  // ---- one file ----

  function run(file: SourceFile) {
    const key = path.resolve(file.path);
    stack.push(key);
    stackNames.push(file.path);
    const toks = lex(file);
    const conds: Cond[] = [];
    let text: Token[] = [];
    const active = () => conds.length === 0 || conds[conds.length - 1].active;
    const flush = () => {
      if (text.length) for (const t of expand(text, 0)) { out.push(t); checkSize(t); }
      text = [];
    };
    let i = 0;
    while (toks[i].kind !== 'eof') {
      const t = toks[i];
      if (!(t.text === '#' && t.bol && t.kind === 'punct')) {
        if (active()) text.push(t);
        i++;
        continue;
      }
      // A directive: `#` at the start of a line up to the next line start.
      const hash = t;
      let j = i + 1;
      while (!toks[j].bol) j++;
      const line = toks.slice(i + 1, j);
      if (file === main) mainDirectives.push({ start: hash.loc.offset, end: toks[j].loc.offset });
      i = j;
      flush();
      const dname = line.shift();
      if (!dname) continue; // null directive
      const d = dname.text;
      const top = conds[conds.length - 1];
      if (d === 'if' || d === 'ifdef' || d === 'ifndef') {
        const outer = active();
        let v = false;
        if (outer) {
          if (d === 'if') v = condValue(line, hash);
          else {
            if (line[0]?.kind !== 'ident') fail(line[0]?.loc ?? dname.loc, `expected a macro name after #${d}`);
            v = macros.has(line[0].text) === (d === 'ifdef');
          }
        }
        conds.push({ loc: hash.loc, active: outer && v, taken: outer && v, outerActive: outer, sawElse: false });
      } else if (d === 'elif' || d === 'else') {
        if (!top) fail(hash.loc, `#${d} without #if`);
        if (top.sawElse) fail(hash.loc, `#${d} after #else`);
        if (d === 'else') top.sawElse = true;
        const v = top.outerActive && !top.taken && (d === 'else' || condValue(line, hash));
        top.active = v;
        top.taken ||= v;
      } else if (d === 'endif') {
        if (!top) fail(hash.loc, '#endif without #if');
        conds.pop();
      } else if (!active()) {
        continue;
      } else if (d === 'include') {
        include(file, line, hash);
      } else if (d === 'define') {
        define(line, hash);
      } else if (d === 'undef') {
        if (line[0]?.kind !== 'ident') fail(line[0]?.loc ?? dname.loc, 'expected a macro name after #undef');
        macros.delete(line[0].text);
      } else if (d === 'pragma') {
        if (line[0]?.text === 'once') once.add(key);
        else if (line[0]?.text === 'pack') fail(hash.loc, 'unsupported C construct: #pragma pack (it changes record layouts)');
        // Other pragmas do not change layouts; they are ignored as a C compiler ignores unknown ones.
      } else if (d === 'error') {
        fail(hash.loc, `#error${line.length ? ' ' + file.text.slice(line[0].loc.offset, line[line.length - 1].loc.offset + line[line.length - 1].text.length) : ''}`);
      } else if (d === 'warning') {
        // A warning is no error: the header says something to a C compiler's user.
      } else {
        fail(dname.loc, `unsupported preprocessor directive '#${d}'`);
      }
    }
    flush();
    if (conds.length) fail(conds[conds.length - 1].loc, 'unterminated #if (no matching #endif)');
    stack.pop();
    stackNames.pop();
  }

  main = readSource(mainPath, null);
  run(main);
  const eof: Token = { kind: 'eof', text: '', loc: { file: main, offset: main.text.length, ...main.position(main.text.length) }, bol: true, space: true };
  out.push(eof);
  const defined = new Map<string, Loc>();
  for (const m of macros.values()) if (m.loc) defined.set(m.name, m.loc);
  return { tokens: out, main, files, mainDirectives, macros: defined };
}

