// foreign.ts: the build step of foreign machines: C libraries compiled to wasm32 with a memory of
// their own, run beside the system image (docs/ARCHITECTURE.md "Foreign machines").
//
// Owns: reading a recipe (aams/NAME/foreign.json), fetching its pinned sources from the npm
// registry with the tarball's checksum verified, compiling them with clang (wasm32-wasi), linking
// the two variants (Node: a shared memory, so that every core's instance sees one heap; QEMU: a
// plain memory that every core's wasm2c instance points to), and the cache of every step under
// build/foreign/, keyed by content: a build whose sources, flags and tools are unchanged runs no
// compiler. Not: running a module (tools/host/worker.ts, boot/foreign.c), translating it for
// the kernel (tools/boot/foreign.ts).
//
// Steps, each cached by the hash of its inputs:
//  1. fetch: `npm pack PACKAGE@VERSION` into build/foreign/pack/; the tarball's sha512 must be the
//     recipe's `integrity` (npm's own `dist.integrity` format), else the build stops; the recipe's
//     `dir` is extracted into build/foreign/src/<integrity hash>/ (never into the repository);
//  2. compile: every source (the pinned ones, the machine's glue, tools/build/foreign/aam_foreign.c)
//     → build/foreign/obj/<hash of clang's version, flags, the file and every header beside it>.o;
//  3. link: wasm-ld → build/foreign/wasm/<hash of the objects and flags>.{node,plain}.wasm.
// Recipe (foreign.json): { name, package, integrity, dir, sources: [files in dir], glue: [files
// beside the recipe], cflags, exports: [task functions], memory: { initialMiB, maximumMiB },
// stackKiB, licence, origin }.

import { createHash } from "node:crypto";
import { spawnSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeDirs, sweepTmp } from "./files";

export interface Recipe {
  name: string;
  package: string;
  integrity: string;
  dir: string;
  sources: string[];
  glue: string[];
  cflags?: string[];
  exports: string[];
  memory: { initialMiB: number; maximumMiB: number };
  stackKiB: number;
  kernelOpt?: string;    // gcc's -O for the QEMU host's object (default -O2; SQLite: -O1, minutes less)
  licence: string;
  origin: string;
}

export interface ForeignBuilt {
  name: string;
  recipeDir: string;
  node: string;          // the .wasm with a shared memory (Node host)
  plain: string;         // the .wasm with a plain memory (wasm2c, QEMU host)
  exports: string[];     // aam_foreign_* first, then the recipe's tasks
  key: string;           // hash of everything above
  ms: number;            // time this call took
  cached: boolean;       // no compiler ran
}

export class ForeignError extends Error { name = "ForeignError"; }

const CLANG = process.env.AAM_CLANG ?? "clang-19";
const WASM_LD = process.env.AAM_WASM_LD ?? "wasm-ld-19";
const SYSROOT_LIB = "/usr/lib/wasm32-wasi";
const BUILTINS = "/usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a";
const GLUE = "tools/build/foreign";            // aam_foreign.{h,c}, relative to the repository
// Verified flags (FACTS "Foreign machines"): atomics + bulk memory so that the Node variant can
// link a shared memory; wasi-libc here is single-threaded, hence `_Thread_local` emptied (errno
// stays one word) and every call into a module serialised by the runtime.
const CFLAGS = ["--target=wasm32-wasi", "-O2", "-matomics", "-mbulk-memory", "-fno-jump-tables", "-D_Thread_local=",
  "-Wno-deprecated-non-prototype"];
export const FOREIGN_RUNTIME_EXPORTS = ["aam_foreign_alloc", "aam_foreign_free", "aam_foreign_error"];

/** The recipe in `dir` (aams/NAME), checked. */
export function readRecipe(dir: string): Recipe {
  const file = path.join(dir, "foreign.json");
  let r: Recipe;
  try { r = JSON.parse(fs.readFileSync(file, "utf8")) as Recipe; } catch (e) {
    throw new ForeignError(`${file}: ${(e as Error).message}`);
  }
  for (const k of ["name", "package", "integrity", "dir", "licence", "origin"] as const) {
    if (typeof r[k] !== "string" || !r[k]) throw new ForeignError(`${file}: "${k}" must be a non-empty string`);
  }
  if (!/^[a-z][a-z0-9_]*$/.test(r.name)) throw new ForeignError(`${file}: name must be [a-z][a-z0-9_]*`);
  if (!/^sha512-/.test(r.integrity)) throw new ForeignError(`${file}: integrity must be npm's sha512-… of the tarball`);
  if (!Array.isArray(r.sources) || !Array.isArray(r.glue) || !Array.isArray(r.exports) || !r.exports.length) throw new ForeignError(`${file}: sources, glue and exports must be lists`);
  return r;
}

function sha(...parts: (string | Uint8Array)[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 32);
}

let toolVersion: string | null = null;
function clangVersion(): string {
  if (toolVersion === null) {
    const r = spawnSync(CLANG, ["--version"], { encoding: "utf8" });
    if (r.status !== 0) throw new ForeignError(`${CLANG} is not installed (tools/system-deps.sh installs clang-19, lld-19, wasi-libc)`);
    const l = spawnSync(WASM_LD, ["--version"], { encoding: "utf8" });
    if (l.status !== 0) throw new ForeignError(`${WASM_LD} is not installed (tools/system-deps.sh)`);
    toolVersion = r.stdout.split("\n")[0] + " / " + l.stdout.trim();
  }
  return toolVersion;
}

/** The folder of recipe `recipeDir`'s pinned sources (fetched and verified once): for baselines
 *  that build the same library natively (tools/bench/zlib.ts). */
export function foreignSources(root: string, recipeDir: string): string { return fetchSources(root, readRecipe(recipeDir)); }

// Step 1: the pinned sources, fetched once per integrity and verified.
function fetchSources(root: string, r: Recipe): string {
  const dest = path.join(root, "build/foreign/src", sha(r.integrity));
  if (fs.existsSync(path.join(dest, ".verified"))) return path.join(dest, r.dir);
  // Two builds at once (test suites run side by side) must not see each other's half-written
  // files: each packs into a folder of its own and extracts into one; the first to finish wins.
  const pack = path.join(root, "build/foreign/pack");
  sweepTmp(pack);                                 // a killed build's half-done pack and extraction
  sweepTmp(path.dirname(dest));
  const packTmp = path.join(pack, `.tmp-${process.pid}`);
  makeDirs(packTmp);
  const p = spawnSync("npm", ["pack", r.package, "--pack-destination", packTmp, "--json", "--silent"], { encoding: "utf8" });
  if (p.status !== 0) throw new ForeignError(`npm pack ${r.package} failed: ${(p.stderr || p.stdout).trim().split("\n").slice(-3).join(" ")}`);
  const info = JSON.parse(p.stdout) as { filename: string }[];
  const tgz = path.join(pack, info[0].filename);
  fs.renameSync(path.join(packTmp, info[0].filename), tgz);
  fs.rmSync(packTmp, { recursive: true, force: true });
  const got = "sha512-" + createHash("sha512").update(fs.readFileSync(tgz)).digest("base64");
  if (got !== r.integrity) {
    fs.rmSync(tgz, { force: true });
    throw new ForeignError(`${r.package}: the tarball's checksum is ${got}, the recipe pins ${r.integrity}: refusing to build`);
  }
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  makeDirs(tmp);
  const x = spawnSync("tar", ["xzf", tgz, "-C", tmp, r.dir], { encoding: "utf8" });
  if (x.status !== 0) throw new ForeignError(`${tgz}: cannot extract ${r.dir}: ${x.stderr.trim()}`);
  fs.writeFileSync(path.join(tmp, ".verified"), `${r.package} ${r.integrity}\n`);
  if (!fs.existsSync(path.join(dest, ".verified"))) {
    fs.rmSync(dest, { recursive: true, force: true });      // an unverified leftover of a killed build
    try { fs.renameSync(tmp, dest); } catch (e) {
      if (!fs.existsSync(path.join(dest, ".verified"))) throw e;   // else another build just won
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  return path.join(dest, r.dir);
}

// The headers a source may include: every .h in its include folders (a header change recompiles).
function headersHash(dirs: string[]): string {
  const h = createHash("sha256");
  for (const d of dirs) {
    for (const f of fs.readdirSync(d).filter((n) => n.endsWith(".h")).sort()) h.update(f).update(fs.readFileSync(path.join(d, f)));
  }
  return h.digest("hex");
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => { err += d; });
    p.on("error", (e) => reject(new ForeignError(`${cmd}: ${e.message}`)));
    p.on("close", (code) => code === 0 ? resolve() : reject(new ForeignError(`${cmd} ${args.join(" ")}\n${err.trim()}`)));
  });
}

// At most `n` compilers at once (the machine may have 2 CPUs, shared).
async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

interface Plan {
  r: Recipe;
  flags: string[];
  objs: { f: string; o: string }[];
  ldFlags: string[];
  out: { node: string; plain: string };
  exports: string[];
  key: string;
}

// Every file name a build would produce, from the sources' contents (fetching them if needed).
function plan(root: string, recipeDir: string): Plan {
  const r = readRecipe(recipeDir);
  const src = fetchSources(root, r);
  const tools = clangVersion();
  const glueDir = path.join(root, GLUE);
  const incs = [src, recipeDir, glueDir];
  const flags = [...CFLAGS, ...(r.cflags ?? []), ...incs.map((d) => `-I${d}`)];
  const hdrs = headersHash(incs);
  const files = [...r.sources.map((f) => path.join(src, f)), ...r.glue.map((f) => path.join(recipeDir, f)), path.join(glueDir, "aam_foreign.c")];
  const objDir = path.join(root, "build/foreign/obj");
  const objs = files.map((f) => {
    if (!fs.existsSync(f)) throw new ForeignError(`${recipeDir}/foreign.json: no source ${f}`);
    // flags without the include paths: the same file in another checkout hashes the same
    return { f, o: path.join(objDir, sha(tools, JSON.stringify([...CFLAGS, ...(r.cflags ?? [])]), path.basename(f), fs.readFileSync(f), hdrs) + ".o") };
  });
  const exports = [...FOREIGN_RUNTIME_EXPORTS, ...r.exports];
  const ldFlags = [path.join(SYSROOT_LIB, "crt1-reactor.o"), ...objs.map((x) => x.o), `-L${SYSROOT_LIB}`, "-lc", BUILTINS,
    "--entry", "_initialize", "--import-memory", `--initial-memory=${r.memory.initialMiB << 20}`,
    `--max-memory=${r.memory.maximumMiB << 20}`, "-z", `stack-size=${r.stackKiB << 10}`,
    ...["_initialize", ...exports].map((e) => `--export=${e}`)];
  const key = sha(tools, JSON.stringify(ldFlags.map((f) => path.basename(f))), ...objs.map((x) => path.basename(x.o)));
  const wasmDir = path.join(root, "build/foreign/wasm");
  const out = { node: path.join(wasmDir, `${r.name}-${key}.node.wasm`), plain: path.join(wasmDir, `${r.name}-${key}.plain.wasm`) };
  return { r, flags, objs, ldFlags, out, exports, key };
}

/** The built module of the recipe in `recipeDir` if build/foreign/ has it (no compiler runs), else
 *  null. The Node host looks modules up this way: `aam build` built them. */
export function findForeign(root: string, recipeDir: string): ForeignBuilt | null {
  const t0 = performance.now();
  const p = plan(root, recipeDir);
  if (!fs.existsSync(p.out.node) || !fs.existsSync(p.out.plain)) return null;
  return { name: p.r.name, recipeDir, ...p.out, exports: p.exports, key: p.key, ms: performance.now() - t0, cached: true };
}

/** Build (or find in build/foreign/) the foreign module of the recipe in `recipeDir`. */
export async function buildForeign(root: string, recipeDir: string, o: { jobs?: number } = {}): Promise<ForeignBuilt> {
  const t0 = performance.now();
  const p = plan(root, recipeDir);
  makeDirs(path.dirname(p.objs[0].o));
  // a killed build's half-written objects and links (.tmp-PID, renamed only when complete)
  for (const d of new Set([...p.objs.map((x) => path.dirname(x.o)), path.dirname(p.out.node), path.dirname(p.out.plain)])) sweepTmp(d);
  const todo = p.objs.filter((x) => !fs.existsSync(x.o));
  await pool(todo, o.jobs ?? 2, async (x) => {
    const tmp = `${x.o}.tmp-${process.pid}`;
    await run(CLANG, [...p.flags, "-c", x.f, "-o", tmp]);
    fs.renameSync(tmp, x.o);
  });
  makeDirs(path.dirname(p.out.node));
  let linked = false;
  for (const [file, extra] of [[p.out.node, ["--shared-memory", "--no-check-features"]], [p.out.plain, []]] as const) {
    if (fs.existsSync(file)) continue;
    const tmp = `${file}.tmp-${process.pid}`;
    await run(WASM_LD, [...p.ldFlags, ...extra, "-o", tmp]);
    fs.renameSync(tmp, file);
    linked = true;
  }
  return { name: p.r.name, recipeDir, ...p.out, exports: p.exports, key: p.key, ms: performance.now() - t0, cached: !todo.length && !linked };
}

/** The recipe folders a program uses: the folder of every source file asc read that holds a
 *  foreign.json (build.ts records them in the manifest as `foreign`). */
export function foreignRecipes(sources: Iterable<string>): string[] {
  const dirs = new Set<string>();
  for (const f of sources) {
    const d = path.dirname(path.resolve(f));
    if (fs.existsSync(path.join(d, "foreign.json"))) dirs.add(d);
  }
  return [...dirs].sort();
}

/** The recipe folders an image's manifest names (build.foreign, absolute paths). */
export function manifestRecipes(m: { build?: Record<string, unknown> }): string[] {
  const list = m.build?.foreign;
  return Array.isArray(list) ? (list as { recipe: string }[]).map((e) => e.recipe) : [];
}

/** `aam build`'s foreign step: build every foreign module the manifest names (cached). */
export async function buildForeignFor(root: string, m: { build?: Record<string, unknown> }): Promise<ForeignBuilt[]> {
  const out: ForeignBuilt[] = [];
  for (const d of manifestRecipes(m)) {
    const b = await buildForeign(root, d);
    // a compiler ran: say so once (the first build of SQLite takes minutes); a cached one is silent
    if (!b.cached) process.stderr.write(`aam: foreign module ${b.name} built in ${(b.ms / 1000).toFixed(1)} s (${path.relative(root, b.node)})\n`);
    out.push(b);
  }
  return out;
}

