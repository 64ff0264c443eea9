// foreign_kernel.test.ts: tools/boot/foreign.ts foreignKernelObject, the kernel object of a
// foreign module (zlib here, at -O0 to keep it short): wasm2c's C of the module is an object of
// its own whose key leaves out the kernel headers, so a new ABI field (boot/abi*.h) rebuilds only
// the wrapper, while a change to what the module's C includes (wasm-rt.h) rebuilds the module;
// old objects are pruned to the three used last of each kind. Works in a scratch copy of boot/
// (the real one is not touched); the objects go to the scratch root's build/.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildForeign } from "../../tools/build/foreign";
import { foreignKernelObject } from "../../tools/boot/foreign";

const ROOT = path.resolve(__dirname, "../..");

test("a kernel-header change rebuilds only the foreign wrapper, a wasm-rt.h change the module's object too; a hit is a use of both; stale objects are pruned to three of each kind", async () => {
  const f = await buildForeign(ROOT, path.join(ROOT, "aams/zlib"));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "aam-fk-"));
  try {
    fs.cpSync(path.join(ROOT, "boot"), path.join(root, "boot"), { recursive: true });
    fs.mkdirSync(path.join(root, "tools/boot"), { recursive: true });
    fs.copyFileSync(path.join(ROOT, "tools/boot/foreign.ts"), path.join(root, "tools/boot/foreign.ts"));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(root, "node_modules"));
    const dir = path.join(root, "build/foreign/kernel");
    const mods = () => fs.readdirSync(dir).filter((n) => /^zlib-mod-[0-9a-f]{32}\.o$/.test(n)).sort();
    const joined = () => fs.readdirSync(dir).filter((n) => /^zlib-[0-9a-f]{32}\.o$/.test(n));
    const ino = (n: string) => fs.statSync(path.join(dir, n)).ino;

    const o1 = foreignKernelObject(root, f, "-O0");
    assert.ok(fs.statSync(o1).size > 0);
    assert.is(mods().length, 1);
    const m1 = mods()[0], i1 = ino(m1);
    assert.is(foreignKernelObject(root, f, "-O0"), o1, "unchanged: the same object");
    const old = new Date("2001-01-01T00:00:00Z");
    fs.utimesSync(path.join(dir, m1), old, old);
    foreignKernelObject(root, f, "-O0");
    assert.ok(fs.statSync(path.join(dir, m1)).mtimeMs > old.getTime() + 1000, "a hit counts as a use of the module's object too (prune keeps it)");

    fs.appendFileSync(path.join(root, "boot/abi.h"), "\n// a new ABI field\n");
    const o2 = foreignKernelObject(root, f, "-O0");
    assert.is.not(o2, o1, "a kernel header changed: a new joined object");
    assert.equal(mods(), [m1], "the module's object is the same file");
    assert.is(ino(m1), i1, "and was not written again");

    fs.appendFileSync(path.join(root, "boot/wasm-rt.h"), "\n// the runtime header changed\n");
    foreignKernelObject(root, f, "-O0");
    assert.is(mods().length, 2, "wasm-rt.h changed: the module compiled again");

    for (let k = 0; k < 3; k++) {
      fs.appendFileSync(path.join(root, "boot/abi.h"), `\n// field ${k}\n`);
      foreignKernelObject(root, f, "-O0");
    }
    assert.is(joined().length, 3, "joined objects pruned to three");
    assert.is(mods().length, 2);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test.run();
