// paths.ts: the files a command line names, checked before any work starts.
//
// Owns: refusing an input that cannot be used (missing, a folder, not a program, a .wasm that is
// not an AAM image of this contract) and an output that cannot be written (a folder that cannot
// be created or written in, a special file system such as /proc, an output that is a folder or a
// device), each with one line naming the path. Not: the commands' work.
//
// The output folder is made here (tools/build/files.ts makeDirs: level by level, no hang under
// /proc), so that a build of 10–20 s does not end in "cannot write". A folder created here stays
// if the command fails later, as `mkdir -p` would.

import { openDisk, DiskError, type DiskSpec } from "../host/virtio";
import * as fs from "node:fs";
import * as path from "node:path";
import { abiProblem, type ImageManifest } from "../host/manifest";
import { makeDirs } from "../build/files";

/** A path the command line names that cannot be used: the CLI prints it on one line, status 2. */
export class PathError extends Error { name = "PathError"; }

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** An entry .ts or image .wasm that exists and is a file; `.ts` or `.wasm` by name. */
export function checkProgram(file: string): "ts" | "wasm" {
  let st: fs.Stats;
  try { st = fs.statSync(file); } catch { throw new PathError(`${file}: no such file`); }
  if (st.isDirectory()) throw new PathError(`${file}: is a folder, not a program (expected an entry .ts or an image .wasm)`);
  if (!st.isFile()) throw new PathError(`${file}: not a regular file`);
  try { fs.accessSync(file, fs.constants.R_OK); } catch { throw new PathError(`${file}: cannot be read (permission denied)`); }
  if (file.endsWith(".ts")) return "ts";
  if (file.endsWith(".wasm")) return "wasm";
  throw new PathError(`${file}: expected an entry .ts or an image .wasm`);
}

export interface LoadedImage { bytes: Uint8Array; module: WebAssembly.Module; manifest: ImageManifest }

/** An image file: a WebAssembly module with an AAM manifest for this aam's contract. */
export function readImage(file: string): LoadedImage {
  const bytes = fs.readFileSync(file);
  if (bytes.length < 8 || WASM_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new PathError(`${file}: not a WebAssembly module (no \\0asm header; an image comes from aam build)`);
  }
  let module: WebAssembly.Module;
  try { module = new WebAssembly.Module(bytes); } catch (e) {
    throw new PathError(`${file}: not a valid WebAssembly module (${(e as Error).message.replace(/^WebAssembly\.Module\(\): /, "")})`);
  }
  const sec = WebAssembly.Module.customSections(module, "aam.manifest");
  if (!sec.length) throw new PathError(`${file}: not an AAM system image (no aam.manifest section; build it with \`aam build\`)`);
  let manifest: ImageManifest;
  try { manifest = JSON.parse(Buffer.from(sec[0]).toString("utf8")); } catch {
    throw new PathError(`${file}: its aam.manifest section is not JSON`);
  }
  if (manifest.format !== "aam-image/1") throw new PathError(`${file}: unsupported image format ${manifest.format}`);
  const bad = abiProblem(manifest);
  if (bad) throw new PathError(`${file}: ${bad}`);
  return { bytes, module, manifest };
}

/** Make sure `file` can be written: its folder exists (created if missing) and takes a new file,
 *  and `file` itself, if present, is a regular file. `flag` names the option in messages. */
export function prepareOutputFile(file: string, flag: string): void {
  const abs = path.resolve(file);
  let st: fs.Stats | undefined;
  try { st = fs.statSync(abs); } catch { st = undefined; }
  if (st?.isDirectory()) throw new PathError(`${flag} ${file}: is a folder; name the file to write`);
  if (st && !st.isFile()) throw new PathError(`${flag} ${file}: not a regular file`);
  prepareOutputDir(path.dirname(abs), `${flag} ${file}`);
}

/** Make sure `dir` is a folder a file can be written in, creating the missing levels. */
export function prepareOutputDir(dir: string, what: string): void {
  const abs = path.resolve(dir);
  try { makeDirs(abs); } catch (e) {
    const x = e as NodeJS.ErrnoException;
    if (x.code === "ENOTDIR" && x.path) throw new PathError(`${what}: ${x.path} is not a folder`);
    throw new PathError(`${what}: cannot create the folder ${x.path ?? abs} (${reason(e)})`);
  }
  // Root passes every permission check: the only sure test is to create a file there.
  const probe = path.join(abs, `.aam-probe-${process.pid}`);
  try {
    fs.closeSync(fs.openSync(probe, "wx"));
    fs.rmSync(probe, { force: true });
  } catch (e) {
    throw new PathError(`${what}: cannot write in the folder ${abs} (${reason(e)})`);
  }
}

function reason(e: unknown): string {
  const x = e as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    EACCES: "permission denied", EPERM: "not permitted", EROFS: "read-only file system",
    ENOENT: "the file system does not allow it", ENOTDIR: "a part of the path is not a folder",
    ENOSPC: "no space left", EEXIST: "exists", EISDIR: "is a folder",
  };
  return x?.code ? `${why[x.code] ?? x.code}${why[x.code] ? `, ${x.code}` : ""}` : String(e);
}

/** `--disk img[:ro]`: a readable (and, without :ro, writable) regular file of whole 512-byte
 *  sectors, checked here so that a bad disk is one line and status 2 before anything is built. */
export function checkDisk(d: DiskSpec): void {
  try {
    const { fd } = openDisk(d);
    fs.closeSync(fd);
  } catch (e) {
    if (e instanceof DiskError) throw new PathError(e.message);
    throw e;
  }
}
