// boot.ts: `aam boot` and `aam image`, the system image on bare-metal x86-64 under QEMU.
//
// Owns: image → kernel ELF (wasm2c + gcc through boot/build.sh; the layout comes from boot/abi.h,
// AAM_TRACE=1 for a --trace image), the kernel cache (build/boot-cache/, keyed on the image and the kernel's sources), the
// QEMU command line of a run (the same as boot/qemu.mjs), the guest's stdin and stdout (our fd 0
// and fd 1, through rings in the guest RAM file: boot/stdin.c and boot/serial.c draw the
// protocols; a reader of stdout that went away ends the run with EXIT_PIPE, as on Node), and
// turning QEMU's status into the guest's exit code. Not: the kernel (boot/), building images
// (tools/build/), the Node host.
//
// Exit status: the guest writes `code` to isa-debug-exit and QEMU exits with code << 1 | 1. An even
// status (reset, triple fault) is no exit code: reported, EXIT_HOST_ERROR. A code above 127 does
// not fit QEMU's status: the kernel prints it as a last COM2 line "aam: exit status N" first.

import type { DiskSpec } from "../host/virtio";
import { tapPrepare, NetError, type NetSpec } from "../host/net";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { RawTrace } from "../trace/raw";
import { TraceEvents, rawStats } from "../host/trace";   // small: no host code, one JSON
import { readStats, machineNames } from "../host/stats";
import { StringDecoder } from "node:string_decoder";
import { symbolize, sourceRootsOf, type SourceRoots } from "../host/symbols";
import { FLIGHT_TASK_TRAPS } from "../host/trace";
import { findForeign, manifestRecipes, readRecipe } from "../build/foreign";
import { foreignKernelObject } from "./foreign";
import { bootTempDir, noteQemu } from "./tmp";
import { abiProblem, type ImageManifest } from "../host/manifest";
import { StdinSource } from "../host/stdio";
import { MAX_CORES, EXIT_HOST_ERROR, EXIT_PIPE, SR_HEAD, SR_END, SR_TAIL, SR_ASKED, SR_DATA, STDIN_RING_SIZE,
  SO_HEAD, SO_TAIL, SO_DATA, STDOUT_RING_SIZE, TF_MAGIC_VALUE, TF_HEADER, TF_MAGIC, TF_KIND, TF_CORE, TF_LEN, TF_ARG,
  TF_KIND_EVENTS, TF_KIND_MEM, TF_KIND_TRAP, TF_KIND_END, TF_KIND_LOG } from "../host/abi";

export const QEMU = "qemu-system-x86_64";
const FORMAT = "aam-image/1";
const STOP_SIGNALS: NodeJS.Signals[] = ["SIGTERM", "SIGHUP", "SIGINT"];

export class BootError extends Error { name = "BootError"; }

export interface BootOptions {
  root: string;                            // the repository (boot/, build/)
  cores: number;
  args: string[];                          // the image's arguments (argv[1..]; argv[0] is "aam")
  stats?: boolean;
  mem?: string;                            // QEMU -m, default 1G
  disk?: DiskSpec;                         // --disk: a virtio-blk device on this raw image
  net?: NetQemu;                           // --net: a virtio-net device on this backend
  env?: Record<string, string>;            // the image's environment (WASI environ), on the kernel command line
}

/** A network for QEMU (tools/cli/net.ts checked it): the backend, and for `user` the network
 *  slirp serves when --ip named one (addr/prefix and gateway as 32-bit numbers). */
export interface NetQemu { spec: NetSpec; ip?: { addr: number; prefix: number }; gw?: number }

/** Throws a one-line BootError naming the missing tool and how to install it. */
export function requireTool(tool: string): void {
  const r = spawnSync(tool, ["--version"], { stdio: "ignore" });
  if (r.error || r.status !== 0) {
    throw new BootError(`${tool} not found: install it (as root: \`make system-deps\`, i.e. sh boot/deps.sh)`);
  }
}

/** The image's manifest (custom section "aam.manifest"); null for a wasm that is not an AAM image.
 *  An image built for another image↔host contract is refused (tools/host/manifest.ts). */
export function manifestOf(wasm: Uint8Array): ImageManifest | null {
  let mod: WebAssembly.Module;
  try { mod = new WebAssembly.Module(wasm); } catch (e) {
    throw new BootError(`not a WebAssembly module (${(e as Error).message})`);
  }
  const sec = WebAssembly.Module.customSections(mod, "aam.manifest");
  if (!sec.length) return null;
  const m = JSON.parse(Buffer.from(sec[0]).toString("utf8"));
  if (m.format !== FORMAT) throw new BootError(`unsupported image format ${m.format}`);
  const bad = abiProblem(m);
  if (bad) throw new BootError(bad);
  return m;
}

// Every file of boot/ that goes into a kernel (C, assembly, headers, linker script, build.sh) and the
// wasm2c that translates: a change to any of them is a new kernel; docs and test helpers are not.
function kernelSourcesHash(root: string): string {
  const h = createHash("sha256");
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(c|h|S|ld)$/.test(e.name) || e.name === "build.sh") {
        h.update(path.relative(root, p));
        h.update(fs.readFileSync(p));
      }
    }
  };
  walk(path.join(root, "boot"));
  const wabt = path.join(root, "node_modules/wabt/package.json");
  if (fs.existsSync(wabt)) h.update(fs.readFileSync(wabt));
  return h.digest("hex");
}

function buildCached(root: string, key: string, buildArgs: (work: string) => string[]): string {
  const dir = path.join(root, "build/boot-cache");
  const elf = path.join(dir, `${key}.elf`);
  if (fs.existsSync(elf)) return elf;
  requireTool("gcc");
  requireTool("ld");
  fs.mkdirSync(dir, { recursive: true });
  // Build under a name of our own, then rename: concurrent builds of one key never see a half file.
  const tmp = path.join(dir, `${key}.${process.pid}.tmp.elf`);
  const r = spawnSync("sh", [path.join(root, "boot/build.sh"), ...buildArgs(dir), "-o", tmp], { encoding: "utf8" });
  fs.rmSync(`${tmp}.d`, { recursive: true, force: true });
  if (r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    const why = (r.stderr || r.stdout || String(r.error)).trim().split("\n").slice(-12).join("\n");
    throw new BootError(`building the kernel failed:\n${why}`);
  }
  fs.renameSync(tmp, elf);
  return elf;
}

/** The bootable ELF for an image (from the cache when this image and kernel were built before). */
export function kernelFor(root: string, wasm: Uint8Array): string {
  const m = manifestOf(wasm);
  if (!m) throw new BootError("not an AAM system image (no aam.manifest section; build it with `aam build`)");
  const defines: Record<string, number> = {};
  if (m.trace) defines.AAM_TRACE = 1;                       // boot/trace.c streams the rings to COM3
  // The foreign modules the image uses, each a cached kernel object (tools/boot/foreign.ts).
  const foreign = manifestRecipes(m as { build?: Record<string, unknown> }).map((d) => {
    const f = findForeign(root, d);
    if (!f) throw new BootError(`foreign module ${d} is not built: run \`aam build\` on the program first`);
    return `${f.name}=${foreignKernelObject(root, f, readRecipe(d).kernelOpt ?? "-O2")}`;
  });
  const key = createHash("sha256").update(kernelSourcesHash(root)).update(JSON.stringify(defines)).update(JSON.stringify(foreign.map((f) => path.basename(f))))
    .update(wasm).digest("hex").slice(0, 24);
  const img = path.join(root, "build/boot-cache", `${key}.${process.pid}.wasm`);
  try {
    return buildCached(root, key, () => {
      fs.writeFileSync(img, wasm);
      return [img, ...Object.entries(defines).flatMap(([k, v]) => ["-D", `${k}=${v}`]), ...foreign.flatMap((f) => ["--foreign", f])];
    });
  } finally {
    fs.rmSync(img, { force: true });
  }
}

/** The same kernel without an image (boot/bare.c): boots, brings up every core, prints, exits 0. */
export function bareKernel(root: string): string {
  const key = "bare-" + createHash("sha256").update(kernelSourcesHash(root)).digest("hex").slice(0, 24);
  return buildCached(root, key, () => ["--bare"]);
}

/** TCG's threading: `multi` (the default: one host thread per vCPU, so the vCPUs run side by
 *  side) or `single` (one host thread takes turns among the vCPUs), from AAM_TCG; anything else
 *  is an error naming the variable. docs/BOOT.md "TCG threads" has the measurements. */
export function tcgThreads(): "single" | "multi" {
  const v = process.env.AAM_TCG ?? "multi";
  if (v !== "single" && v !== "multi") throw new Error(`AAM_TCG=${v}: expected single or multi`);
  return v;
}

// TCG threads as tcgThreads() says. COM1 is the image's stdout (QEMU's stdout); COM2 (image fd 2 and every kernel message) goes to
// the chardev `err`, described by `errDev`.
export function qemuArgs(elf: string, smp: number, append: string, errDev: string, mem = "1G"): string[] {
  return [
    "-accel", `tcg,thread=${tcgThreads()}`,
    "-M", "microvm,x-option-roms=off,rtc=off", "-nodefaults", "-no-reboot", "-display", "none",
    "-serial", "stdio",
    "-chardev", `${errDev},id=err`, "-device", "isa-serial,chardev=err,iobase=0x2f8,irq=3",
    "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
    "-smp", String(smp), "-m", mem, "-kernel", elf, "-append", append,
  ];
}

// A virtio-blk device on a raw image, as a modern (version 2) virtio-mmio device: microvm puts
// it in the top free slot (23 for the first), boot/virtio.c finds it there. `,` in a file name is
// doubled, QEMU's escape.
export function diskArgs(d: DiskSpec): string[] {
  const file = path.resolve(d.path).replace(/,/g, ",,");
  return ["-global", "virtio-mmio.force-legacy=false",
    "-drive", `file=${file},format=raw,if=none,id=disk0,cache=writeback${d.readOnly ? ",readonly=on" : ""}`,
    "-device", "virtio-blk-device,drive=disk0"];
}

// A virtio-net device (the second virtio-mmio slot after a disk: handles follow the command line)
// on the backend --net chose: a TAP (tapPrepare made sure it exists), a unix stream socket a peer
// listens on (4-byte big-endian length + frame), or slirp with its host forwards (tcp, bound to
// 127.0.0.1). QEMU's default MAC, 52:54:00:12:34:56, as on Node (tools/host/net.ts NODE_MAC).
export function netArgs(n: NetQemu, legacyOff = true): string[] {
  const esc = (v: string): string => v.replace(/,/g, ",,");
  const dot = (a: number): string => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join(".");
  let backend: string;
  switch (n.spec.kind) {
    case "tap": backend = `tap,id=n0,ifname=${n.spec.name},script=no,downscript=no`; break;
    case "stream": backend = `stream,id=n0,server=off,addr.type=unix,addr.path=${esc(path.resolve(n.spec.path))}`; break;
    case "user": {
      backend = "user,id=n0";
      if (n.ip && n.gw !== undefined) {
        const mask = (0xffffffff << (32 - n.ip.prefix)) >>> 0;
        backend += `,net=${dot((n.ip.addr & mask) >>> 0)}/${n.ip.prefix},host=${dot(n.gw)}`;
      }
      // the guest's address named: slirp's default is its DHCP start (network + 15), the image's only by chance
      const guest = n.ip ? dot(n.ip.addr) : "";
      for (const f of n.spec.forwards) backend += `,hostfwd=tcp:127.0.0.1:${f.host}-${guest}:${f.guest}`;
      break;
    }
  }
  return [...(legacyOff ? ["-global", "virtio-mmio.force-legacy=false"] : []), "-netdev", backend, "-device", "virtio-net-device,netdev=n0"];
}

// COM3 (0x3e8), where boot/trace.c streams the trace rings of a --trace image, into `file`.
export function traceArgs(file: string): string[] {
  return ["-chardev", `file,id=trace,path=${file}`, "-device", "isa-serial,chardev=trace,iobase=0x3e8,irq=4"];
}

export interface Run { code: number; status: number | null; ms: number; stderr: string; stdout: string }

/** Boot `elf`. The guest's stdout (COM1, or with `stdin` its ring) and stderr (COM2) are copied
 *  to ours as they come, unless `capture` (then both are only returned). `stdin`: the fd the
 *  guest's stdin comes from; with it, stdin and stdout go through rings in guest RAM. */
export function runKernel(elf: string, smp: number, append: string, o: { mem?: string; capture?: boolean; trace?: string; ramFile?: string; fns?: Record<number, string>; sources?: SourceRoots; stdin?: number; disk?: DiskSpec; net?: NetQemu } = {}): Promise<Run> {
  requireTool(QEMU);
  let untap = (): void => {};                        // a TAP we created is deleted when QEMU ends
  if (o.net?.spec.kind === "tap") {
    try { untap = tapPrepare(o.net.spec.name); } catch (e) { throw e instanceof NetError ? new BootError(e.message) : e; }
  }
  // COM2 through a FIFO pair (QEMU's `pipe` chardev writes <path>.out): a file chardev on
  // /dev/stderr cannot reopen the socket Node gives a child as its stderr. Opened O_RDWR |
  // O_NONBLOCK so neither side waits for the other; drained by polling and once more at exit.
  const dir = bootTempDir("aam-boot-");           // tmp.ts: named by pid, swept after a SIGKILL
  // The folder holds a 1 GiB RAM file when stdio goes through rings: deleted when QEMU ends, and
  // also when this process exits by another path or is stopped by SIGTERM/SIGHUP/SIGINT (QEMU is
  // killed, the folder deleted, then the signal raised again with its default action).
  let qemu: ReturnType<typeof spawn> | null = null;
  const removeDir = (): void => {
    process.removeListener("exit", removeDir);
    for (const s of STOP_SIGNALS) process.removeListener(s, onStop);
    if (qemu && qemu.exitCode === null && qemu.signalCode === null) qemu.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const onStop = (sig: NodeJS.Signals): void => { removeDir(); untap(); process.kill(process.pid, sig); };
  process.once("exit", removeDir);
  for (const s of STOP_SIGNALS) process.once(s, onStop);
  const fifo = path.join(dir, "com2");
  const mk = spawnSync("mkfifo", [`${fifo}.in`, `${fifo}.out`]);
  if (mk.status !== 0) throw new BootError(`mkfifo failed: ${mk.stderr || mk.error}`);
  const fd = fs.openSync(`${fifo}.out`, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  let stderr = "", partial = "";
  const buf = Buffer.alloc(65536);
  const utf8 = new StringDecoder("utf8");             // a character may span two reads
  // Whole lines, with fn#N in runtime reports named (tools/host/symbols.ts), as the Node host does.
  // A status above 127, which QEMU's own cannot hold, comes as a last line (boot/main.c
  // machine_exit): taken here, not shown.
  // So do the addresses of the stdin and stdout rings (boot/stdin.c, boot/serial.c step 1).
  let bigCode: number | null = null;
  let input: GuestStdin | null = null;
  let output: GuestStdout | null = null;
  const emit = (text: string): void => {
    const out = text.split("\n").filter((l) => {
      const m = /^aam: exit status (\d+)\r?$/.exec(l);
      if (m) bigCode = Number(m[1]);
      const r = /^aam: std(in|out) ring at 0x([0-9a-f]+)\r?$/.exec(l);
      if (r) (r[1] === "in" ? input : output)?.setRing(parseInt(r[2], 16));
      return !m && !r;
    }).map((l) => symbolize(l, o.fns, o.sources)).join("\n");
    stderr += out;
    if (!o.capture) process.stderr.write(out);
  };
  const drain = (end = false): void => {
    for (;;) {
      let n = 0;
      try { n = fs.readSync(fd, buf, 0, buf.length, null); } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      }
      if (n <= 0) break;
      partial += utf8.write(buf.subarray(0, n));
      const cut = partial.lastIndexOf("\n") + 1;
      if (cut) { emit(partial.slice(0, cut)); partial = partial.slice(cut); }
    }
    if (end && partial) { emit(partial + utf8.end()); partial = ""; }
  };
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // stdio through rings in guest RAM (boot/stdin.c, boot/serial.c), which must then be a file
    const rings = o.stdin !== undefined;
    const args = qemuArgs(elf, smp, rings ? `stdinring stdoutring ${append}` : append, `pipe,path=${fifo}`, o.mem);
    const ramFile = o.ramFile ?? (rings ? path.join(dir, "ram") : undefined);
    if (o.trace) args.push(...traceArgs(o.trace));
    if (o.disk) args.push(...diskArgs(o.disk));
    if (o.net) args.push(...netArgs(o.net, !o.disk));
    if (ramFile) {                         // guest RAM in a file the host can read (and write)
      args[args.indexOf("-M") + 1] += ",memory-backend=ram";
      args.push("-object", `memory-backend-file,id=ram,size=${o.mem ?? "1G"},mem-path=${ramFile},share=on`);
    }
    const child = spawn(QEMU, args, { stdio: ["ignore", "pipe", "inherit"] });
    qemu = child;
    noteQemu(dir, child.pid);
    let stdout = "";
    const out = o.capture ? null : new StdoutCopy(() => child.kill("SIGKILL"));
    const text = new StringDecoder("utf8");
    const sink = (b: Buffer, src?: NodeJS.ReadableStream): void => { if (out) out.write(b, src); else stdout += text.write(b); };
    child.stdout.on("data", (d: Buffer) => sink(d, child.stdout));
    if (rings && ramFile) {
      input = new GuestStdin(o.stdin!, ramFile);
      output = new GuestStdout(ramFile, sink, () => !out?.busy);
    }
    const poll = setInterval(() => { drain(); input?.poll(); output?.poll(); }, 20);
    const done = (): void => {
      clearInterval(poll);
      drain(true);                       // the ring addresses, if the run was too short to see them
      output?.close();                   // the rest of stdout (step 3 of boot/serial.c)
      input?.close();
      stdout += text.end();
      fs.closeSync(fd);
      removeDir();
      untap();
    };
    child.on("error", (e) => { done(); reject(e); });
    child.on("close", async (status) => {
      done();
      if (out && !(await out.flushed())) return resolve({ code: EXIT_PIPE, status, ms: performance.now() - t0, stderr, stdout });
      const ms = performance.now() - t0;
      if (status !== null && status % 2 === 1) resolve({ code: bigCode ?? (status - 1) / 2, status, ms, stderr, stdout });
      else {
        process.stderr.write(`aam: the machine stopped without an exit code (QEMU status ${status}: reset or triple fault)\n`);
        resolve({ code: EXIT_HOST_ERROR, status, ms, stderr, stdout });
      }
    });
  });
}

// The guest's stdin (boot/stdin.c draws the protocol): the ring is in the guest RAM file, at the
// address the kernel printed on COM2 (setRing). Nothing is read from `fd` until the guest sets
// ASKED (polled with pread); then fd is read CHUNK bytes at a time into the ring while it has
// room (TAIL polled every ms when full): at most one chunk of input is held here.
const CHUNK = 65536;
class GuestStdin {
  private ram = -1;
  private addr = -1;
  private head = 0;
  private started = false;
  private closed = false;
  private buf = Buffer.alloc(CHUNK);
  private word = Buffer.alloc(4);
  private src: StdinSource;
  constructor(fd: number, private ramFile: string) { this.src = new StdinSource(fd); }
  setRing(addr: number): void {
    this.addr = addr;
    try { this.ram = fs.openSync(this.ramFile, "r+"); } catch (e) { process.stderr.write(`aam: stdin: cannot open the guest RAM file: ${(e as Error).message}\n`); }
  }
  poll(): void {
    if (this.started || this.closed || this.ram < 0) return;
    if (this.load(SR_ASKED)) { this.started = true; this.next(); }
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.src.close();
    if (this.ram >= 0) fs.closeSync(this.ram);
  }
  private load(off: number): number {
    fs.readSync(this.ram, this.word, 0, 4, this.addr + off);
    return this.word.readUInt32LE(0);
  }
  private store(off: number, v: number): void {
    this.word.writeUInt32LE(v >>> 0, 0);
    fs.writeSync(this.ram, this.word, 0, 4, this.addr + off);
  }
  private next(): void {
    if (this.closed) return;
    void this.src.read(this.buf).then(({ n, errno }) => {
      if (this.closed) return;
      if (errno) process.stderr.write(`aam: reading stdin failed (WASI errno ${errno}); the guest sees the end of its input\n`);
      if (errno || n === 0) return this.store(SR_END, 1);    // after the last HEAD (step 3)
      this.put(this.buf.subarray(0, n));
    });
  }
  private put(b: Buffer): void {
    while (b.length && !this.closed) {
      const room = STDIN_RING_SIZE - ((this.head - this.load(SR_TAIL)) >>> 0);
      if (!room) return void setTimeout(() => this.put(b), 1);
      const at = this.head & (STDIN_RING_SIZE - 1);
      const k = Math.min(room, b.length, STDIN_RING_SIZE - at);
      fs.writeSync(this.ram, b, 0, k, this.addr + SR_DATA + at);
      this.head = (this.head + k) >>> 0;
      this.store(SR_HEAD, this.head);                        // after the bytes (step 3)
      b = b.subarray(k);
    }
    this.next();
  }
}

// The guest's stdout ring (boot/serial.c draws the protocol): poll copies out what the guest wrote
// since the last poll and gives it to `sink`, while the sink keeps up (`ready`): what is held here
// is at most one ring. close takes the rest, after QEMU exited (the file outlives it).
class GuestStdout {
  private ram = -1;
  private addr = -1;
  private tail = 0;
  private word = Buffer.alloc(4);
  constructor(private ramFile: string, private sink: (b: Buffer) => void, private ready: () => boolean) {}
  setRing(addr: number): void {
    this.addr = addr;
    try { this.ram = fs.openSync(this.ramFile, "r+"); } catch (e) { process.stderr.write(`aam: stdout: cannot open the guest RAM file: ${(e as Error).message}\n`); }
  }
  poll(all = false): void {
    while (this.ram >= 0 && (all || this.ready())) {
      fs.readSync(this.ram, this.word, 0, 4, this.addr + SO_HEAD);
      const head = this.word.readUInt32LE(0);
      if (head === this.tail) return;
      const at = this.tail & (STDOUT_RING_SIZE - 1);
      const k = Math.min((head - this.tail) >>> 0, STDOUT_RING_SIZE - at);
      const b = Buffer.alloc(k);
      fs.readSync(this.ram, b, 0, k, this.addr + SO_DATA + at);
      this.tail = (this.tail + k) >>> 0;
      this.word.writeUInt32LE(this.tail, 0);
      fs.writeSync(this.ram, this.word, 0, 4, this.addr + SO_TAIL);    // step 3
      this.sink(b);
    }
  }
  close(): void {
    this.poll(true);
    if (this.ram >= 0) fs.closeSync(this.ram);
    this.ram = -1;
  }
}

// The guest's stdout (COM1 or its ring) → our fd 1, in order. fd 1 may be non-blocking (shared with a process that set it so): a
// full pipe is retried every ms with QEMU's output paused. EPIPE: the reader went away; QEMU is
// stopped and the run ends with EXIT_PIPE.
class StdoutCopy {
  private q: Buffer[] = [];
  busy = false;
  private gone = false;
  private idle: (() => void)[] = [];
  constructor(private onGone: () => void) {}
  write(b: Buffer, src?: NodeJS.ReadableStream): void {
    if (this.gone) return;
    this.q.push(b);
    this.pump(src);
  }
  /** Resolves when everything is written: true, or false when the reader went away. */
  flushed(): Promise<boolean> {
    return new Promise((r) => { if (!this.busy) r(!this.gone); else this.idle.push(() => r(!this.gone)); });
  }
  private pump(src?: NodeJS.ReadableStream): void {
    if (this.busy) return;
    this.busy = true;
    while (this.q.length) {
      try {
        const n = fs.writeSync(1, this.q[0]);
        if (n < this.q[0].length) this.q[0] = this.q[0].subarray(n); else this.q.shift();
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EAGAIN") { src?.pause(); setTimeout(() => { this.busy = false; src?.resume(); this.pump(src); }, 1); return; }
        this.gone = true;                    // EPIPE (or fd 1 unusable): nobody reads any more
        this.q.length = 0;
        this.onGone();
      }
    }
    this.busy = false;
    for (const f of this.idle.splice(0)) f();
  }
}

// The kernel command line: options (`lf`: the program's bytes as written, no "\r\n"; `stats`),
// then `--` and the image's arguments, one word each: the kernel splits at spaces, so every byte
// of an argument's UTF-8 outside 0x21..0x7e, and `%`, goes as %XX (boot/platform.c decodes it).
function cmdline(args: string[], stats: boolean, options: string[] = [], env: Record<string, string> = {}): string {
  for (const a of args) if (!a) throw new BootError("an empty argument cannot cross the kernel command line");
  // boot/platform.c keeps ARGS_MAX (64) words in 1024 bytes, the program's name first: refuse
  // rather than let the kernel drop what does not fit.
  const bytes = args.reduce((n, a) => n + Buffer.byteLength(a, "utf8") + 1, 0);
  if (args.length > 63 || bytes > 1024 - 64) {
    throw new BootError(`the program's arguments (${args.length} words, ${bytes} bytes) exceed what the kernel keeps (63 words, 960 bytes); pass larger input on stdin`);
  }
  const word = (a: string): string => [...Buffer.from(a, "utf8")].map((b) => b > 0x20 && b < 0x7f && b !== 0x25 ? String.fromCharCode(b) : "%" + b.toString(16).padStart(2, "0")).join("");
  // The environment: an option `env=NAME=VALUE` each, encoded as the arguments (boot/platform.c
  // keeps ENV_MAX (32) of them in 1024 bytes).
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  for (const e of vars) if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(e)) throw new BootError(`the environment variable ${JSON.stringify(e)} cannot cross the kernel command line (NAME=VALUE, NAME of letters, digits and _)`);
  const envBytes = vars.reduce((n, e) => n + Buffer.byteLength(e, "utf8") + 1, 0);
  if (vars.length > 32 || envBytes > 1024) throw new BootError(`the image's environment (${vars.length} variables, ${envBytes} bytes) exceeds what the kernel keeps (32, 1024 bytes)`);
  return ["lf", ...(stats ? ["stats"] : []), ...options, ...vars.map((e) => "env=" + word(e)), "--", ...args.map(word)].join(" ");
}

/** `aam boot`: run the image on `cores` QEMU cores; resolves with the guest's exit code. */
export async function bootImage(wasm: Uint8Array, o: BootOptions): Promise<number> {
  if (!Number.isInteger(o.cores) || o.cores < 1 || o.cores > MAX_CORES) throw new BootError(`--cores must be 1..${MAX_CORES}, got ${o.cores}`);
  requireTool(QEMU);
  const t0 = performance.now();
  const elf = kernelFor(o.root, wasm);
  const buildMs = performance.now() - t0;
  const man = manifestOf(wasm);
  const r = await runKernel(elf, o.cores, cmdline(o.args, !!o.stats, [], o.env), { mem: o.mem, fns: man?.fns, sources: sourceRootsOf(man ?? undefined), stdin: 0, disk: o.disk, net: o.net });
  if (o.stats) {
    // The same kernel without an image, same core count: what the boot costs before any image runs.
    const bare = await runKernel(bareKernel(o.root), o.cores, "lf", { capture: true });
    const m = /bare boot: \d+ cores up (\d+) us after kmain/.exec(bare.stderr);
    process.stderr.write(`aam boot stats: bare boot of the same kernel (no image, ${o.cores} cores): every core up ` +
      `${m ? m[1] : "?"} us after kmain, QEMU wall ${bare.ms.toFixed(0)} ms; this run: QEMU wall ${r.ms.toFixed(0)} ms, ` +
      `kernel build ${buildMs.toFixed(0)} ms${buildMs < 100 ? " (cached)" : ""}\n`);
  }
  return r.code;
}

/** `aam image`: write the bootable ELF for the image to `out`. */
export function writeKernel(root: string, wasm: Uint8Array, out: string): number {
  const elf = kernelFor(root, wasm);
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.copyFileSync(elf, out);
  return fs.statSync(out).size;
}

/** `aam trace --host qemu`: boot a --trace image with COM3 going to a file and guest RAM in another
 *  (the kernel's `tracelog`: frames go to a RAM log, COM3 says where it is), then decode the frames
 *  (boot/trace.c draws their format) into a RawTrace: the events and losses of every core, and the
 *  machine names and --stats counters from the records the kernel copied out at exit. A TRAP frame
 *  prints the flight recorder to stderr (after QEMU exits: the stream is read at the end).
 *  `log: false` streams every frame over COM3 instead (~5 us a byte under TCG). */
export async function bootTraced(wasm: Uint8Array, o: { root: string; cores: number; stats: boolean; args: string[]; mem?: string; capture?: boolean; log?: boolean; disk?: DiskSpec; net?: NetQemu; env?: Record<string, string> }):
    Promise<{ raw: RawTrace; code: number; bytes: number; frames: number; ms: number; stdout: string; stderr: string }> {
  if (!Number.isInteger(o.cores) || o.cores < 1 || o.cores > MAX_CORES) throw new BootError(`--cores must be 1..${MAX_CORES}, got ${o.cores}`);
  const m = manifestOf(wasm);
  if (!m?.trace) throw new BootError("the image was built without --trace (rebuild it with aam build --trace)");
  requireTool(QEMU);
  const elf = kernelFor(o.root, wasm);
  const dir = bootTempDir("aam-trace-");
  const file = path.join(dir, "com3");
  try {
    const log = o.log ?? true, ram = path.join(dir, "ram");
    // 2G: the RAM log (at most 256 MiB) still leaves a 1 GiB image memory its whole maximum
    const mem = o.mem ?? (log ? "2G" : undefined);
    const r = await runKernel(elf, o.cores, cmdline(o.args, o.stats, log ? ["tracelog"] : [], o.env), { mem, trace: file, capture: o.capture, ramFile: log ? ram : undefined, fns: m?.fns, sources: sourceRootsOf(m), stdin: 0, disk: o.disk, net: o.net });
    const com3 = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0);
    const stream = log ? Buffer.concat([ramLog(com3, ram), com3]) : com3;
    const { raw, frames, ended } = decodeTraceStream(stream, m, o.cores);
    if (!ended) process.stderr.write(`aam: the trace stream has no END frame (${stream.length} bytes): the machine stopped before its exit path; the trace is partial\n`);
    return { raw, code: r.code, bytes: stream.length, frames, ms: r.ms, stdout: r.stdout, stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface Frame { kind: number; core: number; arg: number; at: number; len: number }

// boot/trace.c's frames, whole ones only; `cut` is where a bad or cut frame starts (-1: none).
function framesOf(buf: Uint8Array): { frames: Frame[]; cut: number } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const frames: Frame[] = [];
  for (let off = 0; off + TF_HEADER <= buf.length;) {
    const len = view.getUint32(off + TF_LEN, true);
    if (view.getUint32(off + TF_MAGIC, true) !== TF_MAGIC_VALUE || off + TF_HEADER + len > buf.length) return { frames, cut: off };
    frames.push({ kind: view.getUint16(off + TF_KIND, true), core: view.getUint16(off + TF_CORE, true), arg: view.getUint32(off + TF_ARG, true), at: off + TF_HEADER, len });
    off += TF_HEADER + len;
  }
  return { frames, cut: -1 };
}

// The RAM log that a LOG frame on COM3 points to, read from the guest RAM file (empty: none).
function ramLog(com3: Buffer, ramFile: string): Buffer {
  const f = framesOf(com3).frames.find((x) => x.kind === TF_KIND_LOG && x.len >= 16);
  if (!f) return Buffer.alloc(0);
  const addr = Number(com3.readBigUInt64LE(f.at)), bytes = Number(com3.readBigUInt64LE(f.at + 8));
  const out = Buffer.alloc(bytes), fd = fs.openSync(ramFile, "r");
  try { fs.readSync(fd, out, 0, bytes, addr); } finally { fs.closeSync(fd); }
  return out;
}

/** Decode boot/trace.c's COM3 stream. The MEM frames come last (at exit) but name the machines
 *  in a TRAP frame's flight recorder too: they are gathered first. */
export function decodeTraceStream(buf: Uint8Array, m: Pick<ImageManifest, "fns">, cores: number): { raw: RawTrace; frames: number; ended: boolean } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const { frames, cut } = framesOf(buf);
  if (cut >= 0) process.stderr.write(`aam: trace stream: bad or cut frame at byte ${cut} of ${buf.length}; the rest is ignored\n`);
  // The records the kernel copied out, laid back at their wasm addresses.
  const mems = frames.filter((f) => f.kind === TF_KIND_MEM);
  let memory: ArrayBuffer | null = null;
  if (mems.length) {
    const out = new Uint8Array(Math.max(...mems.map((f) => f.arg + f.len)));
    for (const f of mems) out.set(buf.subarray(f.at, f.at + f.len), f.arg);
    memory = out.buffer;
  }
  let names: Record<number, string> = { 0: "idle" };
  try { if (memory) names = machineNames(memory); } catch { /* records cut off: ids only */ }
  const events = new TraceEvents(cores);
  let endNs = Infinity, ended = false, taskTraps = 0, fatal = false;
  for (const f of frames) {
    if (f.kind === TF_KIND_EVENTS && f.core < cores) {
      if (events.addSlots(f.core, view, f.at, f.len) < f.len) events.addCut(f.core);   // whole records but for a clamped drain
      events.setLost(f.core, f.arg);
    } else if (f.kind === TF_KIND_TRAP) {                      // as the Node host: every fatal trap, the first task traps
      if (f.arg === 1) fatal = true;                      // printed after the exit's last drain (below)
      else if (++taskTraps <= FLIGHT_TASK_TRAPS) process.stderr.write(events.flightRecorder(12, names, m.fns ?? {}, Infinity));
      else if (taskTraps === FLIGHT_TASK_TRAPS + 1) process.stderr.write(`aam: flight recorder: shown for the first ${FLIGHT_TASK_TRAPS} task traps only\n`);
    }
    else if (f.kind === TF_KIND_END) { endNs = f.len >= 8 ? view.getFloat64(f.at, true) : Infinity; ended = true; }
  }
  if (fatal) process.stderr.write(events.flightRecorder(12, names, m.fns ?? {}, endNs));
  events.finish(endNs);
  let stats: RawTrace["stats"];
  try { if (memory) stats = rawStats(readStats({ buffer: memory }, cores)); } catch { /* cut off */ }
  return { raw: events.raw("qemu", names, m.fns, stats), frames: frames.length, ended };
}
