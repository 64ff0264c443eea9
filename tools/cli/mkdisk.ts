// mkdisk.ts: `aam mkdisk img --size 64M [--from dir] [--fat 16|32]`: a FAT disk image made with
// the real tools (mkfs.fat, then mcopy for a folder's files), for machine fs (aams/fs) and
// `--disk`. Owns: checking the size, the paths and the folder before anything is written;
// finding the tools (installing them through tools/system-deps.sh when missing); what the image
// looks like. Not: the file system itself (aams/fs), attaching the image to a system.
//
// The image is FAT32 (`mkfs.fat -F 32`, 512-byte sectors; mkfs.fat picks the cluster size, 512
// bytes up to 256 MiB) from 33 MiB up, FAT16 below (3 to 33 MiB; the smallest cluster that keeps
// under 65525 clusters). FAT32 needs at least 65525 clusters, i.e. about 32.5 MiB with 512-byte
// clusters: mkfs.fat -F 32 makes smaller ones with a warning, but mtools (and aams/fs, which go by
// the cluster count as the specification says) then take them for FAT16 and cannot use them.
// So `aam mkdisk d.img --size 32M` makes FAT16, and says so; `--fat 32` under 33 MiB is refused.
//
// The image is built under a temporary name beside the target and renamed into place once
// mkfs.fat and mcopy succeeded, so a failure leaves no half-made image; an existing file is
// refused (remove it first), never overwritten.
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { PathError, prepareOutputFile } from "./paths";

const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
const MIN = { 16: 3 * 1024 ** 2, 32: 33 * 1024 ** 2 };
const MAX = { 16: 2 * 1024 ** 3, 32: 2 * 1024 ** 4 - 512 };

/** Bytes of a size like 64M, 1G, 33792K, 1048576; a PathError-free message on a bad one. */
export function parseSize(v: string): number | string {
  const m = /^(\d+)([KMGT]?)(i?B)?$/i.exec(v.trim());
  if (!m) return `--size takes a size like 64M, 1G or 40960K, got '${v}'`;
  const bytes = Number(m[1]) * UNITS[m[2].toUpperCase()];
  if (!Number.isSafeInteger(bytes)) return `--size ${v} is too large`;
  if (bytes % 1024 !== 0) return `--size ${v} is not a whole number of KiB`;
  return bytes;
}

// A tool by name: on PATH, else in the sbin folders a non-root PATH lacks.
function findTool(name: string): string | null {
  for (const d of [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/sbin", "/usr/bin", "/bin"]) {
    if (!d) continue;
    const f = path.join(d, name);
    try { fs.accessSync(f, fs.constants.X_OK); return f; } catch { /* next */ }
  }
  return null;
}

function tools(root: string): { mkfs: string; mcopy: string } {
  let mkfs = findTool("mkfs.fat"), mcopy = findTool("mcopy");
  if (!mkfs || !mcopy) {
    spawnSync("sh", [path.join(root, "tools/system-deps.sh")], { stdio: ["ignore", "ignore", "inherit"] });
    mkfs = findTool("mkfs.fat"); mcopy = findTool("mcopy");
  }
  if (!mkfs || !mcopy) throw new PathError(`mkdisk needs mkfs.fat and mcopy: install the Debian packages dosfstools and mtools (tools/system-deps.sh does, as root)`);
  return { mkfs, mcopy };
}

// Every file and folder under dir; refuses what FAT cannot hold the same way.
function checkFolder(dir: string): string[] {
  const top: string[] = [];
  const visit = (d: string, depth: number) => {
    if (depth > 64) throw new PathError(`--from ${dir}: folders nested deeper than 64 (a link loop?)`);
    const seen = new Map<string, string>();
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const key = e.name.toLowerCase();
      if (seen.has(key)) throw new PathError(`--from ${dir}: ${path.relative(dir, p)} and ${seen.get(key)} differ only in case (FAT names ignore case)`);
      seen.set(key, path.relative(dir, p));
      if (/[\x00-\x1f"*:<>?\\|]/.test(e.name) || /[ .]$/.test(e.name)) throw new PathError(`--from ${dir}: ${path.relative(dir, p)} is not a valid FAT name`);
      if (Buffer.byteLength(e.name) > 255) throw new PathError(`--from ${dir}: ${path.relative(dir, p)}: the name is longer than 255 bytes`);
      const st = fs.statSync(p);
      if (st.isDirectory()) visit(p, depth + 1);
      else if (!st.isFile()) throw new PathError(`--from ${dir}: ${path.relative(dir, p)} is neither a file nor a folder`);
      if (d === dir) top.push(p);
    }
  };
  visit(dir, 0);
  return top;
}

/** Makes the image; returns the line to print. Throws PathError (status 2) for a bad command line. */
export function mkdisk(root: string, img: string | undefined, size: string | undefined, from: string | undefined, fat: string | undefined): string {
  if (!img) throw new PathError("aam mkdisk needs an image file: aam mkdisk <img> --size 64M [--from dir] [--fat 16|32]");
  if (!size) throw new PathError("aam mkdisk needs --size (e.g. --size 64M)");
  const bytes = parseSize(size);
  if (typeof bytes === "string") throw new PathError(bytes);
  const bits = fat === undefined ? (bytes >= MIN[32] ? 32 : 16) : fat === "16" ? 16 : fat === "32" ? 32 : NaN;
  if (Number.isNaN(bits)) throw new PathError(`--fat takes 16 or 32, got '${fat}'`);
  const min = MIN[bits as 16 | 32], max = MAX[bits as 16 | 32];
  if (bytes < min) throw new PathError(`--size ${size} is too small for FAT${bits} (at least ${min / 1024 ** 2} MiB${bits === 32 ? ": 65525 clusters of 512 bytes; below that aam mkdisk makes FAT16" : ""})`);
  if (bytes > max) throw new PathError(`--size ${size} is too large for FAT${bits} (at most ${bits === 16 ? "2 GiB" : "2 TiB"})`);
  if (fs.existsSync(img)) throw new PathError(`${img} exists: aam mkdisk does not overwrite (remove it first)`);
  prepareOutputFile(img, "the image");
  let files: string[] = [];
  if (from !== undefined) {
    let st: fs.Stats;
    try { st = fs.statSync(from); } catch { throw new PathError(`--from ${from}: no such folder`); }
    if (!st.isDirectory()) throw new PathError(`--from ${from}: not a folder`);
    files = checkFolder(from);
  }
  const { mkfs, mcopy } = tools(root);
  const tmp = path.join(path.dirname(path.resolve(img)), `.${path.basename(img)}.${process.pid}.tmp`);
  fs.rmSync(tmp, { force: true });
  try {
    let spc = 1;                                            // FAT16: under 65525 clusters
    while (bits === 16 && bytes / 512 / spc > 65000) spc *= 2;
    const args = ["-C", "-F", String(bits), ...(bits === 16 ? ["-s", String(spc)] : []), "-n", "AAM", tmp, String(bytes / 1024)];
    let r = spawnSync(mkfs, args, { encoding: "utf8" });
    if (r.status !== 0) throw new PathError(`mkfs.fat failed: ${(r.stderr || r.stdout || String(r.error)).trim().split("\n").pop()}`);
    if (files.length) {
      r = spawnSync(mcopy, ["-s", "-Q", "-i", tmp, ...files, "::"], { encoding: "utf8", env: { ...process.env, MTOOLS_SKIP_CHECK: "1" }, stdio: ["ignore", "pipe", "pipe"] });
      if (r.status !== 0) {
        const why = (r.stderr || r.stdout || String(r.error)).trim().split("\n").filter(Boolean).pop() ?? "";
        throw new PathError(/full/i.test(why) ? `the files of ${from} do not fit in ${size} (mcopy: ${why})` : `mcopy failed: ${why}`);
      }
    }
    fs.renameSync(tmp, img);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const why = fat === undefined && bits === 16 ? ": FAT32 needs at least 33 MiB" : "";
  return `aam: wrote ${img} (FAT${bits}${why}, ${bytes / 1024 ** 2} MiB${from !== undefined ? `, the files of ${from}` : ""})`;
}
