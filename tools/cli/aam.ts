// aam.ts: the `aam` command line: build an image, run it on the Node host or boot it under QEMU.
//
// Owns: argument parsing, usage text, turning errors into one-line messages and exit statuses.
// Not: the work itself (tools/build/, tools/host/, tools/boot/, tools/trace/, igen/).

import * as fs from "node:fs";
import * as path from "node:path";
import { runImage, defaultCores, formatStats, HostError } from "../host/node";
import { EXIT_HOST_ERROR, EXIT_USAGE, EXIT_BUILD_ERROR, MAX_CORES } from "../host/abi";
import { DEFINES, checkDefine } from "../build/defines";
import { PathError, checkProgram, readImage, prepareOutputFile, prepareOutputDir, checkDisk } from "./paths";
import type { DiskSpec } from "../host/virtio";
import { netCheck, NetUsageError, type NetPlan } from "./net";
import { writeAtomic } from "../build/files";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..");

const USAGE = `usage:
  aam build <entry.ts> [-o image.wasm] [--debug] [--trace] [--define AAM_NAME=N ...] [--no-cache] [--verbose]
      compile a program with the runtime into one system image (+ image.wasm.json manifest)
  aam run <entry.ts|image.wasm> [--cores N] [--stats] [--disk img[:ro]] [--net tap:NAME|stream:PATH [--ip A.B.C.D/N] [--gw A.B.C.D]] [--debug] [--trace] [--define AAM_NAME=N ...] [-- args...]
      run a system on the Node host, one worker per core (default: ${defaultCores()} cores)
  aam trace <entry.ts|image.wasm> [--cores N] [--host node|qemu [--com3]] [--stats] [--disk img[:ro]] [--net … as run|boot] -o trace.json [--html view.html] [-- args...]
      run (or boot) a --trace build and write the Chrome trace-event JSON (Perfetto, chrome://tracing)
      and optionally the self-contained timeline viewer (docs/TRACING.md); on QEMU the events come
      through a RAM log, or with --com3 all of them over the serial port COM3 (~5 us a byte under TCG)
  aam boot <entry.ts|image.wasm> [--cores N] [--stats] [--disk img[:ro]] [--net tap:NAME|stream:PATH|user [--ip A.B.C.D/N] [--gw A.B.C.D] [--forward H:G ...]] [--debug] [--define AAM_NAME=N ...] [-- args...]
      boot the system bare-metal under qemu-system-x86_64 -smp N (TCG); exits with the guest's status
  aam image <entry.ts|image.wasm> -o kernel.elf [--debug] [--define AAM_NAME=N ...]
      write the bootable kernel ELF only (QEMU command line: docs/BOOT.md)
  aam igen <file.idl>... [-o dir] [-I dir]...
      generate a machine interface's C header, JSON, AssemblyScript client and server and the
      host's TypeScript client (docs/igen.md); \`aam build\` runs it for the program's IDL files
  aam gen [--check]
      rewrite (--check: only compare, status 1 if one differs) the source files generated from
      runtime/abi.json and runtime/trace-events.json; the build refuses to run while one is stale
  aam mkdisk <img> --size 64M [--from dir] [--fat 16|32]
      make a FAT disk image (FAT32 from 33M, FAT16 below or with --fat 16) with mkfs.fat, holding the files of dir (mcopy),
      for machine fs (aams/fs); installs dosfstools and mtools when missing (tools/system-deps.sh)
  aam bench [--quick] [--iterations N] [--rounds R] [--json FILE] [--host node|qemu]
      the paper's Table 1 and 2 with baselines, throughput and footprint measured in the same run,
      Table 1 and its ratios' baselines in R interleaved rounds (default 5, 3 with --quick)
      (markdown on stdout; docs/BENCHMARKS.md). \`aam bench sched\`: the local-task benchmark alone,
      plain and --trace alternating [--rounds N] times (default 5); \`aam bench startup\`: time to a program's
      first output, a first run (--no-cache) against a second (image from the cache), [--rounds N] (default 5);
      \`aam bench policy\`: the Machine Manager's assignment changes under a steady load, its load step
      and an idle system's CPU, [--rounds N] (default 5);
      \`aam bench machines\`: MB/s (and SQLite's statements per second) of the machines of aams/ on 1 and
      2 cores against Node's native and pure-JS peers in the same run [--quick] [--json FILE];
      \`aam bench fs\`: the file-system machine on a disk image (Node and QEMU) against mtools and dd [--quick] [--json FILE]
      \`aam bench net\`: the network machine (echo stream, HTTP requests) against Linux's stack, root [--quick] [--host node|qemu] [--rounds N] [--json FILE]
  --define AAM_NAME=N: a build-time constant, checked at build time (meaning, default and limits of
    each: docs/DEFINES.md): ${DEFINES.slice(0, 5).map((d) => d.name).join(", ")},
    ${DEFINES.slice(5).map((d) => d.name).join(", ")}
  --trace: compile the trace points in (without it the image has no trace code at all)
  --disk img[:ro]: attach the raw disk image img as a virtio block device, read-write (:ro read-only);
    its size must be a multiple of 512 bytes; machine "block" (aams/block) drives it (docs/API.md)
  --net tap:NAME|stream:PATH|user: attach a virtio-net device (aams/net drives it, docs/API.md): tap:NAME a TAP
    interface (root; created and set up if missing, then deleted at exit; on Node through the relay build/net/taprelay),
    stream:PATH frames over the unix stream socket a peer listens on at PATH (4-byte big-endian length + frame),
    user QEMU's user-mode network (aam boot only; --forward HOSTPORT:GUESTPORT, repeatable, forwards
    127.0.0.1:HOSTPORT to the image's TCP port GUESTPORT); --ip A.B.C.D/N and --gw A.B.C.D give the image
    AAM_NET_IP and AAM_NET_GW (user without --ip: 10.0.2.15/24, gateway 10.0.2.2)
  every command that builds a .ts reads the image back from build/image-cache/ when nothing that goes
    into it changed (sources, runtime/, defines, tool versions); --no-cache builds anyway, --verbose
    says which it was; --help (-h) after any command prints this text
`;

// "aam run" → its usage line, for "aam run needs a program: …"
const USAGE_OF: Record<string, string> = Object.fromEntries(USAGE.split("\n").filter((l) => /^  aam [a-z]+ /.test(l)).map((l) => [l.trim().split(" ")[1], l.trim()]));

class UsageError extends Error { name = "UsageError"; }

const COMMANDS = ["build", "run", "trace", "boot", "image", "igen", "gen", "bench", "mkdisk", "help"];
// The options each command takes (canonical names). `--debug`, `--trace`, `--define` and the cache
// options shape a build, so every command that can build a .ts takes them.
const BUILDS = ["--debug", "--trace", "--define", "--no-cache", "--verbose"];
const NET = ["--net", "--ip", "--gw", "--forward"];
const OPTIONS: Record<string, string[]> = {
  build: ["-o", ...BUILDS],
  run: ["--cores", "--stats", "--disk", ...NET, ...BUILDS],
  trace: ["--cores", "--stats", "--host", "--com3", "-o", "--html", "--disk", ...NET, ...BUILDS],
  boot: ["--cores", "--stats", "--disk", ...NET, ...BUILDS],
  image: ["-o", ...BUILDS],
  bench: ["--quick", "--iterations", "--json", "--host", "--rounds"],
  mkdisk: ["--size", "--from", "--fat"],
};
const ALIASES: Record<string, string> = { "--out": "-o", "-D": "--define" };
const TAKES_VALUE = new Set(["-o", "--cores", "--rounds", "--iterations", "--json", "--html", "--host", "--define", "--disk", "--size", "--from", "--fat", ...NET]);

interface Parsed { cmd: string; file?: string; out?: string; cores?: number; stats: boolean; debug: boolean; rest: string[]; defines: Record<string, string>; iterations?: number; json?: string; quick?: boolean; rounds?: number; host?: string; trace?: boolean; html?: string; com3?: boolean; noCache?: boolean; verbose?: boolean; disk?: DiskSpec; size?: string; from?: string; fat?: string; net?: string; ip?: string; gw?: string; forwards: string[] }

function wholeNumber(flag: string, v: string, min: number, max = Infinity): number {
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) {
    throw new UsageError(`${flag} takes a whole number ${max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`}, got '${v}'`);
  }
  return n;
}

function parse(argv: string[]): Parsed {
  const cmd = argv[0] ?? "help";
  const p: Parsed = { cmd, stats: false, debug: false, rest: [], defines: {}, forwards: [] };
  const dashdash = argv.indexOf("--");
  if (["--help", "-h", "help"].includes(cmd) || argv.slice(1, dashdash < 0 ? undefined : dashdash).some((a) => a === "--help" || a === "-h")) {
    p.cmd = "help";
    return p;
  }
  if (!COMMANDS.includes(cmd)) throw new UsageError(`unknown command '${cmd}' (aam --help lists the commands)`);
  for (let i = 1; i < argv.length; i++) {
    const given = argv[i];
    if (given === "--") { p.rest = argv.slice(i + 1); break; }
    if (!given.startsWith("-") || given === "-") {
      if (p.file) throw new UsageError(`unexpected argument ${given} (program arguments go after --)`);
      p.file = given;
      continue;
    }
    const a = ALIASES[given] ?? given;
    if (!OPTIONS[cmd]?.includes(a)) {
      const known = Object.values(OPTIONS).some((o) => o.includes(a));
      throw new UsageError(known ? `aam ${cmd} does not take ${given}` : `unknown option ${given} (aam --help lists the options)`);
    }
    const v = TAKES_VALUE.has(a) ? need(argv, ++i, given) : "";
    switch (a) {
      case "-o": p.out = v; break;
      case "--cores": p.cores = wholeNumber(given, v, 1, MAX_CORES); break;
      case "--rounds": p.rounds = wholeNumber(given, v, 1); break;
      case "--iterations": p.iterations = wholeNumber(given, v, 100); break;
      case "--json": p.json = v; break;
      case "--size": p.size = v; break;
      case "--from": p.from = v; break;
      case "--fat": p.fat = v; break;
      case "--html": p.html = v; break;
      case "--host":
        if (v !== "node" && v !== "qemu") throw new UsageError(`--host takes node or qemu, got '${v}'`);
        p.host = v;
        break;
      case "--define": {
        const m = /^([^=]+)=(.*)$/.exec(v);
        if (!m) throw new UsageError(`${given} takes AAM_NAME=N, got '${v}'`);
        p.defines[m[1]] = checkDefine(m[1], m[2]);   // at once: also when the file is a built image (which ignores it)
        break;
      }
      case "--disk":
        if (p.disk) throw new UsageError("one --disk at most");
        p.disk = v.endsWith(":ro") ? { path: v.slice(0, -3), readOnly: true } : { path: v, readOnly: false };
        break;
      case "--net": case "--ip": case "--gw": {
        const k = a.slice(2) as "net" | "ip" | "gw";
        if (p[k] !== undefined) throw new UsageError(`one ${a} at most`);
        p[k] = v;
        break;
      }
      case "--forward": p.forwards.push(v); break;
      case "--stats": p.stats = true; break;
      case "--quick": p.quick = true; break;
      case "--trace": p.trace = true; break;
      case "--com3": p.com3 = true; break;
      case "--debug": p.debug = true; break;
      case "--no-cache": p.noCache = true; break;
      case "--verbose": p.verbose = true; break;
    }
  }
  return p;
}

function need(argv: string[], i: number, flag: string): string {
  if (i >= argv.length || (argv[i].startsWith("--") && argv[i].length > 2)) throw new UsageError(`${flag} needs a value`);
  return argv[i];
}

// The program a command runs, checked before any work: a .ts is built (or read back from the image
// cache, tools/build/cache.ts), a .wasm is read and checked as an image of this contract.
interface Program { module: WebAssembly.Module; manifest: any; bytes: Uint8Array }

function checkInput(p: Parsed, usage: string): void {
  if (!p.file) throw new UsageError(`aam ${p.cmd} needs a program: ${usage}`);
  const kind = checkProgram(p.file);
  if (kind === "wasm" && p.cmd === "build") throw new UsageError(`${p.file}: aam build takes an entry .ts (an image .wasm is already built)`);
}

async function program(p: Parsed): Promise<Program> {
  if (p.file!.endsWith(".wasm")) return readImage(p.file!);
  const b = await buildImage(p);
  return { module: new WebAssembly.Module(b.wasm), manifest: b.manifest, bytes: b.wasm };
}

async function buildImage(p: Parsed, out?: string) {
  const { cachedBuild } = await import("../build/cache");
  const b = await cachedBuild({ entry: p.file!, out, root: ROOT, debug: p.debug, defines: p.defines, trace: p.trace }, { force: p.noCache });
  if (p.verbose) {
    process.stderr.write(b.cache === "hit"
      ? `aam: cache hit: ${p.file} (image ${b.key}, ${b.ms.toFixed(0)} ms)\n`
      : `aam: cache miss${p.noCache ? " (--no-cache)" : ""}: ${p.file} built in ${(b.ms / 1000).toFixed(1)} s (image ${b.key})\n`);
  }
  return b;
}

function writeJson(file: string, value: unknown): void {
  writeAtomic(file, JSON.stringify(value, null, 2) + "\n");
}

// `aam igen`'s files, checked before igen runs (igen/main.ts parses its own options): each IDL
// must be a file, and the folder its outputs go to (-o, or each IDL's own) must take new files.
function checkIgen(argv: string[]): void {
  let out: string | undefined;
  const idls: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("-o")) out = a.length > 2 ? a.slice(2) : argv[++i];
    else if (a.startsWith("-I")) { if (a.length === 2) i++; }
    else if (!a.startsWith("-")) idls.push(a);
  }
  for (const f of idls) {
    let st: fs.Stats;
    try { st = fs.statSync(f); } catch { throw new PathError(`${f}: no such file`); }
    if (!st.isFile()) throw new PathError(`${f}: not a file (expected an .idl file)`);
  }
  if (out !== undefined) prepareOutputDir(out, `-o ${out}`);
  else for (const d of new Set(idls.map((f) => path.dirname(f)))) prepareOutputDir(d, `the folder of ${d}`);
}

async function main(argv: string[]): Promise<number> {
  const help = argv.slice(1).some((a) => a === "--help" || a === "-h");
  if (argv[0] === "igen") {                            // its own options (-I); igen/main.ts parses them
    if (!help) checkIgen(argv.slice(1));
    const { igenCli } = await import("../../igen/main");
    return igenCli(argv.slice(1));
  }
  if (argv[0] === "gen" && !help) {                    // aam gen [--check]
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
  // Everything the command line names is checked before any work (paths.ts): status 2, one line.
  if (["build", "run", "trace", "boot", "image"].includes(p.cmd)) checkInput(p, USAGE_OF[p.cmd]);
  if ((p.cmd === "trace" || p.cmd === "image") && !p.out) throw new UsageError(`aam ${p.cmd} needs -o ${p.cmd === "trace" ? "trace.json" : "kernel.elf"}`);
  if (p.cmd === "trace" && p.com3 && p.host !== "qemu") throw new UsageError("--com3 is for --host qemu (the serial port the guest streams its trace over)");
  const out = p.cmd === "build" ? p.out ?? p.file!.replace(/\.ts$/, "") + ".wasm" : p.out;
  if (out !== undefined && p.cmd !== "bench") prepareOutputFile(out, "-o");
  if (p.html !== undefined) prepareOutputFile(p.html, "--html");
  if (p.json !== undefined) prepareOutputFile(p.json, "--json");
  if (p.disk) checkDisk(p.disk);
  const host = p.cmd === "boot" ? "qemu" : (p.host ?? "node") as "node" | "qemu";
  let net: NetPlan | null = null;
  try { net = netCheck(p, p.cmd, host); } catch (e) { throw e instanceof NetUsageError ? new UsageError(e.message) : e; }
  // The image's environment: the process's on Node; on QEMU only what aam passes (AAM_NET_*).
  const nodeEnv = { ...process.env, ...net?.env } as Record<string, string>;
  const qemuEnv = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("AAM_NET_"))), ...net?.env } as Record<string, string>;
  const qemuNet = net ? { spec: net.spec, ip: net.ip, gw: net.gw } : undefined;
  const nodeNet = async (): Promise<{ net?: NetPlan["spec"]; relay?: string }> => {
    if (!net) return {};
    if (net.spec.kind !== "tap") return { net: net.spec };
    const { ensureTapRelay } = await import("../build/taprelay");
    return { net: net.spec, relay: ensureTapRelay(ROOT) };
  };
  let given: Program | undefined;                       // an image file: read and checked now
  if (p.file?.endsWith(".wasm")) {
    given = readImage(p.file);
    if (p.cmd === "trace" && !given.manifest.trace) throw new PathError(`${p.file}: the image was built without --trace (rebuild it with aam build --trace)`);
  }
  const image = async (): Promise<Program> => given ?? program(p);
  switch (p.cmd) {
    case "build": {
      const b = await buildImage(p, out);
      process.stderr.write(`aam: wrote ${out} (${b.wasm.length} bytes) and ${out}.json\n`);
      return 0;
    }
    case "run": {
      const img = await image();
      const argv0 = path.basename(p.file!).replace(/\.(ts|wasm)$/, "");
      const r = await runImage({ ...img, cores: p.cores, stats: p.stats, args: [argv0, ...p.rest], env: nodeEnv, disks: p.disk ? [p.disk] : [], ...await nodeNet() });
      if (r.stats) fs.writeSync(2, formatStats(r.stats));
      return r.code;
    }
    case "trace": {
      p.trace = true;
      const argv0 = path.basename(p.file!).replace(/\.(ts|wasm)$/, "");
      let raw, code;
      const img = await image();
      if ((p.host ?? "node") === "qemu") {
        const { bootTraced } = await import("../boot/boot");
        ({ raw, code } = await bootTraced(img.bytes, { root: ROOT, cores: p.cores ?? defaultCores(), stats: p.stats, args: p.rest, log: !p.com3, disk: p.disk, net: qemuNet, env: qemuEnv }));
      } else {
        const r = await runImage({ ...img, cores: p.cores, stats: p.stats, args: [argv0, ...p.rest], env: nodeEnv, disks: p.disk ? [p.disk] : [], ...await nodeNet() });
        if (r.stats) fs.writeSync(2, formatStats(r.stats));
        raw = r.trace!;
        code = r.code;
      }
      const { toChrome, toHtml } = await import("../trace/index");
      const chrome = toChrome(raw);
      writeAtomic(p.out!, JSON.stringify(chrome));
      const events = raw.perCore.reduce((n: number, c: { events: unknown[] }) => n + c.events.length, 0);
      const lost = raw.perCore.reduce((n: number, c: { lost: number }) => n + c.lost, 0);
      const unpaired = chrome.otherData.unpaired_flows;
      process.stderr.write(`aam: wrote ${p.out} (${events} events from ${raw.cores} cores${lost ? `, ${lost} LOST: ring full; raise --define AAM_TRACE_SLOTS` : ", none lost"}` +
        `${unpaired ? `; ${unpaired} IMS without its other end: no arrow` : ""})\n`);
      if (p.html) {
        writeAtomic(p.html, toHtml(chrome, { title: `aam trace: ${argv0}` }));
        process.stderr.write(`aam: wrote ${p.html}\n`);
      }
      return code;
    }
    case "boot": {
      const wasm = (await image()).bytes;
      const { bootImage } = await import("../boot/boot");  // QEMU host: loads only when used
      return await bootImage(wasm, { root: ROOT, cores: p.cores ?? defaultCores(), stats: p.stats, args: p.rest, disk: p.disk, net: qemuNet, env: qemuEnv });
    }
    case "image": {
      const wasm = (await image()).bytes;
      const { writeKernel } = await import("../boot/boot");
      const size = writeKernel(ROOT, wasm, p.out!);
      process.stderr.write(`aam: wrote ${p.out} (${size} bytes); boot it with: qemu-system-x86_64 … -kernel ${p.out} (docs/BOOT.md)\n`);
      return 0;
    }
    case "mkdisk": {
      const { mkdisk } = await import("./mkdisk");
      process.stderr.write(mkdisk(ROOT, p.file, p.size, p.from, p.fat) + "\n");
      return 0;
    }
    case "bench": {
      if (p.file === undefined) {
        const { benchAll } = await import("../bench/run");
        const iterations = p.iterations ?? (p.quick ? 200 : 10000);
        const r = await benchAll({ root: ROOT, iterations, quick: !!p.quick, host: (p.host ?? "node") as "node" | "qemu", rounds: p.rounds, out: (s) => process.stdout.write(s) });
        if (p.json) writeJson(p.json, r);
        return 0;
      }
      if (p.file === "startup") {
        const { benchStartup } = await import("../bench/startup");
        const r = await benchStartup(ROOT, p.rounds ?? 5, (s) => process.stdout.write(s));
        if (p.json) writeJson(p.json, { host: "node", startup: r });
        return 0;
      }
      if (p.file === "policy") {
        const { benchPolicy } = await import("../bench/policy");
        const r = await benchPolicy(ROOT, p.rounds ?? 5, (s) => process.stdout.write(s));
        if (p.json) writeJson(p.json, { host: "node", policy: r });
        return 0;
      }
      if (p.file === "machines") {                    // the machines of aams/ against their peers
        const { benchMachines } = await import("../bench/machines");
        const r = await benchMachines({ root: ROOT, quick: !!p.quick, out: (s) => process.stdout.write(s) });
        if (p.json) writeJson(p.json, r);
        return 0;
      }
      if (p.file === "fs") {                          // the file-system machine on a disk image
        const { benchFs } = await import("../bench/fs");
        const r = await benchFs(ROOT, !!p.quick, (s) => process.stdout.write(s));
        if (p.json) writeJson(p.json, { host: "node+qemu", fs: r });
        return 0;
      }
      if (p.file === "net") {                         // the network machine against Linux's stack (root)
        const { benchNet } = await import("../bench/net");
        const r = await benchNet({ root: ROOT, quick: !!p.quick, rounds: p.rounds, hosts: p.host ? [p.host as "node" | "qemu"] : undefined, out: (s) => process.stdout.write(s) });
        if (p.json) writeJson(p.json, { host: p.host ?? "node+qemu", net: r });
        return 0;
      }
      if (p.file !== "sched") throw new UsageError(`unknown benchmark '${p.file}' (available: sched, startup, policy, machines, fs, net; none: the full harness)`);
      const { benchSched } = await import("../bench/sched");
      const r = await benchSched(ROOT, p.iterations ?? 10000, (s) => process.stdout.write(s), true, p.rounds ?? 5);
      if (p.json) writeJson(p.json, { host: "node", cores: 1, iterations: p.iterations ?? 10000, sched: r });
      return 0;
    }
    default:                                          // help, --help, -h
      process.stdout.write(USAGE);
      return 0;
  }
}

// Every failure ends in one line on stderr and a status: 2 for a bad command line or a path it
// names (nothing was built or run), 1 for a build error, 71 for a host error. A JS stack is printed
// only for an error no part of aam expected: that is a bug in aam.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof UsageError || e instanceof PathError) { process.stderr.write(`aam: ${e.message}\n`); process.exit(EXIT_USAGE); }
    if (e?.name === "DefineError") { process.stderr.write(`aam: ${e.message}\n`); process.exit(EXIT_USAGE); }   // a bad command line
    if (e?.name === "BuildError" || e?.name === "LinkError" || e?.name === "BootError" || e instanceof HostError) {
      process.stderr.write(`aam: ${e.message}\n`);
      process.exit(e instanceof HostError || e?.name === "BootError" ? EXIT_HOST_ERROR : EXIT_BUILD_ERROR);
    }
    if (typeof e?.code === "string" && typeof e?.syscall === "string") {   // a file system error after the checks (disk full …)
      process.stderr.write(`aam: ${e.path ?? ""}${e.path ? ": " : ""}${e.syscall} failed (${e.code})\n`);
      process.exit(EXIT_HOST_ERROR);
    }
    process.stderr.write(`aam: internal error: ${e?.stack ?? e}\n`);
    process.exit(EXIT_HOST_ERROR);
  },
);
