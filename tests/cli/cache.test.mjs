// The image cache (tools/build/cache.ts): a second run of an unchanged program reads its image
// back; any change to what goes into the image is a miss. Hits and misses are read from
// `--verbose` ("aam: cache hit: …" / "aam: cache miss: …") and from the cache folder's files,
// never from timing. Each test uses a cache folder under a temporary folder ($AAM_CACHE_DIR).
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { aam, ROOT } from "../lib/aam.mjs";

const TMP = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "aam-cache-")));
test.after(() => fs.rmSync(TMP, { recursive: true, force: true }));
const write = (rel, text) => { const f = path.join(TMP, rel); fs.mkdirSync(path.dirname(f), { recursive: true }); fs.writeFileSync(f, text); return f; };
const CACHE = path.join(TMP, "cache");
const entries = (dir = CACHE) => fs.readdirSync(dir).filter((f) => f.endsWith(".json")).length;

const MAIN = write("prog/main.ts", 'import { println } from "aam";\nimport { word } from "./lib";\nexport function main(): i32 { println("word: " + word()); return 0; }\n');
write("prog/lib.ts", 'export function word(): string { return "one"; }\n');

/** `aam run MAIN --verbose …`: "hit" or "miss", and what the program printed. */
async function run(args = [], env = {}, file = MAIN) {
  const r = await aam(["run", file, "--cores", "1", "--verbose", ...args], { env: { AAM_CACHE_DIR: CACHE, ...env } });
  assert.is(r.code, 0, r.stderr);
  const m = /^aam: cache (hit|miss)[ :(]/m.exec(r.stderr);
  assert.ok(m, `no cache line in: ${r.stderr}`);
  return { cache: m[1], out: r.stdout, stderr: r.stderr };
}

test("a second run of an unchanged program reads its image from the cache: one entry, one image", async () => {
  const first = await run();
  assert.is(first.cache, "miss");
  assert.is(first.out, "word: one\n");
  const second = await run();
  assert.is(second.cache, "hit");
  assert.is(second.out, "word: one\n");
  const files = fs.readdirSync(CACHE).sort();
  assert.is(files.length, 2, files.join(" "));
  assert.ok(files.some((f) => /^[0-9a-f]{64}\.wasm$/.test(f)) && files.some((f) => /^[0-9a-f]{32}\.json$/.test(f)), files.join(" "));
});

test("aam build from the cache writes the same image and manifest a build writes", async () => {
  const out = path.join(TMP, "out/main.wasm");
  const r = await aam(["build", MAIN, "-o", out, "--verbose"], { env: { AAM_CACHE_DIR: CACHE } });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^aam: cache hit: /m);
  const [img] = fs.readdirSync(CACHE).filter((f) => f.endsWith(".wasm"));
  assert.equal(fs.readFileSync(out), fs.readFileSync(path.join(CACHE, img)));
  const embedded = WebAssembly.Module.customSections(new WebAssembly.Module(fs.readFileSync(out)), "aam.manifest")[0];
  assert.equal(JSON.parse(fs.readFileSync(out + ".json", "utf8")), JSON.parse(Buffer.from(embedded).toString()));
});

test("editing a file the program imports is a miss, and the new image runs the new code", async () => {
  write("prog/lib.ts", 'export function word(): string { return "two"; }\n');
  assert.equal(await run().then((r) => [r.cache, r.out]), ["miss", "word: two\n"]);
  assert.equal(await run().then((r) => [r.cache, r.out]), ["hit", "word: two\n"]);
});

test("a new file that changes what an import resolves to is a miss (asc looked for it and did not find it)", async () => {
  const main = write("res/main.ts", 'import { println } from "aam";\nimport { which } from "./dep";\nexport function main(): i32 { println(which()); return 0; }\n');
  write("res/dep/index.ts", 'export function which(): string { return "dep/index.ts"; }\n');
  assert.equal(await run([], {}, main).then((r) => [r.cache, r.out]), ["miss", "dep/index.ts\n"]);
  write("res/dep.ts", 'export function which(): string { return "dep.ts"; }\n');
  assert.equal(await run([], {}, main).then((r) => [r.cache, r.out]), ["miss", "dep.ts\n"]);
});

test("a define is part of the key: a new value is a miss, the same one again a hit", async () => {
  assert.is((await run(["--define", "AAM_STALL_MS=0"])).cache, "miss");
  assert.is((await run(["--define", "AAM_STALL_MS=0"])).cache, "hit");
  assert.is((await run()).cache, "hit");                      // the entry without the define is still there
});

test("an environment variable the build reads (AAM_LINK_ACTIVE_DATA, tools/build/link.ts) is part of the key", async () => {
  assert.is((await run([], { AAM_LINK_ACTIVE_DATA: "1" })).cache, "miss");
  assert.is((await run([], { AAM_LINK_ACTIVE_DATA: "1" })).cache, "hit");
  assert.is((await run()).cache, "hit");
});

test("editing a runtime file is a miss; undoing the edit finds the earlier entry again", async () => {
  const file = path.join(ROOT, "runtime/index.ts");
  const text = fs.readFileSync(file);
  try {
    fs.writeFileSync(file, Buffer.concat([text, Buffer.from("// cache.test.mjs: a runtime edit\n")]));
    assert.is((await run()).cache, "miss");
  } finally {
    fs.writeFileSync(file, text);
  }
  assert.is((await run()).cache, "hit");
});

test("--no-cache builds even when an entry matches; over AAM_CACHE_MB the least recently used entries go, the new one stays", async () => {
  const before = entries();
  assert.ok(before >= 3, `${before} entries`);
  const r = await run(["--no-cache"], { AAM_CACHE_MB: "0.001" });
  assert.match(r.stderr, /^aam: cache miss \(--no-cache\): /m);
  const left = fs.readdirSync(CACHE);
  assert.is(left.length, 2, left.join(" "));               // the new entry and its image
  assert.is((await run()).cache, "hit");
});

test("every environment variable tools/build/ reads is in the key (BUILD_ENV) or turns the cache off", () => {
  const dir = path.join(ROOT, "tools/build");
  const cache = fs.readFileSync(path.join(dir, "cache.ts"), "utf8");
  const keyed = JSON.parse(/const BUILD_ENV = (\[[^\]]*\]);/.exec(cache)[1]);
  const own = ["AAM_CACHE_DIR", "AAM_CACHE_MB", "AAM_LINK_DUMP", "AAM_ASYNCIFY_WHY"];   // the cache's own settings; the dump and the why turn it off
  for (const f of fs.readdirSync(dir).filter((f) => /\.(ts|mjs)$/.test(f))) {
    for (const m of fs.readFileSync(path.join(dir, f), "utf8").matchAll(/process\.env(?:\.|\[")([A-Z0-9_]+)/g)) {
      assert.ok(keyed.includes(m[1]) || own.includes(m[1]), `tools/build/${f} reads $${m[1]}, which the image cache's key does not include`);
    }
  }
  assert.match(cache, "process.env.AAM_LINK_DUMP || process.env.AAM_ASYNCIFY_WHY ? null : lookup(");
});

test("a cache folder that takes no file (under /proc): the program still runs, with one line saying so (no hang)", async () => {
  const r = await aam(["run", MAIN, "--cores", "1"], { env: { AAM_CACHE_DIR: "/proc/aam-cache" } });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, "word: two\n");
  assert.is(r.stderr, "aam: image cache /proc/aam-cache: not stored (ENOENT)\n");
});

test("two builds of one program at once both succeed and leave one whole entry", async () => {
  const cache = path.join(TMP, "cache-race");
  const env = { AAM_CACHE_DIR: cache };
  const [a, b] = await Promise.all(["a", "b"].map((n) => aam(["build", MAIN, "-o", path.join(TMP, `race/${n}.wasm`)], { env })));
  assert.is(a.code, 0, a.stderr);
  assert.is(b.code, 0, b.stderr);
  assert.is(entries(cache), 1);
  assert.not.ok(fs.readdirSync(cache).some((f) => f.includes(".tmp-")), "no temporary file left");
  const r = await aam(["run", MAIN, "--cores", "1", "--verbose"], { env });
  assert.match(r.stderr, /^aam: cache hit: /m);
  assert.is(r.stdout, "word: two\n");
});

test.run();
