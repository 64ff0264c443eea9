// zlib.test.mjs: the zlib machine (aams/zlib, the real zlib 1.3.1 as a foreign machine) against
// real peers, both ways, on both hosts: examples/zpipe.ts under `aam run` (Node, 2 cores) and
// `aam boot` (QEMU, 2 cores) compresses what Node's zlib, pigz and zlib-flate read back, and
// reads what they write, over a corpus made here from a seeded generator (empty, 1 byte, text,
// random, highly repetitive, 10 MB; 2 MB under QEMU), in the zlib, gzip and raw formats at levels
// 0, 1, 6 and 9.
// Bad inputs (tests/aams/programs/zlib_errors.ts, run from zlib_cases.ts's image) fail their call with zlib's message or the
// kernel's refusal while the machine goes on and nothing stays allocated; both hosts print the
// same. Nothing depends on timing.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as zlib from "node:zlib";
import * as fs from "node:fs";
import { aam, image, prebuild, kernelImage, before } from "../lib/aam.mjs";

const HOSTS = [["node", "run"], ["qemu", "boot"]];
const sha = (b) => createHash("sha256").update(b).digest("hex").slice(0, 16);
const images = {};

// xorshift32: the same bytes on every run.
function bytes(n, seed) {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; b[i] = x & 255; }
  return b;
}
function text(n, seed) {
  const words = ["machine", "core", "task", "zlib", "deflate", "the", "of", "a", "stream", "memory", "foreign", "call", "\n"];
  const r = bytes(n, seed);
  const out = [];
  let len = 0;
  for (let i = 0; len < n; i++) { const w = words[r[i % n] % words.length] + " "; out.push(w); len += w.length; }
  return Buffer.from(out.join("")).subarray(0, n);
}
const CORPUS = [
  ["empty", Buffer.alloc(0)],
  ["1 byte", Buffer.from([0x7a])],
  ["text 60 KB", text(60000, 7)],
  ["random 200 KB", bytes(200000, 11)],
  ["repetitive 1 MB", Buffer.alloc(1 << 20, "abcabcabd")],
];
let bigAll;                                     // 10 MB: text and random blocks, interleaved
const FORMATS = ["zlib", "gzip", "raw"];
const LEVELS = [0, 1, 6, 9];
const inflate = { zlib: zlib.inflateSync, gzip: zlib.gunzipSync, raw: zlib.inflateRawSync };
const deflate = { zlib: zlib.deflateSync, gzip: zlib.gzipSync, raw: zlib.deflateRawSync };

before(test, async () => {
  const parts = [];
  for (let i = 0; i < 10; i++) parts.push(i % 2 ? bytes(1 << 20, 100 + i) : text(1 << 20, 200 + i));
  bigAll = Buffer.concat(parts).subarray(0, 10 * 1000 * 1000);
  await prebuild([["examples/zpipe.ts"], ["tests/aams/programs/zlib_cases.ts"]]);
  for (const n of ["examples/zpipe.ts", "tests/aams/programs/zlib_cases.ts"]) {
    images[n] = await image(n);
    await kernelImage(images[n]);                 // the kernel, with the zlib object
  }
});

// Node's zlib is zlib too: its message for an input is the one ours must give.
function nodeError(fn) {
  try { fn(); } catch (e) { return e.message; }
  return "(no error)";
}

const zpipe = (cmd, args, input) => aam([cmd, "--cores", "2", images["examples/zpipe.ts"], "--", ...args], { input, binary: true });

for (const [host, cmd] of HOSTS) {
  test(`${host}: zpipe -c output, every format and level, inflates with Node's zlib to the corpus`, async () => {
    let k = 0;
    for (const [what, input] of CORPUS) {
      for (const format of FORMATS) {
        const level = LEVELS[k++ % LEVELS.length];
        const r = await zpipe(cmd, ["-c", "--format", format, "--level", String(level)], input);
        assert.is(r.code, 0, `${what}, ${format} ${level}: ${r.stderr}`);
        assert.is(sha(inflate[format](r.stdout)), sha(input), `${what}, ${format} level ${level}`);
      }
    }
  });

  test(`${host}: zpipe -d reads what Node's zlib writes, every format and level`, async () => {
    let k = 1;
    for (const [what, input] of CORPUS) {
      for (const format of FORMATS) {
        const level = LEVELS[k++ % LEVELS.length];
        const r = await zpipe(cmd, ["-d", "--format", format], deflate[format](input, { level }));
        assert.is(r.code, 0, `${what}, ${format} ${level}: ${r.stderr}`);
        assert.is(sha(r.stdout), sha(input), `${what}, ${format} level ${level}`);
      }
    }
  });

  // 10 MB on Node; 2 MB under QEMU, whose TCG took 42 s for the 10 (the same image: what the
  // size adds, many deflate blocks and window wraps, is the same code on both hosts)
  test(`${host}: pigz and zlib-flate read ${host === "qemu" ? 2 : 10} MB that zpipe compressed, and zpipe reads theirs`, async () => {
    const big = host === "qemu" ? bigAll.subarray(0, 2 * 1000 * 1000) : bigAll;
    const gz = await zpipe(cmd, ["-c", "--format", "gzip", "--level", "6"], big);
    assert.is(gz.code, 0, gz.stderr);
    const pd = spawnSync("pigz", ["-dc"], { input: gz.stdout, maxBuffer: 1 << 26 });
    assert.is(pd.status, 0, String(pd.stderr));
    assert.is(sha(pd.stdout), sha(big), "pigz -d of our gzip");
    const zl = await zpipe(cmd, ["-c", "--level", "1"], big);
    const fd = spawnSync("zlib-flate", ["-uncompress"], { input: zl.stdout, maxBuffer: 1 << 26 });
    assert.is(fd.status, 0, String(fd.stderr));
    assert.is(sha(fd.stdout), sha(big), "zlib-flate -uncompress of our zlib");
    for (const [peer, args, format] of [["pigz", ["-c", "-9"], "gzip"], ["pigz", ["-z", "-c"], "zlib"], ["zlib-flate", ["-compress=9"], "zlib"]]) {
      const p = spawnSync(peer, args, { input: big, maxBuffer: 1 << 26 });
      assert.is(p.status, 0, String(p.stderr));
      const r = await zpipe(cmd, ["-d", "--format", format], p.stdout);
      assert.is(r.code, 0, `${peer} ${args.join(" ")}: ${r.stderr}`);
      assert.is(sha(r.stdout), sha(big), `${peer} ${args.join(" ")}`);
    }
  });

  test(`${host}: truncated, corrupted and mislabelled inputs end zpipe with zlib's message and status 1`, async () => {
    const good = zlib.deflateSync(CORPUS[2][1]);
    const cases = [
      ["truncated", good.subarray(0, good.length >> 1), "zlib", "inflate: unexpected end of input (the compressed stream is truncated)"],
      ["corrupted header", Buffer.concat([Buffer.from([0x78, 0x00]), good.subarray(2)]), "zlib", "inflate: incorrect header check"],
      ["zlib read as gzip", good, "gzip", "inflate: incorrect header check"],
      ["random bytes as raw", bytes(5000, 3), "raw", `inflate: ${nodeError(() => zlib.inflateRawSync(bytes(5000, 3)))}`],
    ];
    for (const [what, input, format, msg] of cases) {
      const r = await zpipe(cmd, ["-d", "--format", format], input);
      assert.is(r.code, 1, `${what}: status`);
      assert.ok(r.stderr.includes(`zpipe: zlib.push: ${msg}`), `${what}: ${r.stderr}`);
    }
    const bad = await zpipe(cmd, ["-c", "--level", "x"], Buffer.alloc(0));
    assert.is(bad.code, 2, "a bad level is a usage error");
  });
}

const EXPECTED_ERRORS = `truncated zlib stream (half): zlib.push: inflate: unexpected end of input (the compressed stream is truncated)
truncated zlib stream (all but the checksum): zlib.push: inflate: unexpected end of input (the compressed stream is truncated)
corrupted header: zlib.push: inflate: incorrect header check
corrupted checksum: zlib.push: inflate: incorrect data check
zlib data read as gzip: zlib.push: inflate: incorrect header check
corrupted blocks: zlib.push: inflate: invalid block type
raw: random bytes: zlib.push: inflate: invalid stored block lengths
level 12: zlib.open: level 12: zlib takes -1 (default) or 0..9
mode 7: zlib.open: mode 7 is neither deflate (0) nor inflate (1)
a stream that is not open: zlib.push: no open stream 999
a pointer into the guard page: machine 'zlib' task push, parameter src: [0x8, +10) is not memory of the calling machine 'main'
an input of 17 MiB in one call: machine 'zlib' task push, parameter src: 17825792 elements of 1 bytes exceed the limit of 16777216 bytes
an output buffer past the end of its block: machine 'zlib' task push, parameter dst: [0xADDR, +100) is not memory of the calling machine 'main'
round trip after the failures: same bytes
machine holds: streams 0, zlib bytes 0
image heap blocks: as before
`;

test("bad inputs fail their call with zlib's message or the kernel's refusal, the machine serves on, nothing leaks: the same lines on Node and QEMU", async () => {
  const outs = [];
  for (const [host, cmd] of HOSTS) {
    const r = await aam([cmd, "--cores", "2", images["tests/aams/programs/zlib_cases.ts"], "--", "errors"]);
    assert.is(r.code, 0, `${host}: ${r.stderr}`);
    const out = r.stdout.replace(/\[0x[0-9a-f]+, \+100\)/, "[0xADDR, +100)");   // where a block lands depends on the core that allocated it
    assert.is(out, EXPECTED_ERRORS, host);
    outs.push(out);
  }
  assert.is(outs[1], outs[0], "Node and QEMU print the same lines (but for a heap address)");
});

test("Node and QEMU compress the same input to the same bytes (one zlib, two hosts)", async () => {
  const input = Buffer.concat([CORPUS[2][1], CORPUS[3][1]]);
  const [a, b] = [await zpipe("run", ["-c", "--format", "gzip", "--level", "9"], input), await zpipe("boot", ["-c", "--format", "gzip", "--level", "9"], input)];
  assert.is(a.code + b.code, 0);
  assert.is(sha(a.stdout), sha(b.stdout));
});

test.run();
