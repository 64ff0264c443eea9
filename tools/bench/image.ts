// image.ts: what the machine benchmarks share: run a benchmark image on the Node host and read
// the JSON line it prints last, and time a baseline's call in nanoseconds.
// Not: statistics (stats.ts), building images (build/cache.ts: the caller builds, cached).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runImage } from "../host/node";

/** Runs `wasm` on `cores` cores with `args` (args[0] is the program's name); returns the JSON of
 *  its stdout's last line. Throws with the output if it exits non-zero. */
export async function benchImage(wasm: Uint8Array, cores: number, args: string[]): Promise<any> {
  const tmp = path.join(os.tmpdir(), `aam-bench-${args[0]}-${process.pid}-${Date.now()}.out`);
  const fd = fs.openSync(tmp, "w+");
  try {
    const module = new WebAssembly.Module(wasm);
    const manifest = JSON.parse(Buffer.from(WebAssembly.Module.customSections(module, "aam.manifest")[0]).toString("utf8"));
    const r = await runImage({ module, manifest, cores, args, fds: [fd, 2] });
    const text = fs.readFileSync(tmp, "utf8");
    if (r.code !== 0) throw new Error(`${args.join(" ")} exited ${r.code}: ${text}`);
    return JSON.parse(text.trim().split("\n").pop()!);
  } finally { fs.closeSync(fd); fs.rmSync(tmp, { force: true }); }
}

/** Nanoseconds `fn` takes. */
export function timeNs(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0);
}
