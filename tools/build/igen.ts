// igen.ts: the igen step of `aam build`: generate a program's machine interfaces before asc runs.
//
// Owns: which IDL files a build regenerates, and writing their outputs only when they changed.
// Not: igen itself (igen/main.ts), the `aam igen` command (tools/cli/aam.ts).
//
// The IDL files of a build are (docs/igen.md "aam build"):
//  1. every *.idl in the entry file's directory;
//  2. for every relative import of `X_igen_client` or `X_igen_server` (any extension) in the
//     entry or in a program file it imports relatively (followed transitively), the file X.idl
//     beside the importing file.
// Outputs go next to their IDL, as `aam igen X.idl` writes them. A file whose text is unchanged
// is not rewritten, so its mtime (and any tool watching it) stays quiet; a bad IDL fails the build
// with igen's located errors.

import * as fs from "node:fs";
import * as path from "node:path";
import { igen } from "../../igen/main";

export class IgenBuildError extends Error { name = "BuildError"; }

const IMPORT = /\b(?:import|export)\b[^"';]*?\bfrom\s*["']([^"']+)["']|\bimport\s*["']([^"']+)["']/g;
const GENERATED = /^(.*)_igen_(?:client|server)(?:\.ts)?$/;

/** The IDL files a build of `entry` depends on, sorted. */
export function idlFilesOf(entry: string): string[] {
  const idls = new Set<string>();
  const dir = path.dirname(path.resolve(entry));
  for (const f of fs.readdirSync(dir)) if (f.endsWith(".idl")) idls.add(path.join(dir, f));
  const seen = new Set<string>();
  const work = [path.resolve(entry)];
  while (work.length) {
    const file = work.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    let text: string;
    try { text = fs.readFileSync(file, "utf8"); } catch { continue; }
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith(".")) continue;                       // "aam", ~lib/…: not the program's
      const target = path.resolve(path.dirname(file), spec);
      const g = GENERATED.exec(target);
      if (g) { idls.add(g[1] + ".idl"); continue; }
      work.push(target.endsWith(".ts") ? target : target + ".ts");
    }
  }
  return [...idls].filter((f) => fs.existsSync(f)).sort();
}

/** Runs igen on the IDL files of `entry`; returns the outputs it (re)wrote. */
export function igenForBuild(entry: string): string[] {
  const idls = idlFilesOf(entry);
  if (!idls.length) return [];
  const r = igen(idls, { write: false });
  if (!r.ok) throw new IgenBuildError(`build: igen failed\n${r.errors.map((e) => e.format()).join("\n")}`);
  const wrote: string[] = [];
  for (const o of r.outputs) {
    let old: string | undefined;
    try { old = fs.readFileSync(o.path, "utf8"); } catch { old = undefined; }
    if (old === o.text) continue;
    const tmp = `${o.path}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, o.text);
    fs.renameSync(tmp, o.path);
    wrote.push(o.path);
  }
  return wrote;
}
