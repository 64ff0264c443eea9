// ids.ts: task ordinals and interface hashes.
//
// Owns: the ordinal of a task (32-bit FNV-1a of its selector, "machine.task" by default), the
// canonical text of an interface, and the interface hash (64-bit FNV-1a of that text).
// Not: checking collisions (model.ts) or the connect-time check (the machine-call runtime
// compares the hash a client was built with against the server's and refuses a mismatch).
//
// Ordinals are derived from names, never from declaration order, so adding or reordering tasks
// keeps every existing task's ordinal (FIDL's rule). Renaming a task changes its ordinal unless
// [[selector("machine.old")]] keeps the old name for hashing. Ordinal 0 is reserved for the
// runtime's own connect request.
//
// The canonical text lists, in declaration order, everything both sides must agree on: the
// machine's name and level, each task's name, ordinal, parameters (name, direction, type,
// length) and result, with every by-value or pointed-to struct expanded to its fields and
// offsets. Typedef names are not in it (a typedef is another name for the same bytes); struct,
// enum, field and enumerator names are.

import { CType, strip } from './types';
import { sizeAlign } from './layout';
import { Loc } from './errors';

const utf8 = (s: string) => new TextEncoder().encode(s);

export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of utf8(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function fnv1a64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of utf8(s)) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

export const hex32 = (n: number) => '0x' + n.toString(16).padStart(8, '0');
export const hex64 = (n: bigint) => '0x' + n.toString(16).padStart(16, '0');

// Canonical spelling of a type; structs are expanded once per path (a struct reached again
// through a pointer inside itself is written by name).
export function canonType(t: CType, where: Loc, open: Set<string> = new Set()): string {
  const s = strip(t);
  const c = s.const ? 'const ' : '';
  switch (s.kind) {
    case 'void': return c + 'void';
    case 'bool': return c + 'bool';
    case 'int': return c + s.int;
    case 'float': return c + (s.size === 4 ? 'f32' : 'f64');
    case 'pointer': {
      // A pointer inside a struct is 4 bytes whose data is not copied: only its type's name
      // counts. A pointer parameter's data is copied, so canonType expands it (depth 0).
      const to = strip(s.to);
      if (open.size > 0 && to.kind === 'struct') return `${c}ptr(${to.const ? 'const ' : ''}${to.decl.name})`;
      return `${c}ptr(${canonType(s.to, where, open)})`;
    }
    case 'array': return `${canonType(s.of, where, open)}[${s.count}]`;
    case 'enum':
      return `${c}${s.decl.name}:${s.decl.int}{${s.decl.members.map((m) => `${m.name}=${m.value}`).join(',')}}`;
    case 'struct': {
      const d = s.decl;
      if (open.has(d.name) || !d.complete || d.unsupported) return c + d.name;
      open.add(d.name);
      const { size, align } = sizeAlign(s, where);
      const fields = d.fields.map((f) => `${f.name}:${canonType(f.type, where, open)}@${f.offset}`).join(',');
      open.delete(d.name);
      return `${c}${d.name}{${fields}}#${size}/${align}`;
    }
    default:
      return c + s.kind;
  }
}
