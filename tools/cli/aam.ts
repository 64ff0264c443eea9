// aam.ts: the `aam` command line: build an image, run it on the Node host or boot it under QEMU.
//
// Owns: argument parsing, usage text, turning errors into one-line messages and exit statuses.
// Not: the work itself (tools/build/, tools/host/, tools/boot/, tools/trace/, igen/).

import * as fs from "node:fs";
import * as path from "node:path";
import { loadImage, runImage, defaultCores, formatStats, HostError } from "../host/node";
import { EXIT_HOST_ERROR, EXIT_USAGE, EXIT_BUILD_ERROR } from "../host/abi";
import { DEFINES, checkDefine } from "../build/defines";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..");

const USAGE = `usage:
  aam build <entry.ts> [-o image.wasm] [--debug] [--trace] [--define AAM_NAME=N ...]
      compile a program with the runtime into one system image (+ image.wasm.json manifest)
  aam run <entry.ts|image.wasm> [--cores N] [--stats] [--debug] [--trace] [--define AAM_NAME=N ...] [-- args...]
      run a system on the Node host, one worker per core (default: ${defaultCores()} cores)
  aam trace <entry.ts|image.wasm> [--cores N] [--host node|qemu [--com3]] [--stats] -o trace.json [--html view.html] [-- args...]
      run (or boot) a --trace build and write the Chrome trace-event JSON (Perfetto, chrome://tracing)
      and optionally the self-contained timeline viewer (docs/TRACING.md); on QEMU the events come
      through a RAM log, or with --com3 all of them over the serial port COM3 (~5 us a byte under TCG)
  aam boot <entry.ts|image.wasm> [--cores N] [--stats] [--debug] [--define AAM_NAME=N ...] [-- args...]
      boot the system bare-metal under qemu-system-x86_64 -smp N (TCG); exits with the guest's status
  aam image <entry.ts|image.wasm> -o kernel.elf [--debug] [--define AAM_NAME=N ...]
      write the bootable kernel ELF only (QEMU command line: docs/BOOT.md)
  aam igen <file.idl>... [-o dir] [-I dir]...
      generate a machine interface's C header, JSON, AssemblyScript client and server and the
      host's TypeScript client (docs/igen.md); \`aam build\` runs it for the program's IDL files
  aam gen [--check]
      rewrite (--check: only compare, status 1 if one differs) the source files generated from
      runtime/abi.json and runtime/trace-events.json; the build refuses to run while one is stale
  aam bench [--quick] [--iterations N] [--json FILE] [--host node|qemu]
      the paper's Table 1 and 2 with baselines, throughput and footprint measured in the same run
      (markdown on stdout; docs/BENCHMARKS.md). \`aam bench sched\`: the local-task benchmark alone,
      plain and --trace alternating [--rounds N] times (default 5)
  --define AAM_NAME=N: a build-time constant, checked at build time (meaning, default and limits of
    each: docs/DEFINES.md): ${DEFINES.slice(0, 5).map((d) => d.name).join(", ")},
    ${DEFINES.slice(5).map((d) => d.name).join(", ")}
  --trace: compile the trace points in (without it the image has no trace code at all)
`;

class UsageError extends Error {}

interface Parsed { cmd: string; file?: string; out?: string; cores?: number; stats: boolean; debug: boolean; rest: string[]; defines: Record<string, string>; iterations?: number; json?: string; quick?: boolean; rounds?: number; host?: string; trace?: boolean; html?: string; com3?: boolean }

function parse(argv: string[]): Parsed {
  const p: Parsed = { cmd: argv[0] ?? "help", stats: false, debug: false, rest: [], defines: {} };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") { p.rest = argv.slice(i + 1); break; }
    if (a === "-o" || a === "--out") { p.out = need(argv, ++i, a); continue; }
    if (a === "--cores") {
      const v = need(argv, ++i, a);
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--cores takes a positive whole number, got '${v}'`);
      p.cores = Number(v);
      continue;
    }
    if (a === "--stats") { p.stats = true; continue; }
    if (a === "--rounds") {
      const v = need(argv, ++i, a);
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--rounds takes a whole number ≥ 1, got '${v}'`);
      p.rounds = Number(v);
      continue;
    }
    if (a === "--iterations") {
      const v = need(argv, ++i, a);
      if (!/^\d+$/.test(v) || Number(v) < 100) throw new UsageError(`--iterations takes a whole number ≥ 100, got '${v}'`);
      p.iterations = Number(v);
      continue;
    }
    if (a === "--json") { p.json = need(argv, ++i, a); continue; }
    if (a === "--quick") { p.quick = true; continue; }
    if (a === "--trace") { p.trace = true; continue; }
    if (a === "--html") { p.html = need(argv, ++i, a); continue; }
    if (a === "--com3") { p.com3 = true; continue; }
    if (a === "--host") {
      const v = need(argv, ++i, a);
      if (v !== "node" && v !== "qemu") throw new UsageError(`--host takes node or qemu, got '${v}'`);
      p.host = v;
      continue;
    }
    if (a === "--define" || a === "-D") {
      const v = need(argv, ++i, a);
      const m = /^([^=]+)=(.*)$/.exec(v);
      if (!m) throw new UsageError(`--define takes AAM_NAME=N, got '${v}'`);
      p.defines[m[1]] = checkDefine(m[1], m[2]);   // at once: also when the file is a built image (which ignores it)
      continue;
    }
    if (a === "--debug") { p.debug = true; continue; }
    if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    if (p.file) throw new UsageError(`unexpected argument ${a} (program arguments go after --)`);
    p.file = a;
  }
  return p;
}

function need(argv: string[], i: number, flag: string): string {
  if (i >= argv.length) throw new UsageError(`${flag} needs a value`);
  return argv[i];
}

// The image's bytes, for the QEMU host: an .wasm as is (it carries its manifest), an .ts built.
async function imageBytes(p: Parsed): Promise<Uint8Array> {
  if (!p.file) throw new UsageError("missing <entry.ts|image.wasm>");
  if (!fs.existsSync(p.file)) throw new HostError(`${p.file}: no such file`);
  if (p.file.endsWith(".wasm")) return fs.readFileSync(p.file);
  if (!p.file.endsWith(".ts")) throw new UsageError(`${p.file}: expected an entry .ts or an image .wasm`);
  const { build } = await import("../build/build");
  return (await build({ entry: p.file, root: ROOT, debug: p.debug, defines: p.defines, trace: p.trace })).wasm;
}

async function imageFor(p: Parsed): Promise<{ module: WebAssembly.Module; manifest: any }> {
  if (!p.file) throw new UsageError("missing <entry.ts|image.wasm>");
  if (!fs.existsSync(p.file)) throw new HostError(`${p.file}: no such file`);
  if (p.file.endsWith(".wasm")) return loadImage(p.file);
  if (!p.file.endsWith(".ts")) throw new UsageError(`${p.file}: expected an entry .ts or an image .wasm`);
  const { build } = await import("../build/build");    // the compiler loads only when needed
  const b = await build({ entry: p.file, root: ROOT, debug: p.debug, defines: p.defines, trace: p.trace });
  return { module: new WebAssembly.Module(b.wasm), manifest: b.manifest };
}

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + "\n");
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "igen") {                            // its own options (-I); igen/main.ts parses them
    const { igenCli } = await import("../../igen/main");
    return igenCli(argv.slice(1));
  }
  if (argv[0] === "gen") {                             // aam gen [--check]
    const check = argv[1] === "--check";
    if (argv.length > (check ? 2 : 1)) throw new UsageError(`aam gen takes only --check, got '${argv.slice(1).join(" ")}'`);
    const { write, staleMessage } = await import("../build/abi.mjs");
    if (check) {
      const stale = staleMessage(ROOT);
      if (stale) process.stderr.write(`aam: ${stale}\n`);
      return stale ? 1 : 0;
    }
    const changed = write(ROOT);
    process.stderr.write(changed.length ? `aam: wrote ${changed.join(", ")}\n` : "aam: generated files up to date\n");
    return 0;
  }
  const p = parse(argv);
  switch (p.cmd) {
    case "build": {
      if (!p.file) throw new UsageError("missing <entry.ts>");
      const out = p.out ?? p.file.replace(/\.ts$/, "") + ".wasm";
      const { build } = await import("../build/build");
      const b = await build({ entry: p.file, out, root: ROOT, debug: p.debug, defines: p.defines, trace: p.trace });
      process.stderr.write(`aam: wrote ${out} (${b.wasm.length} bytes) and ${out}.json\n`);
      return 0;
    }
    case "run": {
      const img = await imageFor(p);
      const argv0 = path.basename(p.file!).replace(/\.(ts|wasm)$/, "");
      const r = await runImage({ ...img, cores: p.cores, stats: p.stats, args: [argv0, ...p.rest], env: { ...process.env } as Record<string, string> });
      if (r.stats) fs.writeSync(2, formatStats(r.stats));
      return r.code;
    }
    case "trace": {
      if (!p.out) throw new UsageError("aam trace needs -o trace.json");
      p.trace = true;
      const argv0 = path.basename(p.file ?? "").replace(/\.(ts|wasm)$/, "");
      let raw, code;
      if (p.com3 && p.host !== "qemu") throw new UsageError("--com3 is for --host qemu (the serial port the guest streams its trace over)");
      if ((p.host ?? "node") === "qemu") {
        const { bootTraced } = await import("../boot/boot");
        ({ raw, code } = await bootTraced(await imageBytes(p), { root: ROOT, cores: p.cores ?? defaultCores(), stats: p.stats, args: p.rest, log: !p.com3 }));
      } else {
        const img = await imageFor(p);
        if (!img.manifest.trace) throw new HostError(`${p.file}: the image was built without --trace (rebuild it with aam build --trace)`);
        const r = await runImage({ ...img, cores: p.cores, stats: p.stats, args: [argv0, ...p.rest], env: { ...process.env } as Record<string, string> });
        if (r.stats) fs.writeSync(2, formatStats(r.stats));
        raw = r.trace!;
        code = r.code;
      }
      const { toChrome, toHtml } = await import("../trace/index");
      const chrome = toChrome(raw);
      fs.mkdirSync(path.dirname(path.resolve(p.out)), { recursive: true });
      fs.writeFileSync(p.out, JSON.stringify(chrome));
      const events = raw.perCore.reduce((n: number, c: { events: unknown[] }) => n + c.events.length, 0);
      const lost = raw.perCore.reduce((n: number, c: { lost: number }) => n + c.lost, 0);
      const unpaired = chrome.otherData.unpaired_flows;
      process.stderr.write(`aam: wrote ${p.out} (${events} events from ${raw.cores} cores${lost ? `, ${lost} LOST: ring full; raise --define AAM_TRACE_SLOTS` : ", none lost"}` +
        `${unpaired ? `; ${unpaired} IMS without its other end: no arrow` : ""})\n`);
      if (p.html) {
        fs.mkdirSync(path.dirname(path.resolve(p.html)), { recursive: true });
        fs.writeFileSync(p.html, toHtml(chrome, { title: `aam trace: ${argv0}` }));
        process.stderr.write(`aam: wrote ${p.html}\n`);
      }
      return code;
    }
    case "boot": {
      const wasm = await imageBytes(p);
      const { bootImage } = await import("../boot/boot");  // QEMU host: loads only when used
      return await bootImage(wasm, { root: ROOT, cores: p.cores ?? defaultCores(), stats: p.stats, args: p.rest });
    }
    case "image": {
      if (!p.out) throw new UsageError("aam image needs -o kernel.elf");
      const wasm = await imageBytes(p);
      const { writeKernel } = await import("../boot/boot");
      const size = writeKernel(ROOT, wasm, p.out);
      process.stderr.write(`aam: wrote ${p.out} (${size} bytes); boot it with: qemu-system-x86_64 … -kernel ${p.out} (docs/BOOT.md)\n`);
      return 0;
    }
    case "bench": {
      if (p.file === undefined) {
        const { benchAll } = await import("../bench/run");
        const iterations = p.iterations ?? (p.quick ? 200 : 10000);
        const r = await benchAll({ root: ROOT, iterations, quick: !!p.quick, host: (p.host ?? "node") as "node" | "qemu", out: (s) => process.stdout.write(s) });
        if (p.json) writeJson(p.json, r);
        return 0;
      }
      if (p.file !== "sched") throw new UsageError(`unknown benchmark '${p.file}' (available: sched; none: the full harness)`);
      const { benchSched } = await import("../bench/sched");
      const r = await benchSched(ROOT, p.iterations ?? 10000, (s) => process.stdout.write(s), true, p.rounds ?? 5);
      if (p.json) writeJson(p.json, { host: "node", cores: 1, iterations: p.iterations ?? 10000, sched: r });
      return 0;
    }
    case "help": case "--help": case "-h":
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command '${p.cmd}'`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof UsageError) { process.stderr.write(`aam: ${e.message}\n${USAGE}`); process.exit(EXIT_USAGE); }
    if (e?.name === "DefineError") { process.stderr.write(`aam: ${e.message}\n`); process.exit(EXIT_USAGE); }   // a bad command line, usage aside
    if (e?.name === "BuildError" || e?.name === "LinkError" || e?.name === "BootError" || e instanceof HostError) {
      process.stderr.write(`aam: ${e.message}\n`);
      process.exit(e instanceof HostError || e?.name === "BootError" ? EXIT_HOST_ERROR : EXIT_BUILD_ERROR);
    }
    process.stderr.write(`aam: internal error: ${e?.stack ?? e}\n`);
    process.exit(EXIT_HOST_ERROR);
  },
);
