// layers.test.mjs: the image's sources keep their structure (docs/ARCHITECTURE.md §3): every
// import points to the same layer or one below, no import cycle spans more than two files, every
// import resolves to a file on disk through tsconfig.json (what an editor sees), and the files
// generated from data files are up to date.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import * as os from "node:os";
import { execFileSync, spawnSync } from "node:child_process";
import { ROOT, aam, HANG_MS } from "../lib/aam.mjs";

const ts = createRequire(import.meta.url)("typescript");

// Bottom to top; a file directly in runtime/ (index.ts, boot.ts, the entries) is the top layer.
const LAYERS = ["rt", "sys", "task", "sched", "machine", "dev", "service"];
const layerOf = (rel) => {
  const parts = rel.split("/");
  if (parts[0] !== "runtime") return null;
  return parts.length === 2 ? LAYERS.length : LAYERS.indexOf(parts[1]);
};

function walk(dir, out = []) {
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) walk(rel, out);
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(rel);
  }
  return out;
}

const IMPORT = /^\s*(?:import|export)\b[^"']*?from\s*["']([^"']+)["']/gm;
function importsOf(rel) {
  return [...fs.readFileSync(path.join(ROOT, rel), "utf8").matchAll(IMPORT)].map((m) => m[1]);
}

const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n")); } });
function resolve(spec, rel) {
  const r = ts.resolveModuleName(spec, path.join(ROOT, rel), config.options, ts.sys).resolvedModule;
  return r ? path.relative(ROOT, r.resolvedFileName) : null;
}

const runtime = walk("runtime");

test("every layer of runtime/ exists and every runtime file belongs to one", () => {
  for (const l of LAYERS) assert.ok(fs.existsSync(path.join(ROOT, "runtime", l, "README.md")), `runtime/${l}/README.md`);
  for (const f of runtime) assert.ok(layerOf(f) >= 0, `${f} is in no layer`);
});

test("every import of the image's sources resolves to a file on disk through tsconfig.json", () => {
  const files = [...runtime, ...["examples", "aams", "tools/bench/programs"].flatMap((d) => walk(d)),
    ...fs.readdirSync(path.join(ROOT, "tests")).flatMap((s) => fs.existsSync(path.join(ROOT, "tests", s, "programs")) ? walk(`tests/${s}/programs`) : [])];
  const bad = [];
  for (const f of files) for (const spec of importsOf(f)) if (!resolve(spec, f)) bad.push(`${f}: "${spec}"`);
  assert.equal(bad, [], bad.join("\n"));
  assert.ok(files.length > 60, `only ${files.length} files checked`);
});

// ARCHITECTURE.md: every atomic of the runtime and of the machines in aams/ goes through one
// module (runtime/rt/atomic.ts, re-exported as "aam/atomic"), whose helpers say what each access
// is; AssemblyScript's atomic.* builtins elsewhere bypass it. Comments do not count.
test("the runtime and aams/ use atomics only through rt/atomic.ts (no atomic.* builtin elsewhere)", () => {
  const bad = [];
  for (const f of [...runtime, ...walk("aams")]) {
    if (f === "runtime/rt/atomic.ts") continue;
    fs.readFileSync(path.join(ROOT, f), "utf8").split("\n").forEach((l, n) => {
      if (/\batomic\.(load|store|add|sub|and|or|xor|xchg|cmpxchg|wait|notify|fence)\b/.test(l.replace(/\/\/.*$/, ""))) bad.push(`${f}:${n + 1}: ${l.trim()}`);
    });
  }
  assert.equal(bad, [], bad.join("\n"));
});

test("no runtime module imports a layer above its own", () => {
  const bad = [];
  for (const f of runtime) {
    for (const spec of importsOf(f)) {
      const to = resolve(spec, f);
      if (!to || !to.startsWith("runtime/")) continue;      // assemblyscript's own library
      if (layerOf(to) > layerOf(f)) bad.push(`${f} (${LAYERS[layerOf(f)] ?? "top"}) imports ${to} (${LAYERS[layerOf(to)] ?? "top"})`);
    }
  }
  assert.equal(bad, [], bad.join("\n"));
});

test("no import cycle among the runtime's modules spans more than two files", () => {
  const graph = new Map(runtime.map((f) => [f, importsOf(f).map((s) => resolve(s, f)).filter((t) => runtime.includes(t))]));
  // Tarjan's strongly connected components
  let n = 0; const idx = new Map(), low = new Map(), st = [], on = new Set(); let worst = [];
  const visit = (v) => {
    idx.set(v, n); low.set(v, n); n++; st.push(v); on.add(v);
    for (const w of graph.get(v)) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const c = []; let w;
      do { w = st.pop(); on.delete(w); c.push(w); } while (w !== v);
      if (c.length > worst.length) worst = c;
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  assert.ok(worst.length <= 2, `cycle of ${worst.length}: ${worst.join(", ")}`);
});

test("the generated sources are up to date with their data files (aam gen --check)", async () => {
  const r = await aam(["gen", "--check"]);
  assert.is(r.code, 0, r.stderr);
});

// A copy of the checkout (its tracked files, the bundled tools, node_modules linked) to spoil a
// generated file in: the checkout's own copy must not change while other suites build from it
// (make test runs two suites at a time; a build beside this test once saw the stale file).
function scratchTree() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aam-gen-"));
  const files = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT }).toString().split("\0").filter(Boolean);
  for (const f of files) {
    const src = path.join(ROOT, f);
    if (!fs.existsSync(src)) continue;
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(src, path.join(dir, f));
  }
  fs.cpSync(path.join(ROOT, "build/tools"), path.join(dir, "build/tools"), { recursive: true });   // after the sources: not stale
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}
const aamIn = (dir, args) => spawnSync(process.execPath, [path.join(dir, "tools/bin/aam.js"), ...args], { cwd: dir, encoding: "utf8", timeout: HANG_MS });

test("aam gen --check names a stale generated file and fails; aam gen rewrites it", () => {
  const dir = scratchTree();
  try {
    const file = path.join(dir, "runtime/sys/trace_events.ts");
    const good = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, good.replace("= 1;", "= 99;"));
    const r = aamIn(dir, ["gen", "--check"]);
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, "runtime/sys/trace_events.ts is out of date with runtime/trace-events.json: run `make gen`");
    const b = aamIn(dir, ["build", "examples/hello.ts", "-o", "build/stale-gen.wasm"]);
    assert.is(b.status, 1, b.stderr);
    assert.match(b.stderr, "runtime/sys/trace_events.ts is out of date with runtime/trace-events.json");
    const w = aamIn(dir, ["gen"]);
    assert.is(w.status, 0, w.stderr);
    assert.is(fs.readFileSync(file, "utf8"), good);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
