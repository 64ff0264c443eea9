// tmp.ts: the temporary folders of a boot (COM2 FIFOs, the guest RAM file of up to 2 GiB, COM3).
// Owns: their names (`<prefix><pid>-XXXXXX` in the system's temp folder), the QEMU pid file in
// them, and the sweep that removes those a killed `aam` left behind. Not: what goes in them
// (boot.ts runKernel, bootTraced).
//
// A boot deletes its folder on every exit path it can see (boot.ts: exit, SIGTERM, SIGHUP,
// SIGINT), but nothing runs after a SIGKILL: the folder stays, with a sparse RAM file of 1–2 GiB,
// and QEMU goes on until its guest ends. So the folder carries its owner's pid in its name and
// QEMU's pid in `qemu.pid`; each new boot first removes the folders whose owner is gone, killing
// their QEMU if it still runs. Rejected: a sweep by age (a long boot's folder is old and in use).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const PID_FILE = "qemu.pid";

/** A new folder for this process's boot, after sweeping those of dead processes. */
export function bootTempDir(prefix: string): string {
  sweepBootTempDirs(prefix);
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}${process.pid}-`));
}

/** Record the QEMU that uses folder `dir`, for a sweep after this process was killed. */
export function noteQemu(dir: string, pid: number | undefined): void {
  if (pid !== undefined) fs.writeFileSync(path.join(dir, PID_FILE), String(pid));
}

/** Remove `<prefix><pid>-*` folders whose process no longer runs (and stop their QEMU). Returns
 *  the folders removed. */
export function sweepBootTempDirs(prefix: string): string[] {
  const tmp = os.tmpdir(), gone: string[] = [];
  let names: string[];
  try { names = fs.readdirSync(tmp); } catch { return gone; }
  for (const n of names) {
    const m = n.startsWith(prefix) ? /^(\d+)-/.exec(n.slice(prefix.length)) : null;
    if (!m || running(Number(m[1]))) continue;
    const dir = path.join(tmp, n);
    try {
      const q = Number(fs.readFileSync(path.join(dir, PID_FILE), "utf8"));
      if (q > 0 && isQemu(q)) process.kill(q, "SIGKILL");
    } catch { /* no pid file, or QEMU already gone */ }
    fs.rmSync(dir, { recursive: true, force: true });
    gone.push(dir);
  }
  return gone;
}

function running(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === "EPERM"; }
}

// A recycled pid is not killed: only a process whose command is QEMU's.
function isQemu(pid: number): boolean {
  try { return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0].includes("qemu-system"); } catch { return false; }
}
