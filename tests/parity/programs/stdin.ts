// stdin.ts: reads all of standard input (stdinReadAll), prints its length and an FNV-1a hash,
// then writes its last line back with stdoutWriteBytes between two println lines.
import { stdinReadAll, stdoutWriteBytes, println } from "aam";

export function main(): i32 {
  let all = Uint8Array.wrap(stdinReadAll());
  let h: u32 = 0x811c9dc5;
  for (let i = 0; i < all.length; i++) h = (h ^ all[i]) * 0x01000193;
  println("stdin: " + all.length.toString() + " bytes, fnv " + h.toString(16));
  let start = all.length - 1;
  while (start > 0 && all[start - 1] != 10) start--;
  println("last line:");
  stdoutWriteBytes(all.subarray(start));
  println("end");
  return 0;
}
