// aes_bench.ts: the in-image half of the aes rows of `aam bench machines` (tools/bench/aes.ts):
// machine aes encrypts MiB mebibytes per round through `streams` client tasks at once (each its
// own context, 1 MiB updates over its share), timed per round with now(). Prints the round times
// in ns as its last line, a JSON array. Arguments: mode (ctr|cbc|gcm) key-bits MiB rounds streams
// [flags: open's, e.g. 2 for AES_CONSTTIME].
import { Task, WaitGroup, args, println, now, heapAlloc, spawnDetached } from "aam";
import { AesMode, AesDir, connectAes, AesClient } from "../../../aams/aes/aes_igen_client";
import { defineAes } from "../../../aams/aes/machine";

export function machines(): void { defineAes(); }

const UPDATE: u32 = 1 << 20;
const PARAMS = memory.data(32);           // mode, key bits, bytes per stream, data, out, flags, client

// One stream: its share of the data through one context, in 1 MiB updates.
function stream(t: Task): u64 {
  let c = AesClient.fromArg(load<u64>(PARAMS + 24));
  let mode = <AesMode>load<u32>(PARAMS), bits = load<u32>(PARAMS + 4), share = load<u32>(PARAMS + 8);
  let src = <usize>load<u32>(PARAMS + 12) + <usize>t.arg0 * share, dst = <usize>load<u32>(PARAMS + 16) + <usize>t.arg0 * (share + 16);
  let key = src;                          // any bytes will do as key and IV
  let h = c.openSync(mode, AesDir.AES_ENCRYPT, key, bits >> 3, key, mode == AesMode.AES_GCM ? 12 : 16, load<u32>(PARAMS + 20));
  let out: u32 = 0;
  for (let i: u32 = 0; i < share; i += UPDATE) out += c.updateSync(h, src + i, min(UPDATE, share - i), dst + out, share + 16 - out);
  c.finalSync(h, dst + out, 16, dst + out + 16 > dst + share + 16 ? dst : dst + share);
  WaitGroup.fromArg(t.arg1).done();
  return 0;
}

export function main(): i32 {
  let a = args();
  let mode = a[1] == "ctr" ? AesMode.AES_CTR : a[1] == "cbc" ? AesMode.AES_CBC : AesMode.AES_GCM;
  let bits = <u32>I32.parseInt(a[2]), mib = <u32>I32.parseInt(a[3]), rounds = I32.parseInt(a[4]), streams = <u32>I32.parseInt(a[5]);
  let bytes = mib << 20, share = bytes / streams;
  let data = heapAlloc(<usize>bytes), out = heapAlloc(<usize>bytes + 32 * streams);
  for (let i: u32 = 0; i < bytes; i += 4) store<u32>(data + i, i * 2654435761);
  store<u32>(PARAMS, <u32>mode); store<u32>(PARAMS + 4, bits); store<u32>(PARAMS + 8, share);
  store<u32>(PARAMS + 12, <u32>data); store<u32>(PARAMS + 16, <u32>out);
  store<u32>(PARAMS + 20, a.length > 6 ? <u32>I32.parseInt(a[6]) : 0);
  store<u64>(PARAMS + 24, connectAes(16).asArg());
  let times = "";
  for (let r = -1; r < rounds; r++) {       // round -1 warms up
    let w = WaitGroup.create(streams);
    let t0 = now();
    for (let s: u32 = 0; s < streams; s++) spawnDetached(stream, s, w.asArg());
    w.wait();
    let dt = now() - t0;
    w.dispose();
    if (r >= 0) times += (times.length ? "," : "") + dt.toString();
  }
  println("[" + times + "]");
  return 0;
}
