// defines.test.ts: the table of build-time constants (tools/build/defines.ts). Does every rule
// refuse with its message, is every boundary accepted, and do the defaults, docs/DEFINES.md and
// what runtime/ reads agree with the table? (The builds at the boundaries: cli.test.mjs.)

import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFINES, I32_MAX, checkDefine, checkDefines, ruleOf, DefineError, type Define } from "../../tools/build/defines";

const ROOT = path.resolve(__dirname, "../..");
const byName = (n: string): Define => DEFINES.find((d) => d.name === n)!;
const refused = (name: string, value: string): string => {
  try { checkDefine(name, value); } catch (e) { assert.instance(e, DefineError); return (e as Error).message; }
  assert.unreachable(`${name}=${value} was accepted`);
  return "";
};

test("not a power of two: refused naming the define, the value and the rule (AAM_RING_SLOTS=3 used to trap with 'future: completed twice')", () => {
  assert.is(refused("AAM_RING_SLOTS", "3"), "build: --define AAM_RING_SLOTS=3: must be a power of two between 2 and 65536 slots");
  assert.is(refused("AAM_TRACE_SLOTS", "100"), "build: --define AAM_TRACE_SLOTS=100: must be a power of two between 8 and 1048576 slots");
});

test("below the minimum: refused (AAM_CTX_SIZE=16 used to trap with 'unreachable')", () => {
  assert.is(refused("AAM_CTX_SIZE", "16"), "build: --define AAM_CTX_SIZE=16: must be a whole number between 256 and 1048576 bytes");
  assert.is(refused("AAM_RING_SLOTS", "1"), "build: --define AAM_RING_SLOTS=1: must be a power of two between 2 and 65536 slots");
  assert.is(refused("AAM_TICK_US", "0"), "build: --define AAM_TICK_US=0: must be a whole number between 1 and 2147483647 µs");
  for (const d of DEFINES) if (d.min > 0) assert.match(refused(d.name, String(d.min - 1)), ruleOf(d));
});

test("above the maximum: refused, also past the i32 range that asc would wrap", () => {
  assert.is(refused("AAM_RING_SLOTS", "131072"), "build: --define AAM_RING_SLOTS=131072: must be a power of two between 2 and 65536 slots");
  assert.is(refused("AAM_STEAL", "2"), "build: --define AAM_STEAL=2: must be 0 or 1");
  assert.is(refused("AAM_SPINS", "2147483648"), "build: --define AAM_SPINS=2147483648: must be a whole number between 0 and 2147483647 rounds");
  for (const d of DEFINES) assert.match(refused(d.name, String(d.max * 2)), ruleOf(d));
});

test("not a whole decimal number: refused with the same rule", () => {
  for (const v of ["-1", "4.5", "1e3", "0x10", "", "four", " 4"]) assert.is(refused("AAM_RING_SLOTS", v), `build: --define AAM_RING_SLOTS=${v}: ${ruleOf(byName("AAM_RING_SLOTS"))}`);
  assert.is(refused("AAM_SPINS", "-1"), "build: --define AAM_SPINS=-1: must be a whole number between 0 and 2147483647 rounds");
});

test("a switch takes only 1: AAM_DEBUG=0 would turn the checks on, not off", () => {
  assert.is(refused("AAM_DEBUG", "0"), "build: --define AAM_DEBUG=0: is a switch, on whenever it is defined (=0 too): write AAM_DEBUG=1 or leave it out");
  assert.match(refused("AAM_TRACE", "2"), "is a switch");
  assert.is(checkDefine("AAM_TRACE", "1"), "1");
});

test("an unknown name: refused with the list of known ones; the old AAM_TRACE_EVENTS says what replaced it", () => {
  const all = DEFINES.map((d) => d.name).join(", ");
  assert.is(refused("AAM_RING_SIZE", "4"), `build: --define AAM_RING_SIZE=4: unknown name; known: ${all} (docs/DEFINES.md)`);
  assert.is(refused("ring_slots", "4"), `build: --define ring_slots=4: unknown name; known: ${all} (docs/DEFINES.md)`);
  assert.match(refused("AAM_TRACE_EVENTS", "4096"), "AAM_TRACE_EVENTS is now AAM_TRACE_SLOTS");
});

test("the boundaries and the defaults are accepted, and values go to asc as plain decimals", () => {
  for (const d of DEFINES) {
    assert.is(checkDefine(d.name, String(d.min)), String(d.min), `${d.name} min`);
    assert.is(checkDefine(d.name, String(d.max)), String(d.max), `${d.name} max`);
    if (d.default !== "off") assert.is(checkDefine(d.name, String(d.default)), String(d.default), `${d.name} default`);
  }
  assert.is(checkDefine("AAM_RING_SLOTS", "0004"), "4");
  assert.equal(checkDefines({ AAM_RING_SLOTS: "4", AAM_CTX_SIZE: "01024" }), { AAM_RING_SLOTS: "4", AAM_CTX_SIZE: "1024" });
});

test("the table is consistent: limits inside the i32 range, powers of two where the rule says so, names sorted", () => {
  for (const d of DEFINES) {
    assert.ok(d.min >= 0 && d.min <= d.max && d.max <= I32_MAX, d.name);
    if (d.pow2) for (const v of [d.min, d.max]) assert.ok((v & (v - 1)) === 0, `${d.name}: ${v} is not a power of two`);
    if (d.default === "off") assert.ok(d.min === 1 && d.max === 1, `${d.name}: a switch takes only 1`);
    assert.ok(d.meaning && d.why, d.name);
  }
  const names = DEFINES.map((d) => d.name);
  assert.equal(names, [...names].sort());
});

// Every `isDefined(AAM_X)` in the image's sources (runtime/ and the machines of aams/, any depth): the file that
// reads it (runtime/'s where both do, e.g. AAM_DEBUG: walked last) and its default where the code writes one (`isDefined(AAM_X) ? … : default`).
function readByImage(): Map<string, { file: string; dflt: string | null }> {
  const found = new Map<string, { file: string; dflt: string | null }>();
  const walk = (dir: string): void => {
    for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const f = path.join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.name.endsWith(".ts")) {
        for (const m of fs.readFileSync(f, "utf8").matchAll(/isDefined\((AAM_[A-Z0-9_]+)\)(?:\s*\?[^:;]*:\s*([\d.]+))?/g)) {
          found.set(m[1], { file: path.relative(ROOT, f), dflt: m[2] ?? null });
        }
      }
    }
  };
  walk(path.join(ROOT, "aams"));
  walk(path.join(ROOT, "runtime"));
  return found;
}

test("the table has exactly the defines the image reads, names the file that reads each, and has the code's defaults", () => {
  const read = readByImage();
  assert.equal([...read.keys()].sort(), DEFINES.map((d) => d.name));
  for (const d of DEFINES) {
    const { file, dflt } = read.get(d.name)!;
    assert.ok(d.meaning.includes(`(${file}`), `${d.name} is read in ${file}; its meaning should name that file: ${d.meaning}`);
    if (d.default === "off") assert.is(dflt, null, `${d.name} is tested with isDefined only`);
    else if (dflt !== null) assert.is(Number(dflt), d.default, `${d.name}: the code's default`);
  }
});

test("docs/DEFINES.md shows the table and the reasons as they are in tools/build/defines.ts", () => {
  const doc = fs.readFileSync(path.join(ROOT, "docs/DEFINES.md"), "utf8");
  const rows = doc.split("\n").filter((l) => l.startsWith("| `AAM_"));
  const want = DEFINES.map((d) => `| \`${d.name}\` | ${d.default} | ${d.min} | ${d.max} | ${d.pow2 ? "yes" : "no"} | ${d.unit} | ${d.meaning} |`);
  assert.equal(rows, want);
  const reasons = doc.split("\n").filter((l) => l.startsWith("- `AAM_"));
  assert.equal(reasons, DEFINES.map((d) => `- \`${d.name}\`: ${d.why}.`));
});

test.run();
