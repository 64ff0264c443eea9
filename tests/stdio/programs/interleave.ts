// interleave.ts: println, print and stdoutWrite mixed on one task: stdout must keep their order,
// byte for byte, with binary bytes (NUL, CR, 0xff) and no newline translation.
import { print, println, stdoutWrite, stdoutWriteBytes, heapAlloc } from "aam";

export function main(): i32 {
  let b = heapAlloc(8);
  for (let i = 0; i < 50; i++) {
    println("line " + i.toString());
    store<u8>(b, 0); store<u8>(b + 1, 13); store<u8>(b + 2, 0xff); store<u8>(b + 3, <u8>i);
    stdoutWrite(b, 4);
    print("<" + i.toString() + ">");
    let a = new Uint8Array(2);
    a[0] = 0x62; a[1] = 10;                 // "b\n"
    stdoutWriteBytes(a);
  }
  print("no newline at the end");
  return 0;
}
