#!/usr/bin/env node
// aam: launcher. Rebuilds the bundled tools when a source is newer, then runs the CLI.
import { stale, bundle } from "../bundle.mjs";
if (stale()) {
  try { await bundle(); } catch (e) { process.stderr.write(`aam: ${e.message}\n`); process.exit(1); }
}
await import("../../build/tools/aam.mjs");
