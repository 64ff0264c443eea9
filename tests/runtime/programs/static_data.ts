// static_data.ts: core 0 changes static data while the other cores are still being started
// (run with AAM_HOST_STAGGER_MS so that cores 1..N start later); after boot every core checks
// that it sees core 0's values, not the image's initial ones copied in again.
import { coreId, coreCount, println } from "aam";

const table: StaticArray<u32> = [11, 22, 33, 44, 55, 66, 77, 88];
let greeting = "initial";          // a module-level let is per core (a wasm global): not shared

// Module-level code runs on every core at instantiation, before the boot barrier.
if (coreId() == 0) {
  for (let i = 0; i < table.length; i++) table[i] = 1000 + <u32>i;
  greeting = "core 0 changed its own copy";
}

export function percore(): void {
  let ok = true;
  for (let i = 0; i < table.length; i++) if (table[i] != 1000 + <u32>i) ok = false;
  println("core " + coreId().toString() + (ok ? " sees core 0's static data" : " sees re-copied static data: " + table[0].toString()) +
    "; its greeting: " + greeting);
  if (!ok) atomic.add<u32>(changetype<usize>(failures), 1);
}

const failures: StaticArray<u32> = [0];

export function main(): i32 {
  let f = atomic.load<u32>(changetype<usize>(failures));
  println("cores " + coreCount().toString() + " failures " + f.toString());
  return f == 0 ? 0 : 1;
}
