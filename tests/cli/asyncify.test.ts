// asyncify.test.ts: the Asyncify onlylist (tools/build/callgraph.ts). A function is instrumented
// when it can reach the blocking point; a call_indirect reaches every table function, except at
// a hook site, which calls the one function installed there (HOOK_SITES). Proves: the walk on
// small texts of its own (a hook that blocks still makes its site instrumented, a site whose hook
// is absent calls nothing, other call_indirects stay conservative, the dispatch is a wall);
// HOOK_SITES against the only places that install hooks (runtime/boot.ts schedHooks, runtime/
// sched/sched.ts, runtime/machine/irq.ts irqAttach); and a real build: spawn and makeReady are
// not instrumented, Future#join is.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { reaching, HOOK_SITES } from "../../tools/build/callgraph";

const ROOT = path.resolve(__dirname, "../..");
const read = (f: string): string => fs.readFileSync(path.join(ROOT, f), "utf8");

// A module text in binaryen's layout: ` (func $name` opens a function, calls inside it.
function mod(funcs: Record<string, string[]>, table: string[]): string {
  const lines = [" (import \"aam_link\" \"suspend\" (func $suspend))", ` (elem $0 (i32.const 1) ${table.map((t) => "$" + t).join(" ")})`];
  for (const [name, body] of Object.entries(funcs)) lines.push(` (func $${name}`, ...body.map((b) => `  ${b}`), " )");
  return lines.join("\n");
}
const blocks = ["(call $suspend)"];
const indirect = ["(call_indirect (type $0) (local.get $0))"];

test("a hook site calls only its hook: with a blocking handler in the table, the site and its callers are not instrumented; a plain call_indirect and its callers are", () => {
  const text = mod({ handler: blocks, hook: ["(nop)"], site: indirect, spawn: ["(call $site)"], other: indirect, user: ["(call $other)"] }, ["handler", "hook"]);
  const only = reaching(text, "suspend", new Map([["site", "hook"]]));
  assert.equal([...only].sort(), ["handler", "other", "user"]);
});

test("a hook that can block makes its site and the site's callers instrumented", () => {
  const text = mod({ handler: ["(nop)"], hook: ["(call $helper)"], helper: blocks, site: indirect, spawn: ["(call $site)"] }, ["handler", "hook"]);
  const only = reaching(text, "suspend", new Map([["site", "hook"]]));
  assert.equal([...only].sort(), ["helper", "hook", "site", "spawn"]);
});

test("a hook site whose hook is not in the image calls nothing (its installer is not there either)", () => {
  const text = mod({ handler: blocks, site: indirect, spawn: ["(call $site)"] }, ["handler"]);
  assert.equal([...reaching(text, "suspend", new Map([["site", "gone"]]))].sort(), ["handler"]);
  assert.equal([...reaching(text, "suspend", new Map())].sort(), ["handler", "site", "spawn"]);
});

test("the scheduler's dispatch is a wall: it and its callers are never instrumented", () => {
  const D = "~lib/aam/sched/dispatch/dispatch";
  const text = mod({ handler: blocks, [D]: indirect, loop: [`(call $${D})`] }, ["handler"]);
  assert.equal([...reaching(text, "suspend", new Map())], ["handler"]);
});

// The function names of a source call's arguments, and of a function's parameters.
const args = (src: string, call: string): string[] => new RegExp(`\\b${call}\\(([^)]*)\\)`).exec(src)![1].split(",").map((a) => a.trim());
const bodyOf = (src: string, fn: string): string => {
  const i = src.search(new RegExp(`export function ${fn}\\(`));
  assert.ok(i >= 0, `no function ${fn}`);
  return src.slice(i, src.indexOf("\n}", i));
};

test("HOOK_SITES is what boot.ts installs: each sched.ts hook site's slot holds the function boot.ts passes for it; irq.ts's router slot only ever holds route", () => {
  const sched = read("runtime/sched/sched.ts"), boot = read("runtime/boot.ts"), irq = read("runtime/machine/irq.ts");
  const installed = args(boot, "schedHooks");                                      // managerActivate, callComplete, …
  const at = sched.indexOf("export function schedHooks(");
  const def = sched.slice(at, sched.indexOf("): void {", at));
  const params = [...def.matchAll(/(\w+): \(/g)].map((m) => m[1]);                   // activate, callDone, …
  assert.is(params.length, installed.length);
  const stores = bodyOf(sched, "schedHooks");
  const slotOf = new Map(params.map((p) => [new RegExp(`HOOKS \\+ (H_\\w+), ${p}\\.index`).exec(stores)![1], p]));
  const want = new Map<string, string>();
  const where: Record<string, string> = { managerActivate: "machine/manager", callComplete: "machine/imc", imcResults: "machine/imc", imcHandoff: "machine/imc", imcHandedRelease: "machine/imc" };
  for (const m of sched.matchAll(/export function (\w+)\(/g)) {
    const b = bodyOf(sched, m[1]);
    if (!b.includes("call_indirect")) continue;
    const slot = /HOOKS \+ (H_\w+)/.exec(b)?.[1];
    assert.ok(slot && slotOf.has(slot), `${m[1]} calls through no hook slot that schedHooks fills`);
    const fn = installed[params.indexOf(slotOf.get(slot!)!)];
    assert.ok(where[fn], `boot.ts installs ${fn}: add its module to this test and to HOOK_SITES`);
    want.set(`~lib/aam/sched/sched/${m[1]}`, `~lib/aam/${where[fn]}/${fn}`);
  }
  assert.is(want.size, 5);
  // irq.ts: the router slot is written once, with route; irqReroute calls through it
  assert.equal([...irq.matchAll(/E_ROUTER, (\w+)\.index/g)].map((m) => m[1]), ["route"]);
  assert.ok(bodyOf(irq, "irqReroute").includes("E_ROUTER"));
  want.set("~lib/aam/machine/irq/irqReroute", "~lib/aam/machine/irq/route");
  assert.equal([...HOOK_SITES].sort(), [...want].sort());
});

test("a real build: spawn, makeReady and a future's completion are not instrumented; Future#join is (it can block)", () => {
  const fns = ["~lib/aam/sched/sched/spawnTask", "~lib/aam/sched/sched/makeReady", "~lib/aam/sched/future/completeWord", "~lib/aam/sched/future/Future#join"];
  const r = spawnSync(process.execPath, [path.join(ROOT, "tools/bin/aam.js"), "build", "examples/fib.ts", "-o", path.join(ROOT, "build/test-images/asyncify-fib.wasm")],   // the variable turns the cache off
    { cwd: ROOT, env: { ...process.env, AAM_ASYNCIFY_WHY: fns.join(";") }, encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  const said = r.stderr.split("\n").filter((l) => l.startsWith("asyncify: "));
  assert.equal(said.slice(0, 3), fns.slice(0, 3).map((f) => `asyncify: ${f} is not instrumented`));
  assert.match(said[3], /^asyncify: ~lib\/aam\/sched\/future\/Future#join is instrumented: .* → calls ~lib\/aam\/task\/context\/suspend/);
});

test.run();
