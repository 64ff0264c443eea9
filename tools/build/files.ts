// files.ts: writing the build's files: whole or not at all, into folders made one level at a time.
//
// Owns: writeAtomic and makeDirs, for the image cache (cache.ts), the outputs of aam's commands
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
