// lzo.test.mjs: machine lzo (aams/lzo) on the Node host: round trips over the generated corpus,
// corrupt input (every call fails or stays in bounds, nothing leaks, the machine keeps serving),
// and the real lzop both ways through examples/lzo.ts on stdin and stdout.
//
// The pipe tests run the example on 2 cores (lzo on one, main on the other) and the 10 MiB item
// also on 4; the machine itself is tested on 1 and 2 cores by lzo_corpus.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image, prebuild, ROOT, HANG_MS, before } from "../lib/aam.mjs";
import { corpus, corpusFiles, pipe, aamPipe } from "./lzo-corpus.mjs";
import * as fs from "node:fs";
import * as path from "node:path";

const PROGRAM = "tests/aams/programs/lzo_corpus.ts", EXAMPLE = "examples/lzo.ts";
const NAMES = ["empty", "one", "text", "random", "repeat", "mixed"];
let data, files;

before(test, async () => {
  await prebuild([[PROGRAM], [EXAMPLE]]);
  data = corpus();
  files = corpusFiles();
});

test("aams/lzo's checked-in igen outputs are what aam igen makes of lzo.idl today", async () => {
  const dir = path.join(ROOT, "build/test-images/lzo-igen");
  fs.rmSync(dir, { recursive: true, force: true });
  const r = await aam(["igen", "aams/lzo/lzo.idl", "-o", dir]);
  assert.is(r.code, 0, r.stderr);
  for (const f of fs.readdirSync(dir)) {
    assert.is(fs.readFileSync(path.join(dir, f), "utf8"), fs.readFileSync(path.join(ROOT, "aams/lzo", f), "utf8"), `${f} is stale: run aam igen aams/lzo/lzo.idl`);
  }
  assert.is(fs.readdirSync(dir).length, 5);
});

test("corpus: raw LZO1X and lzop round trips of empty, 1 byte, text, random, repetitive and 10 MiB input, with every checksum flag; the same bytes on 1 and 2 cores", async () => {
  const outs = [];
  for (const cores of [1, 2]) {
    const r = await aam(["run", await image(PROGRAM), "--cores", String(cores), "--", "corpus"]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout.trim().split("\n");
    for (const n of [...NAMES, "text+all-checksums", "text+crc32-header", "text+no-checksums"]) {
      assert.ok(lines.some((l) => l.startsWith(n + " in ") && l.endsWith(" ok")), `${n}:\n${r.stdout}`);
    }
    assert.ok(lines.includes("corpus wrong 0"), r.stdout);
    outs.push(r.stdout);
  }
  assert.is(outs[1], outs[0]);
  // Compression that pays: text to about a third, the repetitive MB to under 1 %; random is stored.
  const size = (n, k) => Number(new RegExp(`^${n} in \\d+ raw (\\d+) crc \\S+ lzop (\\d+)`, "m").exec(outs[0])[k]);
  assert.ok(size("text", 1) < 80000, outs[0]);
  assert.ok(size("repeat", 1) < 10000, outs[0]);
  assert.ok(size("random", 2) < 300000 + 100, outs[0]);
});

test("fuzz: truncated and bit-flipped raw and lzop streams, and random bytes, fail the call or decode inside their buffers; no lzop flip changes the output unnoticed; the machine keeps serving; no heap block leaks", async () => {
  const r = await aam(["run", await image(PROGRAM), "--cores", "2", "--", "fuzz", "400"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const line = (what) => r.stdout.split("\n").find((l) => l.startsWith(what + " 400 "));
  assert.match(line("raw truncated"), /failed 400 truncated 0 oversize 0 trailing 0 decoded-same 0 decoded-different 0$/);
  assert.match(line("raw flipped"), /failed \d+ truncated 0 oversize 0 trailing 0/);          // raw LZO1X has no checksum
  assert.match(line("lzop truncated"), /failed 0 truncated 400 oversize 0 trailing 0 decoded-same 0 decoded-different 0$/);
  assert.match(line("lzop flipped"), /decoded-different 0$/);
  assert.match(line("raw random"), /truncated 0 oversize 0 trailing 0 decoded-same 0/);
  assert.ok(r.stdout.includes("guards broken 0, serving after yes, leaked 0"), r.stdout);
});

test("streams: 2 MiB lzop files cut anywhere or with one bit flipped, through lzopDecompress with blocks in flight, always end in an error (never in other bytes)", async () => {
  const r = await aam(["run", await image(PROGRAM), "--cores", "2", "--", "streamfuzz", "100"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^stream cut 100 errors 100; flipped 100 errors \d+ same \d+ different 0$/m);
});

test("corrupt input: the failed call's error names what is wrong and the offset", async () => {
  const r = await aam(["run", await image(PROGRAM), "--cores", "2", "--", "fuzz", "1"]);
  const want = [
    /^raw cut in half: lzo: corrupt LZO1X data at offset \d+: the input ends inside an instruction$/m,
    /^raw with a byte after the end: lzo: corrupt LZO1X data at offset \d+: 1 bytes follow the end marker$/m,
    /^raw into a small buffer: lzo: corrupt LZO1X data at offset \d+: a match of \d+ bytes overruns the output of 1000 bytes$/m,
    /^raw match before the start: lzo: corrupt LZO1X data at offset 16: a match at distance \d+ reaches before the start of the output \(15 bytes decoded\)$/m,
    /^lzop bad magic: lzop: not an lzop file: bad magic at offset 0$/m,
    /^lzop header flipped: lzop: header checksum mismatch at offset \d+: stored 0x[0-9a-f]+, computed 0x[0-9a-f]+$/m,
    /^lzop data flipped: lzop: Adler-32 \(uncompressed data\) checksum mismatch in the block at offset \d+: stored 0x[0-9a-f]+, computed 0x[0-9a-f]+$/m,
  ];
  for (const w of want) assert.match(r.stdout, w);
  // Each failed call is reported as a failed task of machine lzo, and the system goes on.
  assert.match(r.stderr, /task trapped on core \d+ in serve_lzo_decompress \(machine lzo\): lzo: corrupt LZO1X data/);
});

test("lzop -d reads what examples/lzo.ts -c writes, over the corpus, with Adler-32, CRC-32 and no checksums", async () => {
  const img = await image(EXAMPLE);
  for (const name of NAMES) {
    for (const opt of [[], ["--crc32"], ["--no-checksum"]]) {
      const c = aamPipe(img, ["-c", ...opt], data[name], 2);
      assert.is(c.code, 0, `${name} ${opt}: ${c.stderr}`);
      const t = pipe("lzop", ["-t"], c.stdout);
      assert.is(t.code, 0, `lzop -t of ${name} ${opt}: ${t.stderr}`);
      const d = pipe("lzop", ["-dc"], c.stdout);
      assert.is(d.code, 0, `lzop -d of ${name} ${opt}: ${d.stderr}`);
      assert.ok(d.stdout.equals(data[name]), `${name} ${opt}: lzop -d gives ${d.stdout.length} bytes, not the ${data[name].length} given`);
    }
  }
});

test("examples/lzo.ts -d reads what lzop -1, -3, -7, -9, --crc32 and --no-checksum write, over the corpus", async () => {
  const img = await image(EXAMPLE);
  for (const name of NAMES) {
    for (const opt of [["-1"], ["-3"], ["-7"], ["-9"], ["--crc32"], ["--no-checksum"]]) {
      if (name === "mixed" && (opt[0] === "-7" || opt[0] === "-9")) continue;   // lzop -9 of 10 MiB takes ~10 s; the levels are covered on the rest
      const z = pipe("lzop", [...opt, "-c", files[name]]);
      assert.is(z.code, 0, z.stderr);
      const d = aamPipe(img, ["-d"], z.stdout, 2);
      assert.is(d.code, 0, `${name} ${opt}: ${d.stderr}`);
      assert.ok(d.stdout.equals(data[name]), `${name} lzop ${opt}: we give ${d.stdout.length} bytes, not the ${data[name].length} lzop was given`);
    }
  }
});

test("examples/lzo.ts on 4 cores (lzo on 3 at once): the 10 MiB item through -c, lzop -d, lzop -c and -d gives it back", async () => {
  const img = await image(EXAMPLE);
  const c = aamPipe(img, ["-c"], data.mixed, 4);
  assert.is(c.code, 0, c.stderr);
  const d = pipe("lzop", ["-dc"], c.stdout);
  assert.ok(d.code === 0 && d.stdout.equals(data.mixed), `lzop -d: ${d.stderr}`);
  const back = aamPipe(img, ["-d"], pipe("lzop", ["-c", files.mixed]).stdout, 4);
  assert.is(back.code, 0, back.stderr);
  assert.ok(back.stdout.equals(data.mixed), `we gave ${back.stdout.length} bytes`);
});

test("examples/lzo.ts -d: a truncated or corrupted lzop file exits 1 with an error naming what and where; concatenated files decode whole", async () => {
  const img = await image(EXAMPLE);
  const z = pipe("lzop", ["-c", files.text]).stdout;
  const cut = aamPipe(img, ["-d"], z.subarray(0, z.length - 100), 2);
  assert.is(cut.code, 1);
  assert.match(cut.stderr, /^lzop: the input ends inside the block at offset \d+ \(it needs \d+ bytes, \d+ are left\)$/m);
  const flipped = Buffer.from(z);
  flipped[flipped.length - 200] ^= 0x04;
  const bad = aamPipe(img, ["-d"], flipped, 2);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /^lzop: (Adler-32 \(uncompressed data\) checksum mismatch in the block at offset \d+|lzop: block at offset \d+: decompresses to|lzo: corrupt LZO1X data at offset \d+)/m);
  const notLzop = aamPipe(img, ["-d"], Buffer.from("plain text, not an lzop file\n"));
  assert.is(notLzop.code, 1);
  assert.match(notLzop.stderr, /^lzop: not an lzop file: bad magic at offset 0$/m);
  const twice = aamPipe(img, ["-d"], Buffer.concat([z, z]), 2);
  assert.is(twice.code, 0, twice.stderr);
  assert.ok(twice.stdout.equals(Buffer.concat([data.text, data.text])));
  const garbage = aamPipe(img, ["-d"], Buffer.concat([z, Buffer.from("xyz")]));
  assert.is(garbage.code, 1);
  assert.match(garbage.stderr, /^\(the file header at offset \d+\) lzop: not an lzop file: bad magic at offset 0$/m);
});

test("aam bench machines --quick --json: lzo compress and decompress rows on 1 and 2 cores, each with lzop as the baseline of the same run; AES, zlib and SQLite rows beside them", async () => {
  const out = path.join(ROOT, "build/test-images/bench-machines.json");
  // The whole machines benchmark (AES, zlib, SQLite and LZO on 1 and 2 cores, with their native
  // baselines, built on first use): at load 8 on 2 CPUs it took over the default 5-minute hang
  // guard, so this one gets four times that. AAM_BENCH_NO_BUILD=1: better-sqlite3, the SQLite
  // rows' native baseline, is not built here (~2 min of node-gyp on a fresh clone, 83 s of this
  // test's 173 s there); the SQLite rows of the machine itself are checked below, and `make bench`
  // builds and uses the baseline.
  const r = await aam(["bench", "machines", "--quick", "--json", out], { timeoutMs: 4 * HANG_MS, env: { AAM_BENCH_NO_BUILD: "1" } });
  assert.is(r.code, 0, r.stderr);
  const j = JSON.parse(fs.readFileSync(out, "utf8"));
  for (const id of ["lzo_compress", "lzo_decompress"]) {
    for (const cores of [1, 2]) {
      const row = j.lzo.find((x) => x.id === id && x.cores === cores);
      assert.ok(row, `${id} on ${cores}: ${JSON.stringify(j.lzo)}`);
      for (const k of ["mean", "sd", "median", "p99", "n"]) assert.type(row.mb_s[k], "number");
      assert.ok(row.mb_s.median > 0 && row.baseline_mb_s.median > 0 && row.ratio > 0, JSON.stringify(row));
    }
  }
  assert.match(r.stdout, "| lzo compress (LZO1X-1)");
  for (const k of ["aes", "zlib", "sqlite"]) assert.ok(Array.isArray(j[k]) && j[k].length > 0, `${k}: ${JSON.stringify(j[k])}`);
  for (const cores of [1, 2]) {
    for (const op of ["insert", "select"]) {
      const row = j.sqlite.find((x) => x.id === `aam/${op}/batch/${cores}`);
      assert.ok(row && row.op_us.median > 0, `machine sqlite ${op} on ${cores}: ${JSON.stringify(j.sqlite)}`);
    }
  }
});

test.run();
