// lexer.ts: C tokens of one source file.
//
// Owns: splitting text into identifiers, pp-numbers, character and string literals and
// punctuators, with each token's location and whether it starts a line (for directives).
// Not: keywords (the parser decides by context, so `machine` or `in` stay valid C identifiers),
// number values (expr.ts), macros (preprocess.ts).

import { fail, Loc, locAt, SourceFile } from './errors';
import { MAX_FILE_BYTES } from './limits';

export type TokKind = 'ident' | 'number' | 'char' | 'string' | 'punct' | 'eof';

export interface Token {
  kind: TokKind;
  text: string;
  loc: Loc;
  bol: boolean; // first token on its line: a `#` here starts a directive
  space: boolean; // whitespace before it: `[[` is two `[` with no space between
  hide?: ReadonlySet<string>; // macros that produced it and must not expand it again
}

// Matched longest first, so `<<=` wins over `<<` and `<`.
const PUNCTS = [
  '...', '<<=', '>>=',
  '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '##',
  '*=', '/=', '%=', '+=', '-=', '&=', '^=', '|=',
  '[', ']', '(', ')', '{', '}', '.', '&', '*', '+', '-', '~', '!', '/', '%', '<', '>', '^', '|',
  '?', ':', ';', '=', ',', '#',
];

const PUNCT_SET = new Set(PUNCTS);

const isIdStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isIdChar = (c: number) => isIdStart(c) || isDigit(c);

export function lex(file: SourceFile): Token[] {
  const s = file.text;
  if (s.length > MAX_FILE_BYTES) fail(locAt(file, 0), `file is larger than ${MAX_FILE_BYTES} bytes`);
  const toks: Token[] = [];
  let i = 0;
  let bol = true;
  let space = false;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 10) { bol = true; space = true; i++; continue; }
    if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12) { space = true; i++; continue; }
    if (c === 92 /* \ */ && (s[i + 1] === '\n' || (s[i + 1] === '\r' && s[i + 2] === '\n'))) {
      i += s[i + 1] === '\n' ? 2 : 3; // line splice: the directive goes on
      space = true;
      continue;
    }
    if (c === 47 && s[i + 1] === '/') {
      while (i < s.length && s[i] !== '\n') i++;
      space = true;
      continue;
    }
    if (c === 47 && s[i + 1] === '*') {
      const end = s.indexOf('*/', i + 2);
      if (end < 0) fail(locAt(file, i), 'unterminated comment');
      // A comment is one space (C's phase 3): a `#` after a multi-line comment starts no directive.
      i = end + 2;
      space = true;
      continue;
    }
    const start = i;
    let kind: TokKind;
    if (isIdStart(c)) {
      while (i < s.length && isIdChar(s.charCodeAt(i))) i++;
      kind = 'ident';
    } else if (isDigit(c) || (c === 46 && isDigit(s.charCodeAt(i + 1)))) {
      // pp-number: digits, letters, dots, and signs right after an exponent letter.
      i++;
      while (i < s.length) {
        const d = s.charCodeAt(i);
        if ((d === 43 || d === 45) && /[eEpP]/.test(s[i - 1])) i++;
        else if (isIdChar(d) || d === 46) i++;
        else break;
      }
      kind = 'number';
    } else if (c === 39 || c === 34) {
      const quote = s[i];
      i++;
      while (i < s.length && s[i] !== quote && s[i] !== '\n') i += s[i] === '\\' ? 2 : 1;
      if (i >= s.length || s[i] !== quote) {
        fail(locAt(file, start), quote === '"' ? 'unterminated string literal' : 'unterminated character literal');
      }
      i++;
      kind = quote === '"' ? 'string' : 'char';
    } else {
      const p = [s.substr(i, 3), s.substr(i, 2), s[i]].find((q) => PUNCT_SET.has(q));
      if (!p) {
        const ch = String.fromCodePoint(s.codePointAt(i)!);
        const shown = c < 32 || c === 127 ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
        fail(locAt(file, i), `unexpected character '${shown}'`);
      }
      i += p.length;
      kind = 'punct';
    }
    toks.push({ kind, text: s.slice(start, i), loc: locAt(file, start), bol, space });
    bol = false;
    space = false;
  }
  toks.push({ kind: 'eof', text: '', loc: locAt(file, s.length), bol: true, space: true });
  return toks;
}
