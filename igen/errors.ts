// errors.ts: source files, locations and igen's one error type.
//
// Owns: SourceFile (text plus line index), Loc, IgenError (file, line, col, reason) and the
// rendering `file:line:col: message`, the source line, and a caret under the column.
// Not: deciding what is an error; the lexer, preprocessor, parser and model raise them.
//
// Columns are 1-based and count UTF-16 code units of the line, a tab counting as one; the caret
// line repeats the tabs of the source line so the caret lands under the column in a terminal.

export class SourceFile {
  readonly lineStarts: number[] = [0];

  constructor(readonly path: string, readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  // 1-based line and column of a character offset.
  position(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.lineStarts[lo] + 1 };
  }

  lineText(line: number): string {
    if (line < 1 || line > this.lineStarts.length) return '';
    const start = this.lineStarts[line - 1];
    let end = line < this.lineStarts.length ? this.lineStarts[line] - 1 : this.text.length;
    if (end > start && this.text.charCodeAt(end - 1) === 13) end--;
    return this.text.slice(start, end);
  }
}

export interface Loc {
  file: SourceFile;
  offset: number;
  line: number;
  col: number;
}

export function locAt(file: SourceFile, offset: number): Loc {
  const { line, col } = file.position(offset);
  return { file, offset, line, col };
}

// A located error in the input. line and col are 0 when the error has no position (an IDL file
// that cannot be read at all). `message` is the one-line form; format() adds the source line.
export class IgenError extends Error {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly sourceLine: string;

  readonly reason: string;

  constructor(where: Loc | string, reason: string) {
    super(reason);
    this.name = 'IgenError';
    // A message quotes text from the input: it may be a megabyte long or hold line breaks.
    reason = reason.replace(/[\x00-\x1f\x7f]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));
    this.reason = reason.length > MAX_REASON ? reason.slice(0, MAX_REASON - 3) + '...' : reason;
    reason = this.reason;
    if (typeof where === 'string') {
      this.file = where;
      this.line = 0;
      this.col = 0;
      this.sourceLine = '';
      this.message = `${where}: ${reason}`;
    } else {
      this.file = where.file.path;
      this.line = where.line;
      this.col = where.col;
      this.sourceLine = where.file.lineText(where.line);
      this.message = `${this.file}:${this.line}:${this.col}: ${reason}`;
    }
  }

  // `file:line:col: message`, then the source line and a caret line. A line longer than
  // SHOWN_LINE characters is shown as a window around the column, cut ends marked '...'.
  format(): string {
    if (this.line === 0) return this.message;
    let text = this.sourceLine;
    let col = this.col;
    if (text.length > SHOWN_LINE) {
      const start = Math.max(0, Math.min(col - 1 - SHOWN_LINE / 2, text.length - SHOWN_LINE));
      const end = start + SHOWN_LINE;
      text = (start > 0 ? '...' : '') + text.slice(start, end) + (end < this.sourceLine.length ? '...' : '');
      col = col - start + (start > 0 ? 3 : 0);
    }
    const caretPad = text.slice(0, col - 1).replace(/[^\t]/g, ' ');
    return `${this.message}\n${text}\n${caretPad}^`;
  }
}

const SHOWN_LINE = 160;
const MAX_REASON = 300;

export function fail(where: Loc | string, message: string): never {
  throw new IgenError(where, message);
}
