// aes_host.ts: machine aes (aams/aes) serving calls from JS on the Node host
// (tests/aams/aes-host-driver.ts, through the generated aes_igen_host.ts) until the host stops it.
// Slots of 24 MiB: gcm_decrypt takes a whole message (10 MB in the corpus) in and out in one call.
import { hostServe } from "aam";
import { defineAes } from "../../../aams/aes/machine";

export function machines(): void { defineAes({ maxCores: 2 }); }

export function main(): i32 { return hostServe(2, 24 << 20); }
