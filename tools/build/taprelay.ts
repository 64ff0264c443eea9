// taprelay.ts: builds the Node host's TAP relay, build/net/taprelay, from tools/net/taprelay.c.
//
// Owns: compiling it with the system's C compiler (`cc -O2`) when the binary is missing or the
// source changed (the source's SHA-256 is kept next to the binary, build/net/taprelay.sha256),
// through a temporary name and a rename, so that two builds at once both end with a whole binary.
// Not: running it (tools/host/net.ts), the relay's protocol (tools/net/taprelay.c).

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeDirs } from "./files";

export class RelayBuildError extends Error { name = "BuildError"; }

/** The relay's path under `root`, built first if needed. Throws RelayBuildError (one line). */
export function ensureTapRelay(root: string): string {
  const src = path.join(root, "tools/net/taprelay.c");
  const dir = path.join(root, "build/net");
  const bin = path.join(dir, "taprelay"), stamp = bin + ".sha256";
  const hash = createHash("sha256").update(fs.readFileSync(src)).digest("hex");
  let have = "";
  try { have = fs.readFileSync(stamp, "utf8").trim(); } catch { /* never built */ }
  if (have === hash && fs.existsSync(bin)) return bin;
  makeDirs(dir);
  const tmp = `${bin}.tmp-${process.pid}`;
  const r = spawnSync("cc", ["-O2", "-Wall", "-o", tmp, src], { encoding: "utf8" });
  if (r.error) throw new RelayBuildError(`cannot build the TAP relay: cc: ${r.error.message} (install a C compiler: make system-deps)`);
  if (r.status !== 0) { fs.rmSync(tmp, { force: true }); throw new RelayBuildError(`cannot build the TAP relay from ${src}:\n${r.stderr}`); }
  fs.renameSync(tmp, bin);
  fs.writeFileSync(stamp, hash + "\n");
  return bin;
}
