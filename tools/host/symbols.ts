// symbols.ts: names in reports, for both hosts and the build. The image carries no symbol table;
// its manifest lists the function table's names (`fns`), and runtime reports name a task function
// as fn#N. File names in the image (asc's abort messages) and in asc's diagnostics are asc's own:
// relative to its base folder, or ~lib/… for the runtime and the standard library.
//
// Owns: the short form of a name, the rewriting of report lines, and turning asc's file names into
// paths a terminal can open. Not: reading manifests.

import * as fs from "node:fs";
import * as path from "node:path";

/** Where asc's file names of one build are relative to (the manifest's build.sourceBase and
 *  build.runtime; compile.ts knows them directly). */
export interface SourceRoots { base: string; runtime: string }

/** The roots of an image's file names from its manifest, if it records them. */
export function sourceRootsOf(m: { build?: unknown } | undefined): SourceRoots | undefined {
  const b = m?.build as { sourceBase?: unknown; runtime?: unknown } | undefined;
  return typeof b?.sourceBase === "string" && typeof b?.runtime === "string" ? { base: b.sourceBase, runtime: b.runtime } : undefined;
}

/** asc's name of a source file → its path relative to the current folder, or absolute when it is
 *  outside it. "~lib/aam/x.ts" is runtime/x.ts, "~lib/rt/x.ts" runtime/rt/x.ts (or asc's own),
 *  other "~lib/…" asc's standard library (node_modules/assemblyscript/std/assembly/). */
export function sourcePath(name: string, roots: SourceRoots | undefined, cwd = process.cwd()): string {
  if (!roots) return name;
  let abs: string;
  if (name.startsWith("~lib/aam/")) abs = path.join(roots.runtime, name.slice("~lib/aam/".length));
  else if (name.startsWith("~lib/")) {
    // ~lib/rt/x is runtime/rt/x.ts when the runtime has it (compile.ts registers runtime/rt/index.ts
    // as rt/index-stub), else asc's own file
    const rest = name.slice("~lib/".length);
    const ours = path.join(roots.runtime, rest === "rt/index-stub.ts" ? "rt/index.ts" : rest);
    abs = rest.startsWith("rt/") && fs.existsSync(ours) ? ours
      : path.join(path.dirname(roots.runtime), "node_modules/assemblyscript/std/assembly", rest);
  } else abs = path.resolve(roots.base, name);
  const rel = path.relative(cwd, abs);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : abs;
}

/** "examples/pipeline/transform" → "transform" (the function's own name, without its file). */
export function shortName(full: string): string {
  const parts = full.split("/");
  return parts.length > 1 ? parts[parts.length - 1] : full;
}

/** Replace fn#N in a runtime report line ("aam: stall: …") with the function's name, and the file
 *  of an abort's location (" at file:line:col" in a fatal report of the QEMU host, "(file:line:col)"
 *  in a task's failure report, which the image writes) with a path a terminal opens.
 *  Other lines, the program's own output among them, are left alone. */
export function symbolize(line: string, fns: Record<number, string> | undefined, roots?: SourceRoots): string {
  if (!line.startsWith("aam: ")) return line;
  if (roots) {
    line = line.replace(/ at (\S+\.ts):(\d+):(\d+)/g, (_, f, l, c) => ` at ${sourcePath(f, roots)}:${l}:${c}`)
      .replace(/\(([^()\s]+\.ts):(\d+):(\d+)\)/g, (_, f, l, c) => `(${sourcePath(f, roots)}:${l}:${c})`);
  }
  if (!fns) return line;
  return line.replace(/fn#(\d+)/g, (all, n) => (fns[Number(n)] !== undefined ? shortName(fns[Number(n)]) : all));
}
