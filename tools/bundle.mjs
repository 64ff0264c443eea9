// bundle.mjs: builds the `aam` tools (TypeScript) into build/tools/*.mjs with esbuild.
// Run by `make` and, when the bundle is missing or older than a source, by tools/bin/aam.js.
// Refuses to bundle while a file generated from runtime/abi.json is stale (`make abi` rewrites them):
// the tools would disagree with the images they build about where things are.
import * as fs from "node:fs";
import * as path from "node:path";
import { staleMessage } from "./build/abi.mjs";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
export const entries = { aam: "tools/cli/aam.ts", worker: "tools/host/worker.ts", host: "tools/host/node.ts" };   // host: startImage for tests and tools

export function stale() {
  const out = path.join(root, "build/tools/aam.mjs");
  if (!fs.existsSync(out)) return true;
  const t = fs.statSync(out).mtimeMs;
  const newer = (dir) => fs.readdirSync(path.join(root, dir), { withFileTypes: true }).some((e) =>
    e.isDirectory() ? newer(path.join(dir, e.name)) : e.name.endsWith(".ts") && fs.statSync(path.join(root, dir, e.name)).mtimeMs > t);
  const json = (f) => fs.statSync(path.join(root, f)).mtimeMs > t;
  return newer("tools") || newer("igen") || json("runtime/trace-events.json") || json("runtime/abi.json");   // bundled by tools/trace; igen by aam igen/build
}

export async function bundle() {
  const stale = staleMessage(root);
  if (stale) throw new Error(`bundle: ${stale}`);
  const esbuild = await import("esbuild");       // here, not at the top: every `aam` command imports stale()
  await esbuild.build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, path.join(root, v)])),
    outdir: path.join(root, "build/tools"), outExtension: { ".js": ".mjs" },
    bundle: true, splitting: true, platform: "node", format: "esm", target: "node20", packages: "external",
    sourcemap: "inline", logLevel: "warning",
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try { await bundle(); } catch (e) { process.stderr.write(`${e.message}\n`); process.exit(1); }
}
