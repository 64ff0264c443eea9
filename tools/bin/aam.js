#!/usr/bin/env node
// aam: launcher. Rebuilds the bundled tools when a source is newer, then runs the CLI.
import { stale, bundle } from "../bundle.mjs";
if (stale()) await bundle();
await import("../../build/tools/aam.mjs");
