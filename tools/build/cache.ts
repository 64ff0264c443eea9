// cache.ts: the image cache. A build whose inputs are all unchanged reads its image back instead of
// compiling it again: `aam build`, `run`, `trace`, `boot` and `image` all go through cachedBuild,
// and so do the tests (tests/lib/aam.mjs builds with `aam build`).
//
// Owns: the key, the layout under build/image-cache/, lookup, store and eviction. Not: building
// (build.ts, loaded only on a miss: asc and binaryen take ~1 s to load alone).
//
// The key, in two parts (as ccache's direct mode):
//  1. `key`: a hash of everything known before compiling: the entry's absolute path and the
//     repository's, the build options (debug, trace, defines, memory, passes, optimise), the
//     versions of assemblyscript, binaryen and wabt, the build tools' own source (tools/build/,
//     tools/host/abi.ts, tools/host/manifest.ts), every file of runtime/ (abi.json with it) and
//     the environment variables the build reads (BUILD_ENV; AAM_LINK_DUMP and AAM_ASYNCIFY_WHY,
//     whose point is what a build writes besides the image, turn the cache off).
//  2. the entry's `deps`: every file asc asked for while compiling (the program, each file it
//     imports, generated _igen files, the runtime files reached as "aam"), with the hash of the
//     text asc was given, and every file asc looked for and did not find (a file created there
//     later can change what an import resolves to). A lookup re-hashes them; one differs: miss.
// The program's IDL files are not in the key: the build runs igen before the lookup
// (tools/build/igen.ts writes an output only when its text changes), and asc reads the generated
// files, so they are deps.
//
// Layout (build/image-cache/, or $AAM_CACHE_DIR):
//   <key>.json          {format, key, entry, deps: [[file, sha256 | null]], wasm: <sha>, manifest}
//   <sha>.wasm          the image, named by the sha-256 of its bytes (content-addressed)
// One entry per key: a build with other deps replaces it.
//
// Concurrency: every file is written under a name of its own (`.tmp-<pid>-<n>`) and renamed into
// place, so a reader sees a whole file or none; the .wasm is renamed before the .json that names
// it. Two processes building the same key both build and both rename; the last .json wins and
// each .json names a whole image. A reader checks the image's hash against its name.
//
// Eviction: after each store, while the folder holds more than $AAM_CACHE_MB (default 256) MiB,
// images no entry names go first (an entry rebuilt under its key, e.g. after a dependency changed,
// leaves its old image unnamed), then the least recently used entry (a hit touches its .json).
// Under the bound, unnamed images and temporary files are removed once older than a minute (a
// writer may be between its two renames); over it an unnamed image goes at once: a writer that
// loses its image that way finds its entry without one and builds again (lookup: a miss).

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { BuildOptions, Built } from "./build";
import type { Manifest } from "./link";
import { makeDirs, writeAtomic } from "./files";

const FORMAT = "aam-image-cache/1";
const TOOL_PACKAGES = ["assemblyscript", "binaryen", "wabt"];
const TOOL_SOURCES = ["tools/build", "tools/host/abi.ts", "tools/host/manifest.ts"];
const STALE_MS = 60_000;
// Environment variables that change what a build makes (tools/build/link.ts reads them): part of
// the key. Any other process.env read in tools/build/ must be added here (or turn the cache off).
const BUILD_ENV = ["AAM_LINK_ACTIVE_DATA", "AAM_CLANG", "AAM_WASM_LD"];

export interface CacheOptions {
  dir?: string;          // default $AAM_CACHE_DIR or <root>/build/image-cache
  force?: boolean;       // --no-cache: build even when an entry matches (and store the new image)
}

export interface CachedBuilt extends Built {
  cache: "hit" | "miss";
  key: string;
  ms: number;            // time spent in lookup (hit) or lookup + build + store (miss)
}

interface Entry { format: string; key: string; entry: string; deps: [string, string | null][]; wasm: string; manifest: Manifest }

const sha = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");

export function cacheDir(root: string, o: CacheOptions = {}): string {
  return path.resolve(o.dir ?? process.env.AAM_CACHE_DIR ?? path.join(root, "build/image-cache"));
}

// Every file under `p` (or `p` itself), in name order: its path relative to root and its bytes.
function hashTree(h: ReturnType<typeof createHash>, root: string, p: string): void {
  const abs = path.join(root, p);
  const st = fs.statSync(abs);
  if (!st.isDirectory()) { h.update(`${p}\0`).update(fs.readFileSync(abs)).update("\0"); return; }
  for (const name of fs.readdirSync(abs).sort()) hashTree(h, root, path.join(p, name));
}

/** Part 1 of the key: what is known before compiling (see the header). */
export function imageKey(o: BuildOptions): string {
  const root = path.resolve(o.root);
  const h = createHash("sha256");
  const defines = Object.entries(o.defines ?? {}).sort(([a], [b]) => a.localeCompare(b));
  h.update(JSON.stringify({
    format: FORMAT, entry: path.resolve(o.entry), root,
    debug: !!o.debug, trace: !!o.trace, defines, initialPages: o.initialPages ?? null, maximumPages: o.maximumPages ?? null,
    optimize: o.optimize ?? null, passes: o.passes ?? null,
    env: BUILD_ENV.map((k) => process.env[k] ?? null),
    versions: TOOL_PACKAGES.map((p) => {
      try { return JSON.parse(fs.readFileSync(path.join(root, "node_modules", p, "package.json"), "utf8")).version; } catch { return null; }
    }),
  }));
  for (const p of [...TOOL_SOURCES, "runtime"]) hashTree(h, root, p);
  return h.digest("hex").slice(0, 32);
}

function readText(file: string): string | null {
  try { return fs.readFileSync(file, "utf8"); } catch { return null; }
}

// The entry for `key` if every dep still has the text it was built from, and its image.
function lookup(dir: string, key: string): { entry: Entry; wasm: Uint8Array } | null {
  const metaFile = path.join(dir, `${key}.json`);
  let entry: Entry;
  try { entry = JSON.parse(fs.readFileSync(metaFile, "utf8")); } catch { return null; }
  if (entry.format !== FORMAT || entry.key !== key) return null;
  for (const [file, hash] of entry.deps) {
    const text = readText(file);
    if ((text === null ? null : sha(text)) !== hash) return null;
  }
  let wasm: Uint8Array;
  try { wasm = fs.readFileSync(path.join(dir, `${entry.wasm}.wasm`)); } catch { return null; }   // evicted meanwhile
  if (sha(wasm) !== entry.wasm) return null;
  try { const now = new Date(); fs.utimesSync(metaFile, now, now); } catch { /* evicted meanwhile */ }
  return { entry, wasm };
}

function store(dir: string, key: string, entryFile: string, b: Built): void {
  const deps = [...(b.sources ?? new Map<string, string | null>())].sort(([a], [b2]) => a.localeCompare(b2))
    .map(([file, text]): [string, string | null] => [file, text === null ? null : sha(text)]);
  const wasmSha = sha(b.wasm);
  const entry: Entry = { format: FORMAT, key, entry: entryFile, deps, wasm: wasmSha, manifest: b.manifest };
  makeDirs(dir);
  const wasmFile = path.join(dir, `${wasmSha}.wasm`);
  writeAtomic(wasmFile, b.wasm);                    // even if there: a whole, fresh file (evict() spares it)
  writeAtomic(path.join(dir, `${key}.json`), JSON.stringify(entry));
  evict(dir, `${key}.json`);
}

/** Remove least recently used entries while the folder is over its bound (see the header); the
 *  entry `keep` (the one just stored) stays. */
export function evict(dir: string, keep: string, maxBytes = Number(process.env.AAM_CACHE_MB ?? 256) * 2 ** 20): void {
  const now = Date.now();
  const files = fs.readdirSync(dir).flatMap((name) => {
    try { const st = fs.statSync(path.join(dir, name)); return [{ name, size: st.size, mtime: st.mtimeMs }]; } catch { return []; }
  });
  let total = files.reduce((n, f) => n + f.size, 0);
  const metas = files.filter((f) => f.name.endsWith(".json")).sort((a, b) => a.mtime - b.mtime);
  const named = new Map<string, number>();          // image file → entries naming it
  const imageOf = new Map<string, string>();
  for (const m of metas) {
    try {
      const w = `${JSON.parse(fs.readFileSync(path.join(dir, m.name), "utf8")).wasm}.wasm`;
      imageOf.set(m.name, w);
      named.set(w, (named.get(w) ?? 0) + 1);
    } catch { /* replaced or removed meanwhile */ }
  }
  const sizeOf = new Map(files.map((f) => [f.name, f.size]));
  const drop = (name: string): void => { fs.rmSync(path.join(dir, name), { force: true }); total -= sizeOf.get(name) ?? 0; };
  const unnamed = (f: { name: string }): boolean => f.name.endsWith(".wasm") && !named.get(f.name);
  for (const f of files) {
    if (unnamed(f) && total > maxBytes) drop(f.name);
    else if ((unnamed(f) || f.name.includes(".tmp-")) && now - f.mtime > STALE_MS) drop(f.name);
  }
  for (const m of metas) {
    if (total <= maxBytes) break;
    if (m.name === keep) continue;
    drop(m.name);
    const w = imageOf.get(m.name);
    if (w && named.get(w) === 1) drop(w);
    if (w) named.set(w, (named.get(w) ?? 1) - 1);
  }
}

/** Build `o`, or read its image back from the cache when nothing that goes into it changed. */
export async function cachedBuild(o: BuildOptions, c: CacheOptions = {}): Promise<CachedBuilt> {
  const t0 = performance.now();
  const dir = cacheDir(o.root, c);
  const { igenForBuild } = await import("./igen");
  igenForBuild(o.entry);                             // generated files first: they are deps
  const key = imageKey(o);
  const hit = c.force || process.env.AAM_LINK_DUMP || process.env.AAM_ASYNCIFY_WHY ? null : lookup(dir, key);
  let b: Built;
  if (hit) {
    b = { wasm: hit.wasm, manifest: hit.entry.manifest };
  } else {
    const { build } = await import("./build");      // asc and binaryen load only on a miss
    b = await build({ ...o, out: undefined });
    try { store(dir, key, path.resolve(o.entry), b); } catch (e) {   // a cache that takes no file: run without it
      process.stderr.write(`aam: image cache ${dir}: not stored (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})\n`);
    }
  }
  // The foreign modules the image uses (tools/build/foreign.ts): cached on their own, by content.
  const { buildForeignFor } = await import("./foreign");
  await buildForeignFor(o.root, b.manifest as { build?: Record<string, unknown> });
  if (o.out) {
    makeDirs(path.dirname(path.resolve(o.out)));
    writeAtomic(o.out, b.wasm);
    writeAtomic(o.out + ".json", JSON.stringify(b.manifest, null, 2) + "\n");
  }
  return { wasm: b.wasm, manifest: b.manifest, out: o.out, sources: b.sources, cache: hit ? "hit" : "miss", key, ms: performance.now() - t0 };
}
