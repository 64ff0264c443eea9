// `aam bench net --quick`: the network benchmark runs end to end (root: it makes namespaces and
// taps) and its JSON has a row with numbers for every target (Linux's stack, the Node host, QEMU)
// and operation (echo stream; GET / on 1 and 50 connections, with p50/p99 latency). Performance
// is never asserted here (docs/BENCHMARKS.md has the figures).
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { aam, ROOT, HANG_MS } from "../lib/aam.mjs";
import { netnsAvailable } from "../lib/netns.mjs";

const STATS = ["mean", "sd", "median", "p99", "n"];
function isStats(s, what) {
  assert.type(s, "object", `${what}: no stats`);
  for (const k of STATS) assert.ok(Number.isFinite(s[k]), `${what}.${k} = ${s[k]}`);
  assert.ok(s.n > 0 && s.median > 0, `${what}: ${JSON.stringify(s)}`);
}

test("aam bench net --quick: echo stream and HTTP rows for Linux, the Node host and QEMU, each with numbers", async () => {
  if (!netnsAvailable()) { console.log("  (skipped: aam bench net needs root and ip netns)"); return; }
  const file = path.join(ROOT, "build/test-images/bench-net.json");
  fs.rmSync(file, { force: true });
  const b = await aam(["bench", "net", "--quick", "--json", file], { timeoutMs: 3 * HANG_MS });
  assert.is(b.code, 0, b.stderr);
  assert.match(b.stdout, "## Network: TCP echo stream and HTTP requests");
  const j = JSON.parse(fs.readFileSync(file, "utf8")).net;
  assert.equal(j.notes, [], "no target failed");
  const ids = j.rows.map((x) => x.id).sort();
  assert.equal(ids, ["linux", "node", "qemu"].flatMap((t) => [`${t}/echo_stream`, `${t}/http_c1`, `${t}/http_c50`]).sort());
  for (const x of j.rows) {
    isStats(x.value, x.id);
    assert.is(x.unit, x.op === "throughput" ? "MB/s" : "req/s");
    if (x.op === "requests") { isStats(x.p50_ns, `${x.id} p50`); isStats(x.p99_ns, `${x.id} p99`); }
  }
  for (const k of ["linux", "node", "qemu"]) assert.ok(j.bytes[k] > 0, `bytes.${k}`);
});

test("aam bench net refuses an unknown host in one line, status 2", async () => {
  const b = await aam(["bench", "net", "--host", "vax"]);
  assert.is(b.code, 2);
  assert.is(b.stderr.trim().split("\n").length, 1, b.stderr);
});

test.run();
