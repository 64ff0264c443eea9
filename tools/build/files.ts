// files.ts: writing the build's files: whole or not at all, into folders made one level at a time.
//
// Owns: writeAtomic, makeDirs and sweepTmp, for the image cache (cache.ts), the outputs of aam's commands
// and the CLI's output checks (tools/cli/paths.ts). Not: what is written.
//
// Why not `fs.mkdirSync(dir, {recursive: true})`: under /proc every level reports ENOENT and
// Node's recursive mkdir retries forever (`aam igen x.idl -o /proc/x` used to hang).

import * as fs from "node:fs";
import * as path from "node:path";

/** Create `dir` and its missing parents, one level at a time; throws the failing level's error
 *  (a Node errno error naming that level in `path`). */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    let st: fs.Stats | undefined;
    try { st = fs.statSync(at); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw e;     // ENOTDIR: a level above is a file, found below
    }
    if (st) {
      if (!st.isDirectory()) throw Object.assign(new Error(`${at} is not a folder`), { code: "ENOTDIR", path: at });
      break;
    }
    missing.unshift(at);
    if (path.dirname(at) === at) break;
  }
  for (const d of missing) {
    try { fs.mkdirSync(d); } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
}

let tmpCount = 0;
/** Write `data` to `file` through a temporary name and a rename: readers see all of it or none. */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}-${tmpCount++}`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Remove what killed processes left in `dir`: files and folders named `NAME.tmp-PID` or
 *  `NAME.tmp-PID-N` (writeAtomic's, the foreign builds' temporaries) whose process no longer
 *  exists. A live process's (this one's included) are kept: it may be about to rename them.
 *  Returns how many went; a folder that does not exist has none. */
export function sweepTmp(dir: string): number {
  let names: string[];
  try { names = fs.readdirSync(dir); } catch { return 0; }
  let gone = 0;
  for (const name of names) {
    const m = /\.tmp-(\d+)(?:-\d+)?$/.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    gone++;
  }
  return gone;
}

// Signal 0 tests for the process without touching it: ESRCH = gone; EPERM = someone else's, alive.
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === "EPERM"; }
}
