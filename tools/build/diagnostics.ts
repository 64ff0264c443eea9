// diagnostics.ts: asc's error output, made into messages about the program.
//
// Owns: rewriting asc's file names into paths a terminal can open (relative to the current folder,
// or absolute; tools/host/symbols.ts sourcePath), and replacing asc's errors in the glue entry
// (compile.ts) by one sentence at the program's file: an error there means the program exports
// main, percore or machines with another type, or no main at all. Not: running asc.
//
// asc's output is a list of blocks, each opening with "ERROR …", "WARNING …" or "INFO …", with
// its location on a line "└─ in <file>(<line>,<col>)", and a last line "FAILURE n compile error(s)".

import { sourcePath, type SourceRoots } from "../host/symbols";

export interface GlueExport { line: number; type: string }

export interface Explained {
  text: string;          // what to print: the program's own diagnostics, then one sentence per glue export
  glueOnly: boolean;     // every error was in the glue: the text is the sentences alone
}

const LOCATION = / in (\S+?)\((\d+),(\d+)\)/g;

export function explainAsc(out: string, o: { roots: SourceRoots; glueName: string; entry: string; exports: Record<string, GlueExport> }): Explained {
  const blocks: string[][] = [];
  for (const line of out.split("\n")) {
    if (/^(ERROR|WARNING|INFO) /.test(line) || /^FAILURE /.test(line)) blocks.push([line]);
    else if (blocks.length) blocks[blocks.length - 1].push(line);
  }
  if (!blocks.length) return { text: out.replace(LOCATION, (_, f, l, c) => ` in ${sourcePath(f, o.roots)}(${l},${c})`).trim(), glueOnly: false };
  const program: string[] = [];
  const sentences = new Map<string, string>();
  let errors = 0;
  for (const b of blocks) {
    if (/^FAILURE /.test(b[0])) continue;
    const text = b.join("\n");
    const at = [...text.matchAll(LOCATION)][0];
    if (at && at[1] === o.glueName) {
      const name = Object.keys(o.exports).find((k) => o.exports[k].line === Number(at[2]));
      if (name && !sentences.has(name)) {
        const e = o.exports[name];
        const found = /Type '(.+?)' is not assignable to type/.exec(b[0]);
        sentences.set(name, /AS102/.test(b[0])
          ? `${o.entry}: the program must export ${e.type}`
          : `${o.entry}: ${name} must be exported as ${e.type}${found ? ` (it is ${found[1]})` : ""}`);
      }
      if (name) continue;                               // an error in the glue not about an export: shown as is
    }
    if (/^ERROR /.test(b[0])) errors++;
    program.push(text.replace(LOCATION, (_, f, l, c) => ` in ${f === o.glueName ? f : sourcePath(f, o.roots)}(${l},${c})`).trimEnd());
  }
  const all = [...sentences.values()];
  if (!errors && all.length) return { text: all.join("\n"), glueOnly: true };
  const total = errors + all.length;
  return { text: [...program, ...all, ...(total ? [`FAILURE ${total} compile error(s)`] : [])].join("\n\n").trim(), glueOnly: false };
}
