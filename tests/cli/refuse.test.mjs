// The CLI refuses a bad command line at once: status 2, one line on stderr saying what is wrong,
// and no build. "No build" is checked by its traces, never by timing: every build goes through the
// image cache, so each refusal runs with an empty cache folder of its own and must leave it
// absent, and must write no output file.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { aam, ROOT } from "../lib/aam.mjs";

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "aam-refuse-"));
test.after(() => fs.rmSync(TMP, { recursive: true, force: true }));

// A program no other test builds, so that no cache anywhere holds it.
const PROG = path.join(TMP, "prog.ts");
fs.writeFileSync(PROG, 'import { println } from "aam";\nexport function main(): i32 { println("ran"); return 0; }\n');
let n = 0;

/** Run aam with a fresh cache folder; assert status 2, exactly `line` on stderr, nothing built. */
async function refused(args, line, opts = {}) {
  const cache = path.join(TMP, `cache-${n++}`);
  const r = await aam(args, { ...opts, env: { AAM_CACHE_DIR: cache } });
  assert.is(r.stderr, line + "\n", `aam ${args.join(" ")}`);
  assert.is(r.code, 2, `aam ${args.join(" ")}: ${r.stderr}`);
  assert.is(r.stdout, "", `aam ${args.join(" ")}: nothing runs`);
  assert.not.ok(fs.existsSync(cache), `aam ${args.join(" ")}: a build started (${cache} exists)`);
  return r;
}

test("bad --cores values are refused before the build: 0, negative, above the maximum of 64, not a number, missing", async () => {
  for (const v of ["0", "-1", "65", "1000", "two", "1.5"]) {
    await refused(["run", PROG, "--cores", v], `aam: --cores takes a whole number from 1 to 64, got '${v}'`);
  }
  await refused(["boot", PROG, "--cores", "65"], "aam: --cores takes a whole number from 1 to 64, got '65'");
  await refused(["trace", PROG, "--cores", "0", "-o", path.join(TMP, "t.json")], "aam: --cores takes a whole number from 1 to 64, got '0'");
  await refused(["run", PROG, "--cores"], "aam: --cores needs a value");
});

test("unknown options, options of another command and unknown commands are refused, naming them", async () => {
  await refused(["run", PROG, "--bogus"], "aam: unknown option --bogus (aam --help lists the options)");
  await refused(["build", PROG, "--cores", "2"], "aam: aam build does not take --cores");
  await refused(["run", PROG, "-o", "x.wasm"], "aam: aam run does not take -o");
  await refused(["frobnicate"], "aam: unknown command 'frobnicate' (aam --help lists the commands)");
  await refused(["run", PROG, "extra"], "aam: unexpected argument extra (program arguments go after --)");
  await refused(["run", PROG, "--define", "X=1"], "aam: build: --define X=1: unknown name; known: AAM_CTX_MAX, AAM_CTX_SIZE, AAM_DEBUG, AAM_GRACE_US, AAM_IDLE_TICKS, AAM_INLINE_DEPTH, AAM_RING_SLOTS, AAM_SPINS, " +
    "AAM_STALL_MS, AAM_STEAL, AAM_TEST_TCP_WAIT_US, AAM_TEST_TRAP_LOCKED, AAM_TICK_US, AAM_TRACE, AAM_TRACE_SLOTS (docs/DEFINES.md)");
});

test("--help (or -h) after any command prints the usage on stdout with status 0; arguments after -- are the program's", async () => {
  for (const args of [["--help"], ["run", "--help"], ["boot", PROG, "-h"], ["build", "--cores", "2", "--help"], ["help"]]) {
    const r = await aam(args);
    assert.is(r.code, 0, args.join(" "));
    assert.is(r.stderr, "", args.join(" "));
    assert.match(r.stdout, /^usage:\n  aam build <entry\.ts>/, args.join(" "));
  }
  const cache = path.join(TMP, "cache-args");
  const r = await aam(["run", PROG, "--cores", "1", "--", "--help"], { env: { AAM_CACHE_DIR: cache } });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, "ran\n");
});

test("a missing program, a folder, a file that is neither .ts nor .wasm, and no program at all are refused", async () => {
  await refused(["run", path.join(TMP, "nope.ts")], `aam: ${path.join(TMP, "nope.ts")}: no such file`);
  await refused(["run", "examples/no-such-program.ts"], "aam: examples/no-such-program.ts: no such file");
  await refused(["boot", "examples"], "aam: examples: is a folder, not a program (expected an entry .ts or an image .wasm)");
  await refused(["run", "README.md"], "aam: README.md: expected an entry .ts or an image .wasm");
  await refused(["build", path.join(TMP, "x.wasm")], `aam: ${path.join(TMP, "x.wasm")}: no such file`);
  const r = await refused(["run"], "aam: aam run needs a program: aam run <entry.ts|image.wasm> [--cores N] [--stats] [--disk img[:ro]] [--net tap:NAME|stream:PATH [--ip A.B.C.D/N] [--gw A.B.C.D]] [--debug] [--trace] [--define AAM_NAME=N ...] [-- args...]");
  assert.is(r.stderr.split("\n").length, 2);
});

test("a .wasm that is not WebAssembly, not an AAM image or from another contract is refused, naming the file, on every host", async () => {
  const text = path.join(TMP, "notwasm.wasm");
  fs.writeFileSync(text, "hello\n");
  for (const cmd of ["run", "boot", "image"]) {
    const extra = cmd === "image" ? ["-o", path.join(TMP, "k.elf")] : [];
    await refused([cmd, text, ...extra], `aam: ${text}: not a WebAssembly module (no \\0asm header; an image comes from aam build)`);
  }
  const bad = path.join(TMP, "bad.wasm");
  fs.writeFileSync(bad, Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 9, 9]));
  const r = await aam(["boot", bad], { env: { AAM_CACHE_DIR: path.join(TMP, "c-bad") } });
  assert.is(r.code, 2);
  assert.match(r.stderr, new RegExp(`^aam: ${bad}: not a valid WebAssembly module \\(.+\\)\\n$`));
  const plain = path.join(TMP, "plain.wasm");
  fs.writeFileSync(plain, Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  for (const cmd of ["run", "boot"]) {
    await refused([cmd, plain], `aam: ${plain}: not an AAM system image (no aam.manifest section; build it with \`aam build\`)`);
  }
});

test("an output in /proc or /sys, through a file, or that is a folder is refused before the build, for build, trace, image and igen (no hang)", async () => {
  await refused(["build", PROG, "-o", "/proc/aam-x/y.wasm"], "aam: -o /proc/aam-x/y.wasm: cannot create the folder /proc/aam-x (the file system does not allow it, ENOENT)");
  await refused(["build", PROG, "-o", "/proc/y.wasm"], "aam: -o /proc/y.wasm: cannot write in the folder /proc (the file system does not allow it, ENOENT)");
  await refused(["image", PROG, "-o", "/proc/k.elf"], "aam: -o /proc/k.elf: cannot write in the folder /proc (the file system does not allow it, ENOENT)");
  await refused(["trace", PROG, "-o", path.join(TMP, "t.json"), "--html", "/proc/aam-x/v.html"], "aam: --html /proc/aam-x/v.html: cannot create the folder /proc/aam-x (the file system does not allow it, ENOENT)");
  await refused(["build", PROG, "-o", "README.md/x.wasm"], `aam: -o README.md/x.wasm: ${path.join(ROOT, "README.md")} is not a folder`);
  await refused(["build", PROG, "-o", TMP], `aam: -o ${TMP}: is a folder; name the file to write`);
  const idl = path.join(TMP, "x.idl");
  fs.writeFileSync(idl, "machine m { void f(int32_t a); };\n");
  await refused(["igen", idl, "-o", "/proc/aam-x"], "aam: -o /proc/aam-x: cannot create the folder /proc/aam-x (the file system does not allow it, ENOENT)");
  await refused(["igen", idl, "-o/proc/aam-x"], "aam: -o /proc/aam-x: cannot create the folder /proc/aam-x (the file system does not allow it, ENOENT)");
  await refused(["igen", path.join(TMP, "none.idl")], `aam: ${path.join(TMP, "none.idl")}: no such file`);
  assert.not.ok(fs.existsSync(path.join(TMP, "x_igen.h")), "igen wrote nothing");
});

test("an output folder without write permission is refused before the build, for build and igen", async () => {
  const ro = path.join(TMP, "readonly");
  fs.mkdirSync(ro);
  fs.chmodSync(ro, 0o555);
  fs.chmodSync(TMP, 0o755);
  fs.chmodSync(PROG, 0o644);
  // root passes permission checks: run it without CAP_DAC_OVERRIDE then (the test runs as root
  // under make test); not as another user, who may not be able to read a checkout under a
  // private folder (mktemp -d)
  const user = { noDacOverride: true };
  await refused(["build", PROG, "-o", path.join(ro, "x.wasm")], `aam: -o ${path.join(ro, "x.wasm")}: cannot write in the folder ${ro} (permission denied, EACCES)`, user);
  await refused(["build", PROG, "-o", path.join(ro, "sub/x.wasm")], `aam: -o ${path.join(ro, "sub/x.wasm")}: cannot create the folder ${path.join(ro, "sub")} (permission denied, EACCES)`, user);
  const idl = path.join(TMP, "y.idl");
  fs.writeFileSync(idl, "machine m { void f(int32_t a); };\n");
  await refused(["igen", idl, "-o", ro], `aam: -o ${ro}: cannot write in the folder ${ro} (permission denied, EACCES)`, user);
  assert.equal(fs.readdirSync(ro), []);
});

test.run();
