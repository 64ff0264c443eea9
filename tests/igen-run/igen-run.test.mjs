// igen-run: images built from igen's generated AssemblyScript (aam build runs igen on the IDL
// files beside each program, tools/build/igen.ts) and run on the Node host.
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image, fields, ROOT } from "../lib/aam.mjs";

const P = (n) => `tests/igen-run/programs/${n}.ts`;
const EXPECT = ": sum 4950 fill 16/232 bump 11,12,13,14 move 17,1030 summary true 11/3/-3/true describe 3/10/10/true";

test("aam build regenerates the programs' igen files, byte-identical to the checked-in ones", async () => {
  const dir = path.join(ROOT, "tests/igen-run/programs");
  const before = Object.fromEntries(fs.readdirSync(dir).filter((f) => f.includes("_igen")).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
  await image(P("roundtrip"));
  await image(P("mismatch"));
  for (const f of ["rt", "ver_v1", "ver_v2"]) {
    for (const ext of ["_igen.h", "_igen.json", "_igen_client.ts", "_igen_server.ts", "_igen_host.ts"]) {
      const file = f + ext;
      assert.ok(fs.existsSync(path.join(dir, file)), `${file} generated`);
      if (file in before) assert.is(fs.readFileSync(path.join(dir, file), "utf8"), before[file], `${file} unchanged`);
      assert.match(fs.readFileSync(path.join(dir, file), "utf8").split("\n").slice(0, 2).join("\n"), `by igen from ${f}.idl`);
    }
  }
});

test("the generated AssemblyScript of every golden case (tests/igen/cases) compiles with the project's build, every export of it", async () => {
  // Copied without their IDL files (so the build's igen step leaves them alone: net.idl needs -I);
  // an entry that re-exports everything makes asc compile every class member and function.
  const cases = path.join(ROOT, "tests/igen/cases");
  const dir = path.join(ROOT, "build/test-images/igen-compile");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const lines = [];
  for (const c of fs.readdirSync(cases).filter((c) => c !== "errors").sort()) {
    for (const f of fs.readdirSync(path.join(cases, c)).filter((f) => /_igen_(client|server)\.ts$/.test(f))) {
      fs.mkdirSync(path.join(dir, c), { recursive: true });
      fs.copyFileSync(path.join(cases, c, f), path.join(dir, c, f));
      lines.push(`export * from "./${c}/${f.replace(/\.ts$/, "")}";`);
    }
  }
  assert.ok(lines.length >= 8, lines.join("\n"));
  lines.push("export function main(): i32 { return 0; }", "");
  fs.writeFileSync(path.join(dir, "all.ts"), lines.join("\n"));
  const r = await aam(["build", path.join(dir, "all.ts"), "-o", path.join(dir, "all.wasm")]);
  assert.is(r.code, 0, r.stderr);
});

test("aam igen: writes all five artefacts, exits 0; a bad IDL exits 1 with a located error", async () => {
  const dir = path.join(ROOT, "build/test-images/igen-cli");
  fs.rmSync(dir, { recursive: true, force: true });
  const r = await aam(["igen", "tests/igen/cases/include/net.idl", "-I", "tests/igen/cases/include", "-o", dir]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(fs.readdirSync(dir).sort(), ["net_igen.h", "net_igen.json", "net_igen_client.ts", "net_igen_host.ts", "net_igen_server.ts"]);
  const bad = await aam(["igen", "tests/igen/cases/errors/missing_len.idl", "-o", dir]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, "missing_len.idl:");
});

for (const cores of [1, 2, 4]) {
  test(`round trip on ${cores} core(s): kernel-level and user-level machine through the generated server, async, sync and event clients; in/out/inout buffers, structs by value and as results; no leak`, async () => {
    const r = await aam(["run", await image(P("roundtrip")), "--cores", String(cores)]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout.trim().split("\n");
    for (const who of ["krt async", "urt async", "krt sync", "urt sync", "krt event", "urt event"]) assert.ok(lines.includes(who + EXPECT), `${who}:\n${r.stdout}`);
    assert.is(fields(r.stdout).wrong, 0, r.stdout);
    assert.is(fields(r.stderr).leaked, 0, r.stderr);
  });
}

test("the kernel refuses bad records and pointers of a generated client with messages naming task, parameter, address and length, and keeps serving", async () => {
  const r = await aam(["run", await image(P("roundtrip")), "--cores", "2"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const want = [
    "data outside the heap: refused (machine 'krt' task sum, parameter data: [0x10, +8) is not memory of the calling machine 'main')",
    "out buffer in static data: refused (machine 'krt' task fill, parameter buf: [0x40000, +16) is not memory of the calling machine 'main')",
    "length over the limit: refused (machine 'krt' task sum, parameter data: 33554432 elements of 1 bytes exceed the limit of 16777216 bytes)",
    "negative length: refused (machine 'krt' task bump, parameter vals: negative length -1)",
    "out struct in static data: refused (machine 'krt' task summary, parameter s: [0x40000, +16) is not memory of the calling machine 'main')",
    "wrong ordinal: refused (machine 'krt' task sum: the call carries ordinal 0x12345678, the task's is 0x1d280a61 (a client of another interface?))",
    "wrong record size: refused (machine 'krt' task sum: record of 24 bytes, the task's is 16 (a client of another interface?))",
    "record in static data: refused (machine 'krt' task sum: record [0x40000, +16) is not memory of the calling machine 'main')",
    "good calls after the refusals: sum 4950, bump copied back 2,3,4,5",
    "sync call refused: task failed true",
  ];
  const lines = r.stdout.trim().split("\n");
  const tail = lines.slice(lines.length - want.length);
  want.forEach((w, k) => assert.is(tail[k], w));
  // The refused sync call trapped its task with the same message, prefixed by the task.
  assert.match(r.stderr, "krt.sum: machine 'krt' task sum, parameter data: [0x10, +8) is not memory of the calling machine 'main' (the task fails");
});

test("version mismatch: a client built from ver_v1.idl is refused by a ver_v2.idl server, with the machine and both hashes; the program sees it and goes on", async () => {
  const json = (f) => JSON.parse(fs.readFileSync(path.join(ROOT, "tests/igen-run/programs", f), "utf8")).machines[0].hash;
  const v1 = json("ver_v1_igen.json"), v2 = json("ver_v2_igen.json");
  assert.is.not(v1, v2);
  const r = await aam(["run", await image(P("mismatch")), "--cores", "2"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const msg = `connect: machine ver serves interface ${v2} but the client was built against ${v1} (rebuild both from the same IDL)`;
  assert.is(r.stdout, [`v1 client hash 0x${BigInt(v1).toString(16)}`, `check: ${msg}`, "connect from a v1 client: refused", "v2 client: get(21) = 42", ""].join("\n"));
  assert.match(r.stderr, msg);
});

// JS on the host: the generated TypeScript client over the host transport (startImage/hostServe).
// host-driver.ts is TypeScript: bundled with esbuild next to the test images, then imported.
async function hostDriver() {
  const esbuild = await import("esbuild");
  const out = path.join(ROOT, "build/test-images/igen-host-driver.mjs");
  await esbuild.build({ entryPoints: [path.join(ROOT, "tests/igen-run/host-driver.ts")], outfile: out, bundle: true, format: "esm",
    platform: "node", target: "node20", packages: "external", logLevel: "warning" });
  return import(out + "?" + Date.now());
}

for (const cores of [1, 2]) {
  test(`from the JS host on ${cores} core(s): the generated TS client calls krt and urt with typed arguments; buffers, structs, out-by-length; a stale interface hash and a too long buffer are refused with clear errors`, async () => {
    const img = await image(P("host"));
    const { run } = await hostDriver();
    const { lines } = await run(img, path.join(ROOT, "build/tools/worker.mjs"), cores);
    const text = lines.join("\n");
    for (const who of ["krt", "urt"]) {
      assert.ok(lines.includes(`${who} host${EXPECT} in-place true`), text);
      assert.ok(lines.includes(`${who} out by length: 1,0,3,2`), text);
    }
    const hash = lines.find((l) => l.startsWith("hash ")).slice(5).padStart(16, "0");
    const stale = (BigInt("0x" + hash) ^ 1n).toString(16).padStart(16, "0");
    assert.match(text, `stale client: connect: machine krt serves interface 0x${hash} but the client was built against 0x${stale}`);
    assert.match(text, /bump of 200: .*krt\.bump count: length 200 does not fit its length parameter \(0\.\.127\)/);
    assert.ok(lines.includes("stopped 0"), text);
  });
}

test.run();
