// compile.ts: step 1 of the build, AssemblyScript source → unoptimised wasm with debug names.
//
// Owns: the asc invocation (flags, the virtual entry that joins a program to runtime/boot.ts,
// the library files that replace asc's runtime, the patch that makes number formatting per-core)
// and the mapping of `import … from "aam"` to runtime/.
// Not: anything done to the binary afterwards (link.ts), optimisation (link.ts runs binaryen's
// -O3 after the post-link passes, so that Asyncify and friends see unoptimised, named code).

import * as fs from "node:fs";
import * as path from "node:path";
import asc from "assemblyscript/dist/asc.js";
import { MEMORY_BASE } from "../host/abi";
import { imageOutputs, staleMessage } from "./abi.mjs";
import { checkDefines } from "./defines";
import { explainAsc } from "./diagnostics";
import { sourcePath } from "../host/symbols";
export const GLUE_NAME = "__aam_entry__.ts";

export interface CompileOptions {
  entry: string;            // path of the program's entry .ts
  root: string;             // project root (holds runtime/)
  debug: boolean;           // AAM_DEBUG invariant checks on
  initialPages: number;
  maximumPages: number;
  defines?: Record<string, string>;   // compile-time constants (--use NAME=VALUE), checked against defines.ts
}

export interface CompileResult {
  wasm: Uint8Array;
  flags: string[];
  warnings: string;
  base: string;                              // asc's --baseDir: its file names are relative to it
  sources: Map<string, string | null>;       // every file asc asked for, with its text (null: absent)
}

export class BuildError extends Error { name = "BuildError"; }

// The virtual entry: `aam_main` runs the boot sequence with the program's percore/main/machines.
// Each export's check and call sit on a line of their own, GLUE_EXPORTS[name].line (1-based): an
// error asc reports on that line means the program exports the name with another type (or, for
// main, not at all), and diagnostics.ts says so at the program's file in one sentence.
// The check is a typed `const` (the call stays direct); it puts the function in the table, a few
// bytes. Rejected: isFunction(x)/isVoid(x) (they compile their argument: a table entry and a call
// all the same), ReturnType<typeof x> (asc has no typeof in types), a transform reading asc's
// Program after initialisation (tied to the compiler's internals).
export const GLUE_EXPORTS: Record<string, { line: number; type: string }> = {
  percore: { line: 3, type: "function percore(): void" },
  main: { line: 4, type: "function main(): i32" },
  machines: { line: 5, type: "function machines(): void" },
};
function glue(entryImport: string, bootImport: string, trace: boolean): string {
  return [
    `import * as program from "${entryImport}";`,
    `import { boot, recover, runInline${trace ? ", traceFlush" : ""} } from "${bootImport}";`,
    `function percore(): void { if (isDefined(program.percore)) { const f: () => void = program.percore; program.percore(); } }`,
    `function main(): i32 { if (isDefined(program.main)) { const f: () => i32 = program.main; return program.main(); } else { ERROR("no main"); return 1; } }`,
    `function machines(): void { if (isDefined(program.machines)) { const f: () => void = program.machines; program.machines(); } }`,
    `export function aam_main(): i32 { return boot(percore, main, machines); }`,
    `export function aam_resume(): i32 { return recover(); }`,
    `export function aam_inline(op: u32, t: u32, j: u32): void { runInline(op, t, j); }`,
    // --trace: the host calls it on the core that trapped, before it reads the rings
    ...(trace ? [`export function aam_trace_flush(): void { traceFlush(); }`] : []),
    ``,
  ].join("\n");
}

// util/number keeps its dtoa digits in one static buffer, shared by all cores through the shared
// memory: replace it with the calling core's scratch area (rt/index.ts __aam_scratch).
function patchNumber(src: string): string {
  const from = "@lazy @inline const dtoa_buf = memory.data(MAX_DOUBLE_LENGTH << 1);";
  if (!src.includes(from)) throw new BuildError("build: assemblyscript's util/number.ts changed; the per-core dtoa buffer patch no longer applies");
  return src.replace(from, "@lazy const dtoa_buf: usize = __aam_scratch();");
}

let libraryReady = false;
function registerLibrary(root: string): void {
  if (libraryReady) return;
  const lib = asc.libraryFiles as Record<string, string>;
  const rtDir = path.join(root, "runtime", "rt");
  for (const f of fs.readdirSync(rtDir)) {
    if (!f.endsWith(".ts")) continue;
    const name = f === "index.ts" ? "rt/index-stub" : `rt/${f.slice(0, -3)}`;
    if (f !== "index.ts" && lib[name] !== undefined) throw new BuildError(`build: runtime/rt/${f} would replace assemblyscript's own ~lib/${name}`);
    lib[name] = fs.readFileSync(path.join(rtDir, f), "utf8");
  }
  lib["util/number"] = patchNumber(lib["util/number"]);
  libraryReady = true;
}

function commonDir(a: string, b: string): string {
  const pa = a.split(path.sep), pb = b.split(path.sep);
  let i = 0;
  while (i < pa.length && i < pb.length && pa[i] === pb[i]) i++;
  return pa.slice(0, i).join(path.sep) || path.sep;
}

function importPath(fromDir: string, file: string): string {
  let rel = path.relative(fromDir, file).replace(/\\/g, "/").replace(/\.ts$/, "");
  if (!rel.startsWith(".")) rel = "./" + rel;
  return rel;
}

export async function compile(opts: CompileOptions): Promise<CompileResult> {
  // First: a value the image cannot work with stops the build here, not at run time (defines.ts).
  const defines = { ...checkDefines(opts.defines ?? {}), ...(opts.debug ? { AAM_DEBUG: "1" } : {}) };
  const entry = path.resolve(opts.entry);
  if (!fs.existsSync(entry)) throw new BuildError(`build: ${opts.entry}: no such file`);
  const stale = staleMessage(opts.root, imageOutputs(opts.root));   // what the image compiles
  if (stale) throw new BuildError(`build: ${stale}`);
  registerLibrary(opts.root);
  const runtimeDir = path.join(opts.root, "runtime");
  const base = commonDir(path.dirname(entry), opts.root);
  // The runtime is always reached as the package "aam" (→ ~lib/aam/…), by the glue as by programs:
  // importing it by a disk path as well would compile a second copy with its own globals.
  const glueSrc = glue(importPath(base, entry), "aam/boot", defines.AAM_TRACE !== undefined);
  const flags = [
    "--runtime", "stub", "--enable", "threads",
    "--importMemory", "--sharedMemory",
    "--initialMemory", String(opts.initialPages), "--maximumMemory", String(opts.maximumPages),
    "--memoryBase", String(MEMORY_BASE),
    "--exportStart", "__aam_as_start",
    "--use", "abort=~lib/rt/trap/abortHandler",
    "--use", "seed=~lib/rt/index-stub/__aam_seed",
    "--debug", "--noColors",
  ];
  for (const [k, v] of Object.entries(defines)) flags.push("--use", `${k}=${v}`);
  const out: Record<string, Uint8Array | string> = {};
  const sources = new Map<string, string | null>();
  const stderr = asc.createMemoryStream();
  const stdout = asc.createMemoryStream();
  const res = await asc.main([GLUE_NAME, "--outFile", "image.wasm", "--baseDir", base, ...flags], {
    stdout, stderr,
    readFile: (name: string, dir: string) => {
      if (name === GLUE_NAME) return glueSrc;
      const m = /(?:^|\/)node_modules\/aam\/(.*)$/.exec(name);   // import … from "aam"
      const file = m ? path.join(runtimeDir, m[1]) : path.resolve(dir, name);
      let text: string | null;
      try { text = fs.readFileSync(file, "utf8"); } catch { text = null; }
      sources.set(file, text);
      return text;
    },
    writeFile: (name: string, data: Uint8Array | string) => { out[name] = data; },
    listFiles: () => [],
  });
  const text = stderr.toString();
  if (res.error || !out["image.wasm"]) {
    const roots = { base, runtime: runtimeDir };
    const e = explainAsc(text, { roots, glueName: GLUE_NAME, entry: sourcePath(path.relative(base, entry), roots), exports: GLUE_EXPORTS });
    throw new BuildError(e.glueOnly ? e.text : `build: asc failed for ${opts.entry}\n${e.text}`);
  }
  return { wasm: out["image.wasm"] as Uint8Array, flags, warnings: text, base, sources };
}
