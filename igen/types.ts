// types.ts: the C types igen understands, as wasm32 sees them.
//
// Owns: the CType representation (scalars, pointers, arrays, structs, enums, typedefs, and the
// constructs igen parses but does not support), the built-in typedefs of <stdint.h>,
// <stddef.h> and <stdbool.h>, C spelling of a type, and finding the unsupported construct a type
// contains.
// Not: sizes and offsets (layout.ts), parsing (parse.ts).
//
// Unsupported constructs (unions, bit-fields, function pointers, flexible array members, long
// double, _Complex, empty structs) are kept as types that remember where they were written. A
// header may contain them; only an interface that needs one is an error, reported at the
// construct. So existing headers can be included whole.

import { Loc } from './errors';

export type IntKind = 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64';

export interface StructDecl {
  tag: string | null;
  name: string; // how C spells it: `struct tag`, a typedef name for an anonymous one, or a placeholder
  loc: Loc;
  complete: boolean;
  fields: Field[];
  unsupported: Unsupported | null; // a union, a bit-field or an empty struct, found while parsing
  depth: number; // 1 + the deepest typeDepth of its fields (bounded by MAX_TYPE_DEPTH)
  layout?: { size: number; align: number }; // cached by layout.ts
}

export interface Field {
  name: string;
  type: CType;
  loc: Loc;
  offset: number; // set by layout.ts
}

export interface EnumDecl {
  tag: string | null;
  name: string;
  loc: Loc;
  complete: boolean;
  members: { name: string; value: bigint; loc: Loc }[];
  int: 'i32' | 'u32';
}

export interface Unsupported {
  construct: string;
  loc: Loc;
}

interface Qualified {
  const?: boolean;
}

export type CType = Qualified &
  (
    | { kind: 'void' }
    | { kind: 'bool' }
    | { kind: 'int'; int: IntKind; c: string }
    | { kind: 'float'; size: 4 | 8; c: 'float' | 'double' }
    | { kind: 'pointer'; to: CType }
    | { kind: 'array'; of: CType; count: number }
    | { kind: 'struct'; decl: StructDecl }
    | { kind: 'enum'; decl: EnumDecl }
    | { kind: 'typedef'; name: string; to: CType; builtin: boolean }
    | { kind: 'func'; variadic: boolean; loc: Loc }
    | { kind: 'unsupported'; construct: string; loc: Loc }
  );

export const intType = (int: IntKind, c: string): CType => ({ kind: 'int', int, c });

export const INT_SIZES: Record<IntKind, number> = { i8: 1, u8: 1, i16: 2, u16: 2, i32: 4, u32: 4, i64: 8, u64: 8 };

// wasm32's <stdint.h>, <stddef.h> and <stdbool.h> (as clang --target=wasm32 defines them).
const BUILTIN_TYPEDEFS: [string, CType][] = [
  ['int8_t', intType('i8', 'signed char')], ['uint8_t', intType('u8', 'unsigned char')],
  ['int16_t', intType('i16', 'short')], ['uint16_t', intType('u16', 'unsigned short')],
  ['int32_t', intType('i32', 'int')], ['uint32_t', intType('u32', 'unsigned int')],
  ['int64_t', intType('i64', 'long long')], ['uint64_t', intType('u64', 'unsigned long long')],
  ['intptr_t', intType('i32', 'long')], ['uintptr_t', intType('u32', 'unsigned long')],
  ['intmax_t', intType('i64', 'long long')], ['uintmax_t', intType('u64', 'unsigned long long')],
  ['size_t', intType('u32', 'unsigned long')], ['ptrdiff_t', intType('i32', 'long')],
  ['bool', { kind: 'bool' }],
];

export function builtinTypedefs(): Map<string, CType> {
  return new Map(BUILTIN_TYPEDEFS.map(([name, to]) => [name, { kind: 'typedef', name, to, builtin: true }]));
}

// The type under any typedefs (qualifiers of the typedef'd type are kept).
export function strip(t: CType): CType {
  while (t.kind === 'typedef') t = t.const ? { ...t.to, const: true } : t.to;
  return t;
}

// Length of the chain of pointers, arrays, typedefs and by-value struct fields in t. Every
// recursive walk over types is bounded by it (parse.ts keeps it under MAX_TYPE_DEPTH); no walk
// enters the fields of a struct behind a pointer, so those do not count.
export function typeDepth(t: CType): number {
  let n = 0;
  let behindPointer = false;
  for (;;) {
    if (t.kind === 'pointer') (t = t.to), (behindPointer = true);
    else if (t.kind === 'array') t = t.of;
    else if (t.kind === 'typedef') t = t.to;
    else return n + (t.kind === 'struct' && !behindPointer ? t.decl.depth : 0);
    n++;
  }
}

export function isInteger(t: CType): boolean {
  const s = strip(t);
  return s.kind === 'int';
}

export function isPointer(t: CType): boolean {
  return strip(t).kind === 'pointer';
}

// C spelling of type t declaring `inner` (a name or an abstract declarator, possibly empty).
export function spell(t: CType, inner = ''): string {
  const q = t.const ? 'const ' : '';
  const join = (base: string) => (inner ? `${base} ${inner}` : base);
  switch (t.kind) {
    case 'pointer': {
      const p = `*${t.const ? 'const ' : ''}${inner}`.trimEnd();
      return spell(t.to, t.to.kind === 'array' || t.to.kind === 'func' ? `(${p})` : p);
    }
    case 'array':
      return spell(t.of, `${inner}[${t.count}]`);
    case 'func':
      return join(`void (${inner})(${t.variadic ? '...' : ''})`);
    case 'void': return join(q + 'void');
    case 'bool': return join(q + 'bool');
    case 'int': return join(q + t.c);
    case 'float': return join(q + t.c);
    case 'struct': return join(q + t.decl.name);
    case 'enum': return join(q + t.decl.name);
    case 'typedef': return join(q + t.name);
    case 'unsupported': return join(q + t.construct);
  }
}

// The first unsupported construct that a value of type t contains, looking through typedefs,
// arrays and struct fields but not behind pointers (a pointer is 4 bytes whatever it points to),
// except that a pointer to a function is itself unsupported.
export function findUnsupported(t: CType, seen = new Set<StructDecl>()): Unsupported | null {
  const s = strip(t);
  switch (s.kind) {
    case 'unsupported':
      return { construct: s.construct, loc: s.loc };
    case 'func':
      return { construct: 'function type', loc: s.loc };
    case 'pointer': {
      const to = strip(s.to);
      return to.kind === 'func' ? { construct: 'function pointer', loc: to.loc } : null;
    }
    case 'array':
      return findUnsupported(s.of, seen);
    case 'struct': {
      if (s.decl.unsupported) return s.decl.unsupported;
      if (seen.has(s.decl)) return null;
      seen.add(s.decl);
      for (const f of s.decl.fields) {
        const u = findUnsupported(f.type, seen);
        if (u) return u;
      }
      return null;
    }
    default:
      return null;
  }
}

// An incomplete struct or enum that a value of type t needs (same walk as findUnsupported).
export function findIncomplete(t: CType): StructDecl | EnumDecl | null {
  const s = strip(t);
  if (s.kind === 'array') return findIncomplete(s.of);
  if ((s.kind === 'struct' || s.kind === 'enum') && !s.decl.complete) return s.decl;
  return null;
}

// A pointer field inside a value of type t (kernel-level machines refuse these: the pointer
// would reach the server unvalidated). Returns the field's path, e.g. `struct req.buf`.
export function findPointerField(t: CType, seen = new Set<StructDecl>()): string | null {
  const s = strip(t);
  if (s.kind === 'array') return findPointerField(s.of, seen);
  if (s.kind !== 'struct' || seen.has(s.decl)) return null;
  seen.add(s.decl);
  for (const f of s.decl.fields) {
    const ft = strip(f.type);
    if (ft.kind === 'pointer') return `${s.decl.name}.${f.name}`;
    const inner = findPointerField(f.type, seen);
    if (inner) return inner;
  }
  return null;
}
