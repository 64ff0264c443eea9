// expr.ts: integer constant expressions, for #if, #define'd constants, array sizes, enum values
// and [[len(...)]].
//
// Owns: integer literals and character constants, the C operators (unary, binary, ?:), the usual
// arithmetic conversions reduced to what wasm32 needs (int is 32 bits, long long 64; an operand
// is signed or unsigned), and wrap-around at the operand width.
// Not: identifiers, sizeof and casts, which the caller supplies as hooks (the parser knows types
// and enumerators; #if knows only `defined` and treats other names as 0).

import { Token } from './lexer';
import { fail } from './errors';
import { MAX_NESTING } from './limits';

export interface Value {
  v: bigint;
  unsigned: boolean;
  wide: boolean; // 64-bit (long long); otherwise 32-bit (int, long)
}

export interface TypeInfo {
  size: number;
  align: number;
  int?: { unsigned: boolean; wide: boolean }; // set when the type is an integer (casts need it)
}

export interface Cursor {
  peek(k?: number): Token;
  next(): Token;
}

export interface ExprHooks {
  ident(t: Token): Value;
  startsTypeName?(t: Token): boolean; // after `(`: a cast or sizeof(type) follows
  typeName?(): TypeInfo; // parse a type name at the cursor
  preprocessor?: boolean; // #if: every value is 64-bit
}

export const int32 = (v: bigint | number): Value => ({ v: BigInt(v), unsigned: false, wide: false });

export function wrap(v: bigint, unsigned: boolean, wide: boolean): Value {
  const bits = wide ? 64 : 32;
  return { v: unsigned ? BigInt.asUintN(bits, v) : BigInt.asIntN(bits, v), unsigned, wide };
}

const INT_RE = /^(?:0[xX]([0-9a-fA-F]+)|0[bB]([01]+)|(0[0-7]*)|([1-9][0-9]*))([uUlL]*)$/;
const SUFFIX_RE = /^(?:[uU]?(?:l|L|ll|LL)?|(?:l|L|ll|LL)[uU])$/;

export function parseIntLiteral(t: Token, preprocessor = false): Value {
  const m = INT_RE.exec(t.text);
  if (!m) {
    if (/^[0-9]*\.|^[0-9]+[eE]|^0[xX].*[pP]/.test(t.text)) fail(t.loc, `floating constant '${t.text}' where an integer constant is needed`);
    fail(t.loc, `invalid integer constant '${t.text}'`);
  }
  const suffix = m[5];
  if (!SUFFIX_RE.test(suffix)) fail(t.loc, `invalid suffix '${suffix}' on integer constant '${t.text}'`);
  const v = m[1] !== undefined ? BigInt('0x' + m[1]) : m[2] !== undefined ? BigInt('0b' + m[2]) : m[3] !== undefined ? BigInt('0o' + (m[3].slice(1) || '0')) : BigInt(m[4]);
  const u = /[uU]/.test(suffix);
  const ll = /ll|LL/.test(suffix);
  const decimal = m[4] !== undefined;
  if (v >= 1n << 64n) fail(t.loc, `integer constant '${t.text}' is too large`);
  if (preprocessor) return { v, unsigned: u || v >= 1n << 63n, wide: true };
  // The first type that holds the value, as C11 6.4.4.1 lists them for ILP32.
  const fits = (unsigned: boolean, wide: boolean) => v < 1n << BigInt((wide ? 64 : 32) - (unsigned ? 0 : 1));
  const options: [boolean, boolean][] = [];
  if (!ll) {
    if (!u) options.push([false, false]);
    if (u || !decimal) options.push([true, false]);
  }
  if (!u) options.push([false, true]);
  if (u || !decimal) options.push([true, true]);
  const ok = options.find(([un, w]) => fits(un, w));
  if (!ok) fail(t.loc, `integer constant '${t.text}' is too large`);
  return { v, unsigned: ok[0], wide: ok[1] };
}

const ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, a: 7, b: 8, f: 12, v: 11, '\\': 92, "'": 39, '"': 34, '?': 63 };

export function parseCharLiteral(t: Token): Value {
  const body = t.text.slice(1, -1);
  let code: number;
  if (body.length === 0) fail(t.loc, 'empty character constant');
  if (body[0] === '\\') {
    const rest = body.slice(1);
    let m: RegExpExecArray | null;
    if ((m = /^x([0-9a-fA-F]{1,2})$/.exec(rest))) code = parseInt(m[1], 16);
    else if ((m = /^([0-7]{1,3})$/.exec(rest))) code = parseInt(m[1], 8) & 0xff;
    else if (rest.length === 1 && rest in ESCAPES) code = ESCAPES[rest];
    else fail(t.loc, `unsupported character constant ${t.text}`);
  } else if (body.length === 1 && body.charCodeAt(0) < 128) {
    code = body.charCodeAt(0);
  } else {
    fail(t.loc, `unsupported character constant ${t.text} (one ASCII character or escape)`);
  }
  return int32(code >= 128 ? code - 256 : code); // char is signed on wasm32
}

// Binary operators by precedence, loosest first.
const LEVELS: string[][] = [
  ['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '>', '<=', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%'],
];

export function evalExpr(cur: Cursor, hooks: ExprHooks): Value {
  let depth = 0;
  const truth = (x: Value) => x.v !== 0n;
  const bool = (b: boolean): Value => (hooks.preprocessor ? { v: b ? 1n : 0n, unsigned: false, wide: true } : int32(b ? 1 : 0));
  const common = (a: Value, b: Value): [boolean, boolean] => {
    const wide = a.wide || b.wide;
    if (a.wide === b.wide) return [a.unsigned || b.unsigned, wide];
    return [a.wide ? a.unsigned : b.unsigned, wide];
  };

  function enter(t: Token) {
    if (++depth > MAX_NESTING) fail(t.loc, `expression nested more than ${MAX_NESTING} deep`);
  }

  function conditional(live: boolean): Value {
    const c = binary(0, live);
    if (cur.peek().text !== '?') return c;
    const q = cur.next();
    enter(q);
    const a = conditional(live && truth(c));
    expect(':');
    const b = conditional(live && !truth(c));
    depth--;
    const [u, w] = common(a, b);
    return wrap(truth(c) ? a.v : b.v, u, w);
  }

  function binary(level: number, live: boolean): Value {
    if (level === LEVELS.length) return unary(live);
    let a = binary(level + 1, live);
    for (;;) {
      const op = cur.peek();
      if (op.kind !== 'punct' || !LEVELS[level].includes(op.text)) return a;
      cur.next();
      if (op.text === '||' || op.text === '&&') {
        const b = binary(level + 1, live && (op.text === '||' ? !truth(a) : truth(a)));
        a = bool(op.text === '||' ? truth(a) || truth(b) : truth(a) && truth(b));
        continue;
      }
      const b = binary(level + 1, live);
      a = apply(op, a, b, live);
    }
  }

  function apply(op: Token, a: Value, b: Value, live: boolean): Value {
    if (op.text === '<<' || op.text === '>>') {
      const bits = a.wide ? 64n : 32n;
      if (b.v < 0n || b.v >= bits) {
        if (live) fail(op.loc, `shift count ${b.v} is out of range for a ${bits}-bit operand`);
        return a;
      }
      return wrap(op.text === '<<' ? a.v << b.v : a.v >> b.v, a.unsigned, a.wide);
    }
    const [u, w] = common(a, b);
    const x = wrap(a.v, u, w).v;
    const y = wrap(b.v, u, w).v;
    switch (op.text) {
      case '+': return wrap(x + y, u, w);
      case '-': return wrap(x - y, u, w);
      case '*': return wrap(x * y, u, w);
      case '/':
      case '%':
        if (y === 0n) {
          if (live) fail(op.loc, 'division by zero in constant expression');
          return wrap(0n, u, w);
        }
        return wrap(op.text === '/' ? x / y : x % y, u, w);
      case '&': return wrap(x & y, u, w);
      case '|': return wrap(x | y, u, w);
      case '^': return wrap(x ^ y, u, w);
      case '==': return bool(x === y);
      case '!=': return bool(x !== y);
      case '<': return bool(x < y);
      case '>': return bool(x > y);
      case '<=': return bool(x <= y);
      default: return bool(x >= y); // '>='
    }
  }

  function unary(live: boolean): Value {
    const t = cur.peek();
    if (t.kind === 'punct' && ['-', '+', '~', '!'].includes(t.text)) {
      cur.next();
      enter(t);
      const a = unary(live);
      depth--;
      if (t.text === '-') return wrap(-a.v, a.unsigned, a.wide);
      if (t.text === '~') return wrap(~a.v, a.unsigned, a.wide);
      if (t.text === '!') return bool(!truth(a));
      return a;
    }
    if (t.kind === 'ident' && (t.text === 'sizeof' || t.text === '_Alignof' || t.text === 'alignof') && hooks.typeName) {
      cur.next();
      if (cur.peek().text !== '(' || !hooks.startsTypeName?.(cur.peek(1))) {
        fail(cur.peek().loc, `${t.text} needs a parenthesized type name in a constant expression`);
      }
      cur.next();
      const info = hooks.typeName();
      expect(')');
      return { v: BigInt(t.text === 'sizeof' ? info.size : info.align), unsigned: true, wide: false };
    }
    if (t.text === '(' && hooks.typeName && hooks.startsTypeName?.(cur.peek(1))) {
      cur.next();
      const info = hooks.typeName();
      expect(')');
      if (!info.int) fail(t.loc, 'cast to a non-integer type in a constant expression');
      enter(t);
      const a = unary(live);
      depth--;
      return wrap(a.v, info.int.unsigned, info.int.wide);
    }
    return primary(live);
  }

  function primary(live: boolean): Value {
    const t = cur.next();
    if (t.kind === 'number') return parseIntLiteral(t, hooks.preprocessor);
    if (t.kind === 'char') {
      const c = parseCharLiteral(t);
      return hooks.preprocessor ? { ...c, wide: true } : c;
    }
    if (t.kind === 'ident') return hooks.ident(t);
    if (t.text === '(') {
      enter(t);
      const v = conditional(live);
      expect(')');
      depth--;
      return v;
    }
    if (t.kind === 'eof' || (hooks.preprocessor && t.bol)) fail(t.loc, 'expected an expression');
    fail(t.loc, `expected an expression, found '${t.text}'`);
  }

  function expect(text: string) {
    const t = cur.peek();
    if (t.text !== text || t.kind === 'string' || t.kind === 'char') {
      fail(t.loc, t.kind === 'eof' ? `expected '${text}' before end of input` : `expected '${text}', found '${t.text}'`);
    }
    cur.next();
  }

  return conditional(true);
}
