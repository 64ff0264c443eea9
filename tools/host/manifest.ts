// manifest.ts: an image's manifest as the hosts read it, and whether this aam can run the image.
//
// Owns: the ImageManifest type (tools/build/link.ts writes the manifest) and abiProblem. A host runs
// only an image built for its own image↔host contract: the manifest's `abi` must be this aam's
// ABI_HASH (tools/host/abi.ts, from runtime/abi.json). Then every address and offset a host uses
// comes from tools/host/abi.ts, and the manifest's layout numbers are a record for readers, not
// an input. Not: loading an image (node.ts loadImage, tools/boot/boot.ts manifestOf).
//
// Rejected: reading each offset from the manifest (only a few were there, so a host mixed the
// image's numbers with its own; the hash covers all of them at once).

import { ABI_HASH } from "./abi";
import type { TraceLayout } from "../build/link";

export interface ImageManifest {
  format: string;
  abi?: string;                                                         // hash of the contract it was built with
  memory: { initialPages: number; maximumPages: number; coreBase: number; coreRecSize: number; maxCores: number };
  fns?: Record<number, string>;                                         // function-table names
  trace?: TraceLayout;                                                  // built with --trace
  [k: string]: unknown;
}

/** Why this aam cannot run an image with this manifest (another contract), or null. */
export function abiProblem(m: { abi?: unknown }): string | null {
  if (m.abi === ABI_HASH) return null;
  const theirs = typeof m.abi === "string" ? `contract ${m.abi}` : "no contract hash in its manifest";
  return `the image was built for another image↔host contract (${theirs}; this aam has ${ABI_HASH}, runtime/abi.json): rebuild it with this aam`;
}
