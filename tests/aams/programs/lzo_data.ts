// lzo_data.ts: the corpus of the lzo tests, generated (no files): the same bytes on every host
// and in every run. tests/aams/lzo_peer.test.mjs writes the same corpus from JS (lzo-corpus.mjs
// there must stay the same generator).
//   empty 0 B | one 1 B | text 200 KB of words | random 300 KB (incompressible: stored blocks)
//   repeat 1 MB of a 10-byte cycle | mixed 10 MiB of text, random and zero runs
export const CORPUS: string[] = ["empty", "one", "text", "random", "repeat", "mixed"];

const WORDS: string[] = ["the", "machine", "core", "task", "lzo", "block", "stream", "of", "and", "a",
  "compress", "memory", "shared", "image", "call", "queue", "signal", "data", "offset", "literal"];

// xorshift32: the generator of every random byte here (state in a local: no shared state).
@inline function next(x: u32): u32 { x ^= x << 13; x ^= x >> 17; x ^= x << 5; return x; }

/** Size of item `name`; with p != 0 also writes its bytes at p. */
export function makeCorpus(name: string, p: usize = 0): u32 {
  if (name == "empty") return 0;
  if (name == "one") { if (p) store<u8>(p, 0x41); return 1; }
  if (name == "text") return text(p, 200000, 1);
  if (name == "random") return random(p, 300000, 2);
  if (name == "repeat") {
    if (p) for (let i: u32 = 0; i < 1000000; i++) store<u8>(p + i, <u8>(0x30 + i % 10));
    return 1000000;
  }
  if (name == "mixed") {                              // segments of 1..64 KiB, kind by the generator
    let n: u32 = 10 * 1024 * 1024, at: u32 = 0, x: u32 = 7;
    while (p && at < n) {
      x = next(x);
      let len = min<u32>(n - at, 1024 + (x >> 16));
      let kind = x & 3;
      if (kind == 0) random(p + at, len, x | 1);
      else if (kind == 3) memory.fill(p + at, 0, len);
      else text(p + at, len, x | 1);
      at += len;
    }
    return n;
  }
  return 0;
}

function text(p: usize, n: u32, seed: u32): u32 {
  if (!p) return n;
  let x = seed, at: u32 = 0;
  while (at < n) {
    x = next(x);
    let w = WORDS[x % WORDS.length];
    for (let i = 0; i < w.length && at < n; i++) store<u8>(p + at++, <u8>w.charCodeAt(i));
    if (at < n) store<u8>(p + at++, (x >> 8) % 11 == 0 ? 0x0a : 0x20);
  }
  return n;
}

function random(p: usize, n: u32, seed: u32): u32 {
  if (!p) return n;
  let x = seed;
  for (let i: u32 = 0; i < n; i++) { x = next(x); store<u8>(p + i, <u8>(x >> 24)); }
  return n;
}
