// Error locations a terminal can open: compile errors and trap reports name files relative to the
// current folder (or absolute outside it), never relative to asc's base folder; an export of the
// wrong type, or no main, is one sentence at the program's file. Programs outside the repository
// are written under a temporary folder, the case that used to show "tmp/…/x.ts".
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { aam, ROOT } from "../lib/aam.mjs";

const TMP = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "aam-locate-")));
test.after(() => fs.rmSync(TMP, { recursive: true, force: true }));
const write = (rel, text) => { const f = path.join(TMP, rel); fs.mkdirSync(path.dirname(f), { recursive: true }); fs.writeFileSync(f, text); return f; };
const env = { AAM_CACHE_DIR: path.join(TMP, "cache") };

test("a compile error outside the repository is located relative to the current folder, or absolutely from elsewhere", async () => {
  const bad = write("bad/typeerr.ts", 'export function main(): i32 {\n  let x: i32 = 1;\n  let y: string = x;\n  return 0;\n}\n');
  const inside = await aam(["build", "bad/typeerr.ts", "-o", path.join(TMP, "x.wasm")], { cwd: TMP, env });
  assert.is(inside.code, 1, inside.stderr);
  assert.match(inside.stderr, "└─ in bad/typeerr.ts(3,19)\n");
  const outside = await aam(["build", bad, "-o", path.join(TMP, "x.wasm")], { env });      // cwd: the repository
  assert.is(outside.code, 1, outside.stderr);
  assert.match(outside.stderr, `└─ in ${bad}(3,19)\n`);
  assert.not.match(outside.stderr, ` in ${bad.slice(1)}(`);
});

test("an error in a file the program imports is located at that file", async () => {
  write("imp/lib/util.ts", "export function twice(x: i32): i32 {\n  return x * undefinedName;\n}\n");
  write("imp/main.ts", 'import { twice } from "./lib/util";\nexport function main(): i32 { return twice(2); }\n');
  const r = await aam(["build", "imp/main.ts", "-o", path.join(TMP, "x.wasm")], { cwd: TMP, env });
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, "└─ in imp/lib/util.ts(2,14)\n");
});

const EXPORTS = [
  ["nomain.ts", "export function percore(): void {}\n", "nomain.ts: the program must export function main(): i32"],
  ["voidmain.ts", "export function main(): void {}\n", "voidmain.ts: main must be exported as function main(): i32 (it is () => void)"],
  ["argmain.ts", "export function main(x: i32): i32 { return x; }\n", "argmain.ts: main must be exported as function main(): i32 (it is (i32) => i32)"],
  ["constmain.ts", "export const main: i32 = 5;\n", "constmain.ts: main must be exported as function main(): i32 (it is i32)"],
  ["i32percore.ts", "export function percore(): i32 { return 1; }\nexport function main(): i32 { return 0; }\n", "i32percore.ts: percore must be exported as function percore(): void (it is () => i32)"],
];
for (const [file, text, line] of EXPORTS) {
  test(`${file}: a missing or wrongly typed export is reported once, at the program's file, in one sentence`, async () => {
    write(`exp/${file}`, text);
    const r = await aam(["build", file, "-o", path.join(TMP, "x.wasm")], { cwd: path.join(TMP, "exp"), env });
    assert.is(r.stderr, `aam: ${line}\n`);
    assert.is(r.code, 1);
  });
}

const TRAP = `// argv[1]: "assert" (asc's abort: a message with its file and line) or "fail" (a message alone)
import { args, fail } from "aam";
export function main(): i32 {
  const how = args().length > 1 ? args()[1] : "";
  if (how == "assert") assert(false, "deliberate assert");
  if (how == "fail") fail("deliberate fail");
  return 0;
}
`;

test("Node: a trap report's location is relative to the current folder, or absolute; a report without a location has none", async () => {
  const prog = write("trap/trapat.ts", TRAP);
  const img = path.join(TMP, "trap/trapat.wasm");
  const b = await aam(["build", prog, "-o", img], { env });
  assert.is(b.code, 0, b.stderr);
  const inside = await aam(["run", img, "--cores", "1", "--", "assert"], { cwd: path.join(TMP, "trap") });
  assert.is(inside.code, 70, inside.stderr);
  assert.match(inside.stderr, /^aam: task trapped on core 0 in main \(machine main\): deliberate assert \(trapat\.ts:5:\d+\) \(main failed/m);
  const outside = await aam(["run", img, "--cores", "1", "--", "assert"]);
  assert.match(outside.stderr, new RegExp(`^aam: task trapped on core 0 in main \\(machine main\\): deliberate assert \\(${prog.replace(/[.]/g, "\\.")}:5:\\d+\\)`, "m"));
  const failed = await aam(["run", img, "--cores", "1", "--", "fail"]);
  assert.is(failed.code, 70, failed.stderr);
  assert.match(failed.stderr, /^aam: task trapped on core 0 in main \(machine main\): deliberate fail \(main failed: the system ends with status 70\)$/m);
});

test("QEMU: the same reports as Node, naming the same file, and a fail() message without a location", async () => {
  const img = path.join(TMP, "trap/trapat.wasm");
  const r = await aam(["boot", img, "--cores", "1", "--", "assert"], { cwd: path.join(TMP, "trap"), timeoutMs: 300000 });
  assert.is(r.code, 70, r.stderr);
  assert.match(r.stderr, /^aam: task trapped on core 0 in main \(machine main\): deliberate assert \(trapat\.ts:5:\d+\) \(main failed: the system ends with status 70\)$/m);
  const f = await aam(["boot", img, "--cores", "1", "--", "fail"], { timeoutMs: 300000 });
  assert.is(f.code, 70, f.stderr);
  assert.match(f.stderr, /^aam: task trapped on core 0 in main \(machine main\): deliberate fail \(main failed: the system ends with status 70\)$/m);
  assert.not.match(f.stderr, " at :0:0");
});

test.run();
