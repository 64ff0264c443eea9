// build.ts: `aam build`, the whole pipeline from a program's entry .ts to a system image.
//
// Owns: the order of the steps and where the outputs go (image.wasm and image.wasm.json).
// Not: the steps themselves (compile.ts, link.ts).

import * as fs from "node:fs";
import * as path from "node:path";
import { compile, BuildError } from "./compile";
import { link, type Manifest, type LinkOptions } from "./link";
import { igenForBuild } from "./igen";
import { foreignRecipes, readRecipe } from "./foreign";

export interface BuildOptions {
  entry: string;
  out?: string;
  debug?: boolean;
  root: string;
  initialPages?: number;
  maximumPages?: number;
  passes?: LinkOptions["passes"];
  optimize?: boolean;
  defines?: Record<string, string>;
  trace?: boolean;                 // compile the trace points in (AAM_TRACE)
}

export interface Built {
  wasm: Uint8Array;
  manifest: Manifest;
  out?: string;
  sources?: Map<string, string | null>;   // every file asc asked for: its text, null if absent (cache.ts)
}

export async function build(o: BuildOptions): Promise<Built> {
  const debug = !!o.debug || o.defines?.AAM_DEBUG !== undefined;   // --debug, or its define given directly
  const trace = !!o.trace || o.defines?.AAM_TRACE !== undefined;   // likewise --trace
  igenForBuild(o.entry);                             // the program's machine interfaces first
  const c = await compile({
    entry: o.entry, root: o.root, debug,
    initialPages: o.initialPages ?? 64, maximumPages: o.maximumPages ?? 16384,
    defines: trace ? { AAM_TRACE: "1", ...o.defines } : o.defines,
  });
  const l = link(c.wasm, {
    debug, optimize: o.optimize ?? true, passes: o.passes, trace,
    // sourceBase and runtime: where the file names in the image's abort messages are relative to
    // (tools/host/symbols.ts sourcePath turns them into paths a terminal can open)
    // foreign: the foreign modules the program imports (a foreign.json beside a file asc read);
    // built by cache.ts after the image (tools/build/foreign.ts), loaded by the hosts by name
    manifestExtra: { foreign: foreignRecipes([...c.sources].filter(([, t]) => t !== null).map(([f]) => f)).map((d) => ({ name: readRecipe(d).name, recipe: d })), entrySource: path.relative(o.root, path.resolve(o.entry)), ascFlags: c.flags, sourceBase: c.base, runtime: path.resolve(o.root, "runtime") },
  });
  if (o.out) {
    fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
    fs.writeFileSync(o.out, l.wasm);
    fs.writeFileSync(o.out + ".json", JSON.stringify(l.manifest, null, 2) + "\n");
  }
  return { wasm: l.wasm, manifest: l.manifest, out: o.out, sources: c.sources };
}

export { BuildError };
