// layout.ts: sizes, alignments and offsets per the wasm32 C ABI.
//
// Owns: sizeof/alignof of every supported type and the offsets of struct fields and of the
// request and result records. The rules are clang --target=wasm32's (ILP32, natural alignment):
//
//   type                               size  align
//   char, int8_t, uint8_t, bool           1      1
//   short, int16_t, uint16_t              2      2
//   int, long, size_t, enums, pointers    4      4
//   float                                 4      4
//   long long, int64_t, uint64_t          8      8
//   double                                8      8
//   T[n]                              n*size(T)  align(T)
//   struct                 fields in order, each at the next multiple of its alignment; the
//                          struct's alignment is its largest field's, its size rounded up to it
//
// Not: deciding whether a type is supported or complete; callers check with types.ts first and
// layout only asserts.

import { fail, Loc } from './errors';
import { MAX_TYPE_BYTES } from './limits';
import { CType, Field, INT_SIZES, StructDecl, strip } from './types';

export interface SizeAlign {
  size: number;
  align: number;
}

export const POINTER: SizeAlign = { size: 4, align: 4 };

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

// `where` locates the error if the type is larger than MAX_TYPE_BYTES.
export function sizeAlign(t: CType, where: Loc): SizeAlign {
  const s = strip(t);
  switch (s.kind) {
    case 'bool': return { size: 1, align: 1 };
    case 'int': return { size: INT_SIZES[s.int], align: INT_SIZES[s.int] };
    case 'float': return { size: s.size, align: s.size };
    case 'pointer': return POINTER;
    case 'enum': return { size: 4, align: 4 };
    case 'array': {
      const e = sizeAlign(s.of, where);
      const size = e.size * s.count;
      if (size > MAX_TYPE_BYTES) fail(where, `array of ${s.count} elements of ${e.size} bytes is larger than ${MAX_TYPE_BYTES} bytes`);
      return { size, align: e.align };
    }
    case 'struct': return structLayout(s.decl);
    default:
      throw new Error(`igen internal: layout of a ${s.kind} type`);
  }
}

export function structLayout(decl: StructDecl): SizeAlign {
  if (decl.layout) return decl.layout;
  if (!decl.complete || decl.unsupported) throw new Error(`igen internal: layout of ${decl.name}`);
  const r = layoutFields(decl.fields, decl.loc);
  decl.layout = r;
  return r;
}

// Lays fields out in order, setting each field's offset; returns the record's size and
// alignment. An empty list is a record of size 0 and alignment 1.
export function layoutFields(fields: Field[], where: Loc): SizeAlign {
  let offset = 0;
  let align = 1;
  for (const f of fields) {
    const fa = sizeAlign(f.type, f.loc);
    offset = alignUp(offset, fa.align);
    f.offset = offset;
    offset += fa.size;
    align = Math.max(align, fa.align);
    if (offset > MAX_TYPE_BYTES) fail(where, `record is larger than ${MAX_TYPE_BYTES} bytes`);
  }
  return { size: alignUp(offset, align), align };
}
