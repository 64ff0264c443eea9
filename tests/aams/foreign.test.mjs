// foreign.test.mjs: foreign machines as such (docs/ARCHITECTURE.md §8 "Foreign machines"), with the
// zlib module as the example: a trap inside the module (out of bounds in its memory, unreachable,
// a call through a null function pointer) fails that call and marks the module failed, so that
// every later call fails with the reason, while the image and main go on, with the same lines on
// Node and QEMU; the build step fetches sources only with the pinned checksum and rebuilds nothing
// when nothing changed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { aam, image, ROOT, kernelImage, before } from "../lib/aam.mjs";

const HOSTS = [["node", "run"], ["qemu", "boot"]];
let trapImage;

before(test, async () => {
  trapImage = await image("tests/aams/programs/zlib_cases.ts");   // foreign_trap.ts's main as `trap N`
  await kernelImage(trapImage);
});

const KINDS = [["1", "memory access out of bounds"], ["2", "unreachable"], ["3", "indirect call: null or signature mismatch"]];

test("a trap inside the foreign module fails the call, marks the module failed for every later call, and the image goes on: the same on Node and QEMU", async () => {
  for (const [how, what] of KINDS) {
    const outs = [];
    for (const [host, cmd] of HOSTS) {
      const r = await aam([cmd, "--cores", "2", trapImage, "--", "trap", how]);
      assert.is(r.code, 0, `${host} ${how}: ${r.stderr}`);
      const why = `zlib.crash: the module trapped (${what}); it is marked failed and refuses every later call`;
      assert.is(r.stdout, `before: stream 1\nthe call that trapped: ${why}\na later call: zlib.open: ${why}\nmain goes on\n`, `${host} ${how}`);
      assert.not.match(r.stderr, /task trapped/, `${host} ${how}: no task failed`);
      outs.push(r.stdout);
    }
    assert.is(outs[1], outs[0]);
  }
});

test("a second build with unchanged sources runs no compiler (the foreign step is cached by content)", async () => {
  const out = path.join(os.tmpdir(), `aam-foreign-${process.pid}.wasm`);
  try {
    const a = await aam(["build", "examples/zpipe.ts", "-o", out]);
    assert.is(a.code, 0, a.stderr);
    const b = await aam(["build", "examples/zpipe.ts", "-o", out]);
    assert.is(b.code, 0, b.stderr);
    assert.not.match(b.stderr, /foreign module zlib built/, "nothing compiled the second time");
    const m = JSON.parse(fs.readFileSync(out + ".json", "utf8"));
    assert.equal(m.build.foreign.map((f) => f.name), ["zlib"], "the manifest names the module");
  } finally { fs.rmSync(out, { force: true }); fs.rmSync(out + ".json", { force: true }); }
});

test("a recipe whose checksum is not the package's stops the build with both checksums", async () => {
  const dir = fs.mkdtempSync(path.join(ROOT, "build/foreign-bad-"));
  try {
    for (const f of ["zlib.idl", "zlib_glue.c", "index.ts"]) fs.copyFileSync(path.join(ROOT, "aams/zlib", f), path.join(dir, f));
    const recipe = JSON.parse(fs.readFileSync(path.join(ROOT, "aams/zlib/foreign.json"), "utf8"));
    recipe.integrity = "sha512-" + Buffer.alloc(64, 1).toString("base64");
    fs.writeFileSync(path.join(dir, "foreign.json"), JSON.stringify(recipe));
    fs.writeFileSync(path.join(dir, "prog.ts"), 'import { zlibMachine } from "./index";\nexport function machines(): void { zlibMachine(); }\nexport function main(): i32 { return 0; }\n');
    const r = await aam(["build", path.join(dir, "prog.ts"), "-o", path.join(dir, "prog.wasm")]);
    assert.is.not(r.code, 0);
    assert.match(r.stderr, /the tarball's checksum is sha512-t7\/pYg5/);
    assert.match(r.stderr, /refusing to build/);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test.run();
