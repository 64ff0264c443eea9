// parse.ts: the IDL grammar: C declarations plus machine declarations.
//
// Owns: parsing the preprocessed tokens into file-scope typedefs, struct/union/enum tags and
// enumerators (resolved to types.ts types as C does, in one pass: a name is a type once its
// typedef has been read); it hands `machine` blocks to machines.ts with the C parts they need.
// Not: the syntax inside `machine` blocks (machines.ts), checking machines against the rules of
// an interface (model.ts), layouts (layout.ts).
//
// C is parsed as a C compiler would, with these limits: function prototypes and variables are
// read and dropped (their parameter lists and initializers are skipped unparsed), function
// bodies are skipped, and constructs that change layouts in ways igen does not model
// (__attribute__, _Alignas, _Atomic, C23 attributes other than harmless ones) are errors where
// they are written. `machine`, `task`, `in`, `out` and `inout` are keywords only where an
// interface declaration can be, so headers may use them as names.
//
// Grammar of the interface part (docs/igen.md has the prose):
//   machine-decl := 'machine' NAME attrs? '{' task-decl* '}' ';'?
//   task-decl    := 'task' NAME attrs? '(' params ')' ('->' type-name)? ';'
//   params       := ε | 'void' | param (',' param)*
//   param        := ('in' | 'out' | 'inout')? decl-specifiers declarator attrs?
//   attrs        := ('[[' attr (',' attr)* ']]')+      attr := NAME ('(' args ')')?

import { fail, Loc, SourceFile } from './errors';
import { Token } from './lexer';
import { evalExpr, Cursor, TypeInfo, Value } from './expr';
import { MAX_NESTING, MAX_TYPE_DEPTH } from './limits';
import { builtinTypedefs, CType, EnumDecl, Field, findIncomplete, findUnsupported, intType, spell, StructDecl, strip, typeDepth } from './types';
import { sizeAlign } from './layout';
import { CGrammar, isMachineStart, machine, MachineAst } from './machines';

export type { Direction, LenAst, ParamAst, TaskAst, MachineAst } from './machines';

export interface Program {
  main: SourceFile;
  machines: MachineAst[];
  typedefs: Map<string, CType>;
  tags: Map<string, { decl: { name: string; loc: Loc } }>;
  enumerators: Map<string, { value: Value; loc: Loc }>;
}

type TagDecl = { kind: 'struct' | 'union'; decl: StructDecl } | { kind: 'enum'; decl: EnumDecl };

const STORAGE = new Set(['typedef', 'extern', 'static', 'auto', 'register', '_Thread_local', 'inline', '__inline', '__inline__', '_Noreturn']);
const QUALIFIERS = new Set(['const', 'volatile', 'restrict', '__restrict', '__restrict__']);
const BASIC = new Set(['void', 'char', 'short', 'int', 'long', 'float', 'double', 'signed', 'unsigned', '_Bool', '_Complex']);
const LAYOUT_CHANGING = new Set(['__attribute__', '__attribute', '_Alignas', 'alignas', '_Atomic', '__declspec', 'typeof', '__typeof__', '_BitInt', '__int128']);
const HARMLESS_ATTRS = new Set(['deprecated', 'maybe_unused', 'nodiscard', 'fallthrough', 'noreturn', 'reproducible', 'unsequenced']);

interface Specifiers {
  type: CType;
  storage: string | null;
  loc: Loc;
  definesTag: boolean; // a struct/union/enum body was written here
  bare: boolean; // nothing but a struct/union/enum tag (a member declaration may stop here)
}

interface Declarator {
  name: Token | null;
  apply: (base: CType) => CType;
  func: boolean; // the declared entity is a function (its outermost derivation)
}

export function parse(tokens: Token[], main: SourceFile): Program {
  let pos = 0;
  let depth = 0;
  const typedefs = builtinTypedefs();
  const tags = new Map<string, TagDecl>();
  const enumerators = new Map<string, { value: Value; loc: Loc }>();
  const machines: MachineAst[] = [];

  const peek = (k = 0): Token => tokens[Math.min(pos + k, tokens.length - 1)];
  const next = (): Token => tokens[Math.min(pos++, tokens.length - 1)];
  const at = (text: string, k = 0) => {
    const t = peek(k);
    return t.text === text && (t.kind === 'punct' || t.kind === 'ident');
  };
  const describe = (t: Token) => (t.kind === 'eof' ? 'end of input' : `'${t.text}'`);
  function expect(text: string, context = ''): Token {
    if (!at(text)) fail(peek().loc, `expected '${text}'${context}, found ${describe(peek())}`);
    return next();
  }
  function ident(what: string): Token {
    const t = peek();
    if (t.kind !== 'ident') fail(t.loc, `expected ${what}, found ${describe(t)}`);
    return next();
  }
  function enter(t: Token) {
    if (++depth > MAX_NESTING) fail(t.loc, `declarations nested more than ${MAX_NESTING} deep`);
  }
  const where = (l: Loc) => `${l.file.path}:${l.line}:${l.col}`;
  const isAttrStart = (k = 0) => at('[', k) && at('[', k + 1) && !peek(k + 1).space;

  function isTypeStart(t: Token): boolean {
    if (t.kind !== 'ident') return false;
    return BASIC.has(t.text) || QUALIFIERS.has(t.text) || t.text === 'struct' || t.text === 'union' || t.text === 'enum' || typedefs.has(t.text) || LAYOUT_CHANGING.has(t.text);
  }

  // ---- constant expressions ----

  const cursor: Cursor = { peek, next };
  function constExpr(): Value {
    return evalExpr(cursor, {
      ident(t) {
        const e = enumerators.get(t.text);
        if (e) return e.value;
        if (t.text === 'sizeof' || t.text === '_Alignof') fail(t.loc, `${t.text} needs a type name`);
        fail(t.loc, `'${t.text}' is not an integer constant (igen knows #define'd integers and enumerators)`);
      },
      startsTypeName: isTypeStart,
      typeName: (): TypeInfo => {
        const start = peek();
        const type = typeName();
        const s = strip(type);
        if (s.kind === 'void') fail(start.loc, "invalid use of type 'void' in a constant expression");
        requireComplete(type, start.loc, 'in a constant expression');
        const { size, align } = sizeAlign(type, start.loc);
        const int = s.kind === 'int' ? { unsigned: s.int[0] === 'u', wide: s.int.endsWith('64') } : s.kind === 'bool' || s.kind === 'enum' ? { unsigned: false, wide: false } : undefined;
        return { size, align, int };
      },
    });
  }

  function requireComplete(type: CType, loc: Loc, context: string) {
    const inc = findIncomplete(type);
    if (inc) fail(loc, `incomplete type '${inc.name}' ${context}`);
    const u = findUnsupported(type);
    if (u) fail(u.loc, `unsupported C construct: ${u.construct}`);
  }

  // ---- attributes ----

  interface Attr {
    name: Token;
    args: Token[] | null;
  }

  function attrs(): Attr[] {
    const list: Attr[] = [];
    while (isAttrStart()) {
      const open = next();
      next();
      enter(open);
      for (;;) {
        const name = ident('an attribute name');
        while (at(':') && at(':', 1)) {
          next();
          next();
          name.text += '::' + ident('an attribute name').text;
        }
        let args: Token[] | null = null;
        if (at('(')) {
          next();
          args = [];
          let d = 0;
          while (!(at(')') && d === 0)) {
            const t = next();
            if (t.kind === 'eof') fail(name.loc, `unterminated arguments of attribute '${name.text}'`);
            if (t.text === '(' && t.kind === 'punct') d++;
            if (t.text === ')' && t.kind === 'punct') d--;
            args.push(t);
          }
          next();
        }
        list.push({ name, args });
        if (at(',')) { next(); continue; }
        break;
      }
      if (!(at(']') && at(']', 1) && !peek(1).space)) fail(peek().loc, `expected ']]' to close the attribute list, found ${describe(peek())}`);
      next();
      next();
      depth--;
    }
    return list;
  }

  function cAttrs() {
    for (const a of attrs()) {
      if (!HARMLESS_ATTRS.has(a.name.text)) fail(a.name.loc, `unsupported C construct: attribute [[${a.name.text}]]`);
    }
  }

  // ---- declaration specifiers ----

  function specifiers(context: 'decl' | 'member' | 'param' | 'type'): Specifiers {
    const first = peek();
    let storage: string | null = null;
    let isConst = false;
    let named: CType | null = null;
    let definesTag = false;
    const counts: Record<string, number> = {};
    let any = false;
    let bare = true;
    for (;;) {
      const t = peek();
      if (isAttrStart()) { cAttrs(); continue; }
      if (t.kind !== 'ident') break;
      const w = t.text;
      if (STORAGE.has(w)) {
        if (context !== 'decl') fail(t.loc, `'${w}' is not allowed here`);
        if (w !== 'inline' && w !== '__inline' && w !== '__inline__' && w !== '_Noreturn') {
          if (storage) fail(t.loc, `two storage classes ('${storage}' and '${w}')`);
          storage = w;
        }
        next();
        bare = false;
        continue;
      }
      if (QUALIFIERS.has(w)) {
        if (w === 'const') isConst = true;
        next();
        bare = false;
        continue;
      }
      if (LAYOUT_CHANGING.has(w)) fail(t.loc, `unsupported C construct: ${w}`);
      if (BASIC.has(w)) {
        if (named) fail(t.loc, `'${w}' cannot be combined with a named type`);
        counts[w] = (counts[w] ?? 0) + 1;
        any = true;
        bare = false;
        next();
        continue;
      }
      if (w === 'struct' || w === 'union' || w === 'enum') {
        if (named || any) fail(t.loc, `two types in one declaration ('${w}')`);
        const r = tagged();
        named = r.type;
        definesTag ||= r.defines;
        continue;
      }
      if (!named && !any && typedefs.has(w)) {
        named = typedefs.get(w)!;
        bare = false;
        next();
        continue;
      }
      break;
    }
    let type: CType;
    if (named) type = named;
    else if (any) type = basicType(counts, first);
    else {
      const t = peek();
      if (t.kind === 'ident') fail(t.loc, `unknown type name '${t.text}'`);
      fail(t.loc, context === 'decl' ? `expected a declaration, found ${describe(t)}` : `expected a type, found ${describe(t)}`);
    }
    if (isConst) type = { ...type, const: true };
    return { type, storage, loc: first.loc, definesTag, bare: bare && !!named };
  }

  function basicType(c: Record<string, number>, first: Token): CType {
    const n = (w: string) => c[w] ?? 0;
    const bad = () => fail(first.loc, `invalid combination of type specifiers '${Object.keys(c).flatMap((k) => Array(c[k]).fill(k)).join(' ')}'`);
    if (n('signed') && n('unsigned')) bad();
    for (const w of Object.keys(c)) if (c[w] > (w === 'long' ? 2 : 1)) bad();
    const u = n('unsigned') > 0;
    const sign = n('signed') + n('unsigned');
    const only = (...allowed: string[]) => Object.keys(c).every((k) => allowed.includes(k));
    if (n('_Complex')) return { kind: 'unsupported', construct: '_Complex', loc: first.loc };
    if (n('void')) return only('void') ? { kind: 'void' } : bad();
    if (n('_Bool')) return only('_Bool') ? { kind: 'bool' } : bad();
    if (n('float')) return only('float') ? { kind: 'float', size: 4, c: 'float' } : bad();
    if (n('double')) {
      if (only('double')) return { kind: 'float', size: 8, c: 'double' };
      if (only('double', 'long') && n('long') === 1) return { kind: 'unsupported', construct: 'long double', loc: first.loc };
      bad();
    }
    if (n('char')) {
      if (!only('char', 'signed', 'unsigned')) bad();
      return sign === 0 ? intType('i8', 'char') : u ? intType('u8', 'unsigned char') : intType('i8', 'signed char');
    }
    if (n('short')) {
      if (!only('short', 'int', 'signed', 'unsigned')) bad();
      return u ? intType('u16', 'unsigned short') : intType('i16', 'short');
    }
    if (!only('int', 'long', 'signed', 'unsigned')) bad();
    if (n('long') === 2) return u ? intType('u64', 'unsigned long long') : intType('i64', 'long long');
    if (n('long') === 1) return u ? intType('u32', 'unsigned long') : intType('i32', 'long');
    return u ? intType('u32', 'unsigned int') : intType('i32', 'int');
  }

  // struct/union/enum specifier.
  function tagged(): { type: CType; defines: boolean } {
    const kw = next();
    const kind = kw.text as 'struct' | 'union' | 'enum';
    cAttrs();
    const nameTok = peek().kind === 'ident' ? next() : null;
    const hasBody = at('{');
    if (!nameTok && !hasBody) fail(peek().loc, `expected a name or '{' after '${kind}', found ${describe(peek())}`);
    let entry = nameTok ? tags.get(nameTok.text) : undefined;
    if (entry && entry.kind !== kind) {
      fail(nameTok!.loc, `'${nameTok!.text}' was declared as ${entry.kind === 'enum' ? 'an enum' : `a ${entry.kind}`} at ${where(entry.decl.loc)}`);
    }
    if (!entry || (hasBody && !nameTok)) {
      const name = nameTok ? `${kind} ${nameTok.text}` : `${kind} <anonymous at ${where(kw.loc)}>`;
      const loc = nameTok ? nameTok.loc : kw.loc;
      entry = kind === 'enum'
        ? { kind, decl: { tag: nameTok?.text ?? null, name, loc, complete: false, members: [], int: 'i32' } }
        : { kind, decl: { tag: nameTok?.text ?? null, name, loc, complete: false, fields: [], unsupported: null, depth: 0 } };
      if (nameTok) tags.set(nameTok.text, entry);
    }
    if (hasBody) {
      if (entry.decl.complete) fail(nameTok!.loc, `redefinition of '${entry.decl.name}' (first defined at ${where(entry.decl.loc)})`);
      entry.decl.loc = nameTok ? nameTok.loc : kw.loc;
      if (entry.kind === 'enum') enumBody(entry.decl);
      else structBody(entry.decl, kw);
    }
    if (entry.kind === 'enum') return { type: { kind: 'enum', decl: entry.decl }, defines: hasBody };
    if (entry.kind === 'union') return { type: { kind: 'struct', decl: entry.decl }, defines: hasBody };
    return { type: { kind: 'struct', decl: entry.decl }, defines: hasBody };
  }

  function structBody(decl: StructDecl, kw: Token) {
    const open = expect('{');
    enter(open);
    if (kw.text === 'union') decl.unsupported = { construct: 'union', loc: kw.loc };
    const fields: Field[] = [];
    while (!at('}')) {
      if (peek().kind === 'eof') fail(open.loc, `unterminated ${decl.name} (no closing '}')`);
      if (at(';')) { next(); continue; }
      const spec = specifiers('member');
      if (at(';')) {
        // A member with no declarator: a C11 anonymous struct or union, or a tag declaration.
        if (spec.bare && spec.definesTag) decl.unsupported ??= { construct: 'anonymous struct or union member', loc: spec.loc };
        next();
        continue;
      }
      for (;;) {
        const d = declarator(false);
        const type = d.apply(spec.type);
        const nameTok = d.name!;
        if (at(':')) {
          decl.unsupported ??= { construct: 'bit-field', loc: next().loc };
          constExpr();
        }
        cAttrs();
        const s = strip(type);
        if (d.func || s.kind === 'func') fail(nameTok.loc, `field '${nameTok.text}' is declared as a function`);
        if (s.kind === 'void') fail(nameTok.loc, `field '${nameTok.text}' has type 'void'`);
        const inc = findIncomplete(type);
        if (inc) fail(nameTok.loc, `field '${nameTok.text}' has incomplete type '${inc.name}'`);
        const dup = fields.find((f) => f.name === nameTok.text);
        if (dup) fail(nameTok.loc, `duplicate field '${nameTok.text}' in ${decl.name} (first at ${where(dup.loc)})`);
        fields.push({ name: nameTok.text, type, loc: nameTok.loc, offset: 0 });
        if (at(',')) { next(); continue; }
        expect(';', ` after field '${nameTok.text}'`);
        break;
      }
    }
    next();
    depth--;
    if (fields.length === 0) decl.unsupported ??= { construct: `empty ${kw.text}`, loc: kw.loc };
    decl.fields = fields;
    decl.depth = 1 + Math.max(0, ...fields.map((f) => typeDepth(f.type)));
    if (decl.depth > MAX_TYPE_DEPTH) fail(decl.loc, `${decl.name} nests structs more than ${MAX_TYPE_DEPTH} deep`);
    decl.complete = true;
  }

  function enumBody(decl: EnumDecl) {
    const open = expect('{');
    let value = 0n;
    let unsigned = false;
    while (!at('}')) {
      const name = ident('an enumerator name');
      if (enumerators.has(name.text) || typedefs.has(name.text)) {
        const prev = enumerators.get(name.text);
        fail(name.loc, `redefinition of '${name.text}'${prev ? ` (first defined at ${where(prev.loc)})` : ''}`);
      }
      cAttrs();
      if (at('=')) {
        next();
        value = constExpr().v;
      }
      if (value < -(1n << 31n) || value >= 1n << 32n) fail(name.loc, `enumerator '${name.text}' = ${value} does not fit in 32 bits`);
      if (value >= 1n << 31n) unsigned = true;
      decl.members.push({ name: name.text, value, loc: name.loc });
      enumerators.set(name.text, { value: { v: value, unsigned: value >= 1n << 31n, wide: false }, loc: name.loc });
      value += 1n;
      if (at(',')) { next(); continue; }
      if (!at('}')) fail(peek().loc, `expected ',' or '}' in ${decl.name}, found ${describe(peek())}`);
    }
    next();
    if (decl.members.length === 0) fail(open.loc, `empty ${decl.name}`);
    if (unsigned && decl.members.some((m) => m.value < 0n)) fail(open.loc, `${decl.name} has values that fit neither int32 nor uint32`);
    decl.int = unsigned ? 'u32' : 'i32';
    decl.complete = true;
  }

  // ---- declarators ----

  // Parses a declarator (abstract if `abstract`) and returns how it derives the declared type
  // from the specifiers' type.
  function declarator(abstract: boolean): Declarator {
    const first = peek();
    enter(first);
    const ptrs: boolean[] = []; // const-ness of each '*'
    while (at('*')) {
      next();
      let c = false;
      while (peek().kind === 'ident' && QUALIFIERS.has(peek().text)) if (next().text === 'const') c = true;
      if (peek().kind === 'ident' && LAYOUT_CHANGING.has(peek().text)) fail(peek().loc, `unsupported C construct: ${peek().text}`);
      ptrs.push(c);
    }
    let inner: Declarator | null = null;
    let name: Token | null = null;
    if (at('(') && (at('*', 1) || at('(', 1) || isAttrStart(1) || (!abstract && peek(1).kind === 'ident' && !isTypeStart(peek(1))) || (abstract && at('[', 1)))) {
      next();
      inner = declarator(abstract);
      expect(')', ' to close the declarator');
    } else if (peek().kind === 'ident' && !abstract) {
      name = next();
    } else if (!abstract) {
      fail(peek().loc, `expected a name, found ${describe(peek())}`);
    }
    const suffixes: ((t: CType) => CType)[] = [];
    let func = false;
    for (;;) {
      if (at('[') && !isAttrStart()) {
        const open = next();
        if (at(']')) {
          next();
          suffixes.push(() => ({ kind: 'unsupported', construct: 'flexible array member', loc: open.loc }));
          continue;
        }
        while (peek().kind === 'ident' && (QUALIFIERS.has(peek().text) || peek().text === 'static')) next();
        const exprStart = peek();
        const n = constExpr();
        expect(']', ' to close the array size');
        if (n.v < 0n && !n.unsigned) fail(exprStart.loc, `array size ${n.v} is negative`);
        if (n.v > BigInt(0x7fffffff)) fail(exprStart.loc, `array size ${n.v} is too large`);
        const count = Number(n.v);
        suffixes.push((t) => (count === 0 ? { kind: 'unsupported', construct: 'zero-length array', loc: open.loc } : { kind: 'array', of: t, count }));
      } else if (at('(')) {
        const open = next();
        let d = 0;
        let variadic = false;
        while (!(at(')') && d === 0)) {
          const t = next();
          if (t.kind === 'eof') fail(open.loc, "unterminated parameter list (no closing ')')");
          if (t.text === '(') d++;
          if (t.text === ')') d--;
          if (t.text === '...' && d === 0) variadic = true;
        }
        next();
        if (suffixes.length === 0 && !inner) func = true;
        suffixes.push(() => ({ kind: 'func', variadic, loc: first.loc }));
      } else {
        break;
      }
    }
    depth--;
    const apply = (base: CType): CType => {
      let t = base;
      for (const c of ptrs) t = { kind: 'pointer', to: t, const: c || undefined };
      for (let i = suffixes.length - 1; i >= 0; i--) t = suffixes[i](t);
      t = inner ? inner.apply(t) : t;
      if (typeDepth(t) > MAX_TYPE_DEPTH) fail(first.loc, `type nested more than ${MAX_TYPE_DEPTH} deep`);
      return t;
    };
    return { name: inner ? inner.name : name, apply, func: inner ? inner.func : func };
  }

  function typeName(): CType {
    const spec = specifiers('type');
    if (spec.storage) fail(spec.loc, `storage class '${spec.storage}' in a type name`);
    return declarator(true).apply(spec.type);
  }

  // ---- file-scope declarations ----

  function declaration() {
    const spec = specifiers('decl');
    if (at(';')) { next(); return; }
    for (;;) {
      const d = declarator(false);
      const type = d.apply(spec.type);
      const name = d.name!;
      cAttrs();
      if (spec.storage === 'typedef') defineTypedef(name, type);
      else if (enumerators.has(name.text) && !d.func) fail(name.loc, `'${name.text}' redeclared as a different kind of symbol`);
      if (d.func && at('{') && spec.storage !== 'typedef') {
        skipBalanced('{', '}');
        return; // a function definition (static inline in a header): its body is not igen's
      }
      if (at('=')) {
        next();
        let d2 = 0;
        while (!((at(',') || at(';')) && d2 === 0)) {
          const t = next();
          if (t.kind === 'eof') fail(name.loc, `unterminated initializer of '${name.text}'`);
          if (t.text === '(' || t.text === '{' || t.text === '[') d2++;
          if (t.text === ')' || t.text === '}' || t.text === ']') d2--;
        }
      }
      if (at(',')) { next(); continue; }
      expect(';', ` after the declaration of '${name.text}'`);
      return;
    }
  }

  function skipBalanced(open: string, close: string) {
    const start = expect(open);
    let d = 0;
    for (;;) {
      const t = next();
      if (t.kind === 'eof') fail(start.loc, `unterminated '${open}' (no matching '${close}')`);
      if (t.text === open) d++;
      if (t.text === close) {
        if (d === 0) return;
        d--;
      }
    }
  }

  function defineTypedef(name: Token, type: CType) {
    if (enumerators.has(name.text)) fail(name.loc, `'${name.text}' redeclared as a different kind of symbol`);
    const old = typedefs.get(name.text);
    if (old) {
      const canon = (t: CType) => spell(strip(t)).replace(/\b(signed char|char)\b/, 'i8');
      if (old.kind === 'typedef' && canon(old.to) !== canon(type) && !sameScalar(old.to, type)) {
        fail(name.loc, `conflicting types for typedef '${name.text}' ('${spell(type)}' vs '${spell(old.to)}')`);
      }
      return;
    }
    // An anonymous struct or enum is spelled by the first typedef name given to it.
    const s = type.kind === 'struct' || type.kind === 'enum' ? type : null;
    if (s && s.decl.tag === null && s.decl.name.includes('<anonymous')) s.decl.name = name.text;
    typedefs.set(name.text, { kind: 'typedef', name: name.text, to: type, builtin: false });
  }

  function sameScalar(a: CType, b: CType): boolean {
    const x = strip(a);
    const y = strip(b);
    return x.kind === 'int' && y.kind === 'int' && x.int === y.int;
  }

  // ---- machines (machines.ts) ----

  const grammar: CGrammar = {
    main, typedefs, enumerators, peek, next, at, expect, ident, describe, attrs,
    specifiers: (c) => specifiers(c), declarator: (a) => declarator(a), constExpr, withTokens,
    pos: () => pos,
  };

  function withTokens<T>(list: Token[], f: () => T): T {
    const savedTokens = tokens;
    const savedPos = pos;
    tokens = list;
    pos = 0;
    try {
      return f();
    } finally {
      tokens = savedTokens;
      pos = savedPos;
    }
  }

  // ---- translation unit ----

  while (peek().kind !== 'eof') {
    if (at(';')) { next(); continue; }
    if (isMachineStart(grammar)) machines.push(machine(grammar));
    else if (peek().kind === 'ident' && peek().text === '_Static_assert') staticAssert();
    else declaration();
  }

  function staticAssert() {
    const kw = next();
    expect('(');
    const v = constExpr();
    let msg = '';
    if (at(',')) {
      next();
      const s = peek();
      if (s.kind !== 'string') fail(s.loc, `expected a string, found ${describe(s)}`);
      msg = next().text;
    }
    expect(')');
    expect(';');
    if (v.v === 0n) fail(kw.loc, `static assertion failed${msg ? ': ' + msg : ''}`);
  }

  return { main, machines, typedefs, tags, enumerators };
}
