// yes.ts: writes "y\n" and binary blocks to stdout forever: ends only when its reader goes away.
import { stdoutWrite, println, heapAlloc } from "aam";

export function main(): i32 {
  let buf = heapAlloc(4096);
  memory.fill(buf, 0x79, 4096);
  while (true) {
    println("y");
    stdoutWrite(buf, 4096);
  }
  return 0;
}
