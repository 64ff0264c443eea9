// stdio.test.mjs: a program's standard input and binary standard output (runtime/sys/stdio.ts) on
// both hosts: `aam run` (Node, 2 cores) and `aam boot` (QEMU, -smp 2). Programs in programs/:
// cat (stdin to stdout), count (bytes and a hash of them), readers (several tasks read at once),
// interleave (println, print and stdoutWrite mixed), yes (writes until its reader goes away).
// Inputs are made here (random ones from crypto, compared by sha-256), through a pipe or as a file.
// Nothing depends on timing: every program runs to its end or to its reader's.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { aam, image, AAM, kernelImage, before } from "../lib/aam.mjs";

const P = (n) => `tests/stdio/programs/${n}.ts`;
const PROGRAMS = ["cat", "count", "readers", "interleave", "yes"];
const HOSTS = [["node", ["run", "--cores", "2"]], ["qemu", ["boot", "--cores", "2"]]];
const sha = (b) => createHash("sha256").update(b).digest("hex");
const images = {};
let dir, big;                                  // a temp folder; a 10 MB random file in it

before(test, async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "aam-stdio-"));
  big = path.join(dir, "10m");
  fs.writeFileSync(big, randomBytes(10 * 1000 * 1000));
  const queue = [...PROGRAMS];
  const worker = async () => {
    for (let n; (n = queue.shift());) {
      images[n] = await image(P(n));
      await kernelImage(images[n]);               // fills the boot cache
    }
  };
  await Promise.all([worker(), worker()]);
});
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

const run = (host, prog, o = {}, args = []) =>
  aam([...HOSTS.find((h) => h[0] === host)[1].slice(0, 1), images[prog], ...HOSTS.find((h) => h[0] === host)[1].slice(1), "--", ...args], { binary: true, ...o });

// FNV-1a of the byte-value histogram, as readers.ts prints it.
function histogram(b) {
  const c = new Uint32Array(256);
  for (const x of b) c[x]++;
  let h = 0x811c9dc5;
  for (let v = 0; v < 256; v++) for (let k = 0; k < 4; k++) h = Math.imul(h ^ ((c[v] >>> (k * 8)) & 0xff), 0x01000193) >>> 0;
  return h.toString(16);
}
function fnv(b) {
  let h = 0x811c9dc5;
  for (const x of b) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  return h.toString(16);
}

const SMALL = [
  ["empty input", Buffer.alloc(0)],
  ["1 byte", Buffer.from([0x41])],
  ["text with lines and no final newline", Buffer.from("first line\nsecond line\r\nthird\tline without newline")],
  ["all 256 byte values, twice", Buffer.from([...Array(512).keys()].map((i) => i & 255))],
];

for (const [host] of HOSTS) {
  test(`${host}: cat copies stdin to stdout byte for byte: empty, 1 byte, text, all 256 byte values`, async () => {
    for (const [what, input] of SMALL) {
      const r = await run(host, "cat", { input });
      assert.is(r.code, 0, `${what}: status; stderr:\n${r.stderr}`);
      assert.is(r.stdout.toString("hex"), input.toString("hex"), `${what}: stdout`);
      assert.is(r.stderr, "", `${what}: stderr`);
    }
  });

  test(`${host}: cat copies 1 MB of random bytes through pipes, in reads of 7 bytes and of 64 KiB (sha-256)`, async () => {
    const input = randomBytes(1000 * 1000);
    for (const size of ["7", "65536"]) {
      const r = await run(host, "cat", { input }, [size]);
      assert.is(r.code, 0, `reads of ${size}: ${r.stderr}`);
      assert.is(r.stdout.length, input.length, `reads of ${size}: length`);
      assert.is(sha(r.stdout), sha(input), `reads of ${size}: sha-256`);
    }
  });

  test(`${host}: cat copies a 10 MB random file given as stdin (sha-256)`, async () => {
    const r = await run(host, "cat", { input: { file: big } });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.length, 10 * 1000 * 1000);
    assert.is(sha(r.stdout), sha(fs.readFileSync(big)));
  });

  test(`${host}: count reads 10 MB through a pipe and sees every byte once`, async () => {
    const input = fs.readFileSync(big);
    const r = await run(host, "count", { input, binary: false });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, `bytes ${input.length} fnv ${fnv(input)}\n`);
  });

  test(`${host}: stdin from /dev/null is the end of input at the first read`, async () => {
    const r = await run(host, "count", { input: { file: "/dev/null" }, binary: false });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, "bytes 0 fnv 811c9dc5\n");
  });

  test(`${host}: 6 tasks reading at once get disjoint pieces: together the input's bytes, none lost or twice`, async () => {
    const input = randomBytes(1000 * 1000);
    const r = await run(host, "readers", { input, binary: false }, ["6"]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, `readers 6 bytes ${input.length} histogram ${histogram(input)} errors 0\n`);
  });

  test(`${host}: println, print and stdoutWrite keep their order; NUL, CR and 0xff pass untranslated`, async () => {
    const parts = [];
    for (let i = 0; i < 50; i++) parts.push(Buffer.from(`line ${i}\n`), Buffer.from([0, 13, 0xff, i]), Buffer.from(`<${i}>b\n`));
    parts.push(Buffer.from("no newline at the end"));
    const r = await run(host, "interleave");
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.toString("hex"), Buffer.concat(parts).toString("hex"));
  });

  test(`${host}: a reader that goes away (| head -c 10) ends the program with status 141, quietly`, () => {
    const [cmd, ...opts] = HOSTS.find((h) => h[0] === host)[1];
    const out = path.join(dir, `head-${host}`), err = path.join(dir, `err-${host}`);
    const q = (s) => `'${s}'`;
    const sh = `${q(process.execPath)} ${q(AAM)} ${cmd} ${q(images.yes)} ${opts.join(" ")} 2>${q(err)} | head -c 10 >${q(out)}; echo \${PIPESTATUS[0]}`;
    const r = spawnSync("bash", ["-c", sh], { encoding: "utf8", timeout: 300000 });
    assert.is(r.stdout.trim(), "141", `status; stderr:\n${fs.readFileSync(err, "utf8")}${r.stderr}`);
    assert.is(fs.readFileSync(out, "utf8"), "y\nyyyyyyyy");
    assert.is(fs.readFileSync(err, "utf8"), "");
  });

  test(`${host}: a program that never reads stdin leaves it to the next reader`, () => {
    const [cmd, ...opts] = HOSTS.find((h) => h[0] === host)[1];
    const q = (s) => `'${s}'`;
    const sh = `printf 'left for cat' | { ${q(process.execPath)} ${q(AAM)} ${cmd} ${q(images.interleave)} ${opts.join(" ")} >/dev/null; cat; }`;
    const r = spawnSync("bash", ["-c", sh], { encoding: "utf8", timeout: 300000 });
    assert.is(r.stdout, "left for cat", r.stderr);
  });
}

test.run();
