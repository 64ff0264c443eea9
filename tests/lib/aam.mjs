// aam.mjs: test helpers. Run the `aam` CLI as a subprocess, with a timeout that turns a hang
// into a failure, and build test programs once per test process.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
export const AAM = path.join(ROOT, "tools/bin/aam.js");

/** A hang guard's default, only that: on a busy machine (CI, `make test-under-load`) a build or
 *  a run may take many times what it takes on an idle one, and a hang takes forever. */
export const HANG_MS = 300000;

/** Run `aam …args`; resolves {code, stdout, stderr, ms}. Kills it and rejects after timeoutMs.
 *  `user`: run as this uid/gid (the test process must be root), e.g. to meet permissions.
 *  `noDacOverride`: when the test runs as root, run aam as root without CAP_DAC_OVERRIDE and
 *  CAP_DAC_READ_SEARCH (setpriv), so that file permissions apply to it, while it can still read
 *  the checkout however the folders above it are protected (unlike another user).
 *  `input`: its stdin: a Buffer or string (through a pipe), or { file } (the file itself as fd 0,
 *  e.g. "/dev/null"); without it stdin is closed ("ignore"). `binary`: stdout as a Buffer. */
export function aam(args, { env = {}, timeoutMs = HANG_MS, cwd = ROOT, user, input, binary = false, noDacOverride = false } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const inFd = input?.file !== undefined ? fs.openSync(input.file, "r") : null;
    const stdin = inFd ?? (input === undefined ? "ignore" : "pipe");
    const dropDac = noDacOverride && process.getuid?.() === 0;
    const argv = dropDac ? ["setpriv", ["--bounding-set", "-dac_override,-dac_read_search", "--", process.execPath, AAM, ...args]] : [process.execPath, [AAM, ...args]];
    const p = spawn(argv[0], argv[1], { cwd, env: { ...process.env, ...env }, stdio: [stdin, "pipe", "pipe"], ...(user ?? {}) });
    if (inFd !== null) fs.closeSync(inFd);
    if (stdin === "pipe") {
      p.stdin.on("error", () => {});       // a program that stops reading early: EPIPE is no test failure
      p.stdin.end(input);
    }
    let stdout = binary ? [] : "", stderr = "";
    p.stdout.on("data", (d) => { if (binary) stdout.push(d); else stdout += d; });
    p.stderr.on("data", (d) => (stderr += d));
    // A hang: first SIGUSR2, to which a running system answers with what each core is doing
    // (tools/host/node.ts), then the kill; the error carries both outputs.
    let killer = null;
    const timer = setTimeout(() => {
      p.kill("SIGUSR2");
      killer = setTimeout(() => { p.kill("SIGKILL"); reject(new Error(`aam ${args.join(" ")} hung for ${timeoutMs} ms\n${binary ? "" : stdout}\n${stderr}`)); }, 3000);
    }, timeoutMs);
    p.on("close", (code, signal) => { clearTimeout(timer); if (killer) return; resolve({ code: code ?? 128, signal, stdout: binary ? Buffer.concat(stdout) : stdout, stderr, ms: Date.now() - t0 }); });
  });
}

const built = new Map();
/** Build a program (path relative to the repo) once per test process; returns the image path.
 *  `defines`: build-time constants ({AAM_RING_SLOTS: "4"}); `env`: environment of the build. */
export async function image(entry, { debug = false, env = {}, trace = false, defines = {} } = {}) {
  const key = `${entry}|${debug}|${trace}|${JSON.stringify(env)}|${JSON.stringify(defines)}`;
  if (built.has(key)) return built.get(key);
  const p = (async () => {
    const name = entry.replace(/[\/.]/g, "_") + (debug ? "-debug" : "") + (trace ? "-trace" : "") +
      (Object.keys(env).length ? "-" + Object.values(env).join("_") : "") +
      Object.entries(defines).map(([k, v]) => `-${k.replace(/^AAM_/, "").toLowerCase()}${v}`).join("");
    const out = path.join(ROOT, "build/test-images", name + ".wasm");
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const args = ["build", entry, "-o", out, ...(debug ? ["--debug"] : []), ...(trace ? ["--trace"] : []),
      ...Object.entries(defines).flatMap(([k, v]) => ["--define", `${k}=${v}`])];
    const r = await aam(args, { env });
    if (r.code !== 0) throw new Error(`build of ${entry} failed (${r.code}):\n${r.stderr}`);
    return out;
  })();
  built.set(key, p);
  p.catch(() => built.delete(key));
  return p;
}

/** Build several images two at a time (a suite's test.before): [entry, options] pairs. uvu counts
 *  a test.before that throws as every test of the file failed but prints nothing of it: the
 *  error is written to stderr here, so the log says which build failed and why. */
export async function prebuild(list) {
  const queue = [...list];
  const worker = async () => { for (let it; (it = queue.shift());) await image(it[0], it[1] ?? {}); };
  try {
    await Promise.all([worker(), worker()]);
  } catch (e) {
    process.stderr.write(`\nprebuild failed (every test of this file fails with it): ${e.stack ?? e}\n`);
    throw e;
  }
}

/** `aam image W.wasm -o W.elf`: an image's kernel ELF, which also fills the boot cache. The first
 *  one with a foreign machine compiles its wasm2c'd C (SQLite's: ~5 min at gcc -O2 on an idle
 *  machine, more beside other work), so its hang guard is four times the default. Throws with
 *  aam's stderr, and writes the error to stderr too: from a test.before, uvu prints nothing of it
 *  and every test of the file just fails. */
export async function kernelImage(wasm) {
  try {
    const r = await aam(["image", wasm, "-o", wasm.replace(/\.wasm$/, ".elf")], { timeoutMs: 4 * HANG_MS });
    if (r.code !== 0) throw new Error(`aam image ${wasm} failed (${r.code}):\n${r.stderr}`);
  } catch (e) {
    process.stderr.write(`\nkernelImage failed (every test that needs it fails): ${e.stack ?? e}\n`);
    throw e;
  }
}

/** Numbers after each label in a line like "ops 4000 corruptions 0". */
export function fields(line) {
  const out = {};
  const re = /([a-z][a-z0-9 -]*?) (-?\d+)/g;
  let m;
  while ((m = re.exec(line))) out[m[1].trim()] = Number(m[2]);
  return out;
}

/** Rows of the `--stats` table on stderr, as objects keyed by column header; plus the summary. */
export function statsTable(stderr) {
  const lines = stderr.split("\n");
  const h = lines.findIndex((l) => /^\s*core\s+tasks run/.test(l));
  if (h < 0) throw new Error(`no --stats table in:\n${stderr}`);
  const heads = lines[h].trim().split(/\s{2,}/);
  const rows = [];
  for (const l of lines.slice(h + 1)) {
    if (!/^\s*\d/.test(l)) break;
    const v = l.trim().split(/\s+/).map(Number);
    rows.push(Object.fromEntries(heads.map((k, i) => [k, v[i]])));
  }
  const sum = lines.find((l) => l.startsWith("contexts:")) ?? "";
  const m = /contexts: (\d+) in use, peak (\d+); peak blocked tasks (\d+); task records live (\d+)/.exec(sum);
  const summary = m ? { contextsInUse: +m[1], contextsPeak: +m[2], blockedPeak: +m[3], tasksLive: +m[4] } : null;
  return { rows, summary };
}

/** `t.before(fn)` whose failure is reported: an error thrown by fn fails every test of suite t
 *  with that error. uvu's runner drops an error thrown by a before hook (its `finally` returns),
 *  so a suite whose set-up failed printed "(0 / N)" and no reason (a fresh-clone run,
 *  2026-12-06: examples/echo.ts under QEMU, all 9 tests, no message; the same file passed alone). */
export function before(t, fn) {
  let err = null;
  t.before(async (s) => { try { await fn(s); } catch (e) { err = e; } });
  t.before.each(() => { if (err) throw err; });
}
