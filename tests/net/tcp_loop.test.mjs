// tcp_loop.test.mjs: TCP (aams/net/tcp*.ts) inside one image, over the stack's loopback path, no
// device and no net machine. Questions: is an echo of 0 B, 1 B and 1 MB byte-exact over 127.0.0.1
// and over our own address, with every TCB, buffer and heap block back after TIME_WAIT? do 200
// connections at once all complete? are refused connections and a second listener reported with
// the right errno? with segments dropped and reordered by the seeded loss hook, is 1 MB still
// intact, and did retransmission, fast retransmit and out-of-order reassembly actually run? does a
// receiver that holds a zero window get probes rather than a spin? are
// hostile segments (broken headers, no connection, a SYN flood, RSTs and SYNs on an established
// connection, out-of-window data) dropped or answered as RFC 9293 / RFC 5961 say?
// Node (`aam run`) for all; QEMU (`aam boot`) for the basic and hostile programs.
// Deterministic outcome: results are counted and checked, the seeded loss hook fixes which
// segments are hit (not when: timers depend on the machine's speed), nothing is timed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image, prebuild, before } from "../lib/aam.mjs";

const LOOP = "tests/net/programs/tcp_loop.ts";
const HOSTILE = "tests/net/programs/tcp_hostile.ts";
const hosts = process.env.AAM_NET_HOSTS ? process.env.AAM_NET_HOSTS.split(",") : ["run", "boot"];

const DBG = { debug: true };            // TCP's `if (DEBUG) assert(...)` checks compiled in
const LATE = { debug: true, defines: { AAM_TEST_TCP_WAIT_US: "200" } };   // see the test "reach their wait late"
before(test, async () => { await prebuild([[LOOP, DBG], [HOSTILE, DBG], [LOOP, LATE]]); });

const fields = (line) => Object.fromEntries([...line.matchAll(/([a-z]+(?: [a-z]+)?) (\d+)/g)].map((m) => [m[1], Number(m[2])]));

for (const host of hosts) {
  test(`${host}: echo 0 B, 1 B, 1 MB over 127.0.0.1 and our own address; TCBs, buffers and heap back to baseline`, async () => {
    const r = await aam([host, await image(LOOP, DBG), "--cores", "2", "--", "basic"]);
    assert.is(r.code, 0, r.stderr + r.stdout);
    const lines = r.stdout.split("\n");
    assert.is(lines[0], "lo: 0 B ok, 1 B ok, 1 MB ok");
    assert.is(lines[1], "own: 0 B ok, 1 B ok, 1 MB ok");
    assert.is(lines[2], "tcbs 0, buffers 0, heap blocks +0, large +0");
    assert.match(lines[3], /^segs in \d+ out \d+ retrans \d+ bad 0$/);
  });

  test(`${host}: hostile segments: dropped, reset or challenged; a SYN flood stays bounded; heap baseline`, async () => {
    const r = await aam([host, await image(HOSTILE, DBG), "--cores", "2"]);
    assert.is(r.code, 0, r.stderr + r.stdout);
    assert.is(r.stdout, [
      "broken: dropped 5 of 5, tcbs created 0",
      "no connection: resets sent 2 of 2",
      "syn flood: 3000 SYNs, tcbs at most 70, evicted > 2900, real client connected",
      "established: challenge ACKs 2 of 2, out-of-window ACKs >= 2, still established yes, then 1000 B intact",
      "exact RST: recv -104",
      "end: tcbs 0, buffers 0, heap blocks +0, large +0", ""].join("\n"));
  });
}

// A task that waits on a connection (recv, send) drops the stack lock before it reaches its wait;
// a wake-up in between must still reach it. With one Signal per connection, a sender counting
// itself after the wake could take the reader's unit (aams/net/TCP.md "Blocking") and the echo
// hung: with the gap widened to 200 µs, 6 runs in 18 did. Each run's own hang guard is 2 min.
test("run: tasks that reach their wait late (AAM_TEST_TCP_WAIT_US=200) still get every wake-up: the basic echo, 4 times, complete and byte-exact", async () => {
  const img = await image(LOOP, LATE);
  for (let i = 0; i < 4; i++) {
    const r = await aam(["run", img, "--cores", "2", "--", "basic"], { timeoutMs: 120000 });
    assert.is(r.code, 0, r.stderr + r.stdout);
    assert.is(r.stdout.split("\n").slice(0, 3).join("\n"), "lo: 0 B ok, 1 B ok, 1 MB ok\nown: 0 B ok, 1 B ok, 1 MB ok\ntcbs 0, buffers 0, heap blocks +0, large +0");
  }
});

test("run: 200 connections at once, 20 KB each, all byte-exact, nothing left", async () => {
  const r = await aam(["run", await image(LOOP, DBG), "--cores", "2", "--", "many", "200"]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.is(r.stdout, "many: 200 of 200 byte-exact, tcbs left 0, buffers 0\n");
});

test("run: a port nobody listens on refuses (ECONNREFUSED), a second listener gets EADDRINUSE, no route or link is EHOSTUNREACH", async () => {
  const r = await aam(["run", await image(LOOP, DBG), "--cores", "2", "--", "refuse"]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, "refuse: connect -111, listen twice -98, no route -113, no link -113\n");
});

test("run: a peer holding a zero window gets probes, not a spin; the data arrives when it reads", async () => {
  const r = await aam(["run", await image(LOOP, DBG), "--cores", "2", "--", "zerowin"]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.is(r.stdout, "zero window: probes sent, segments in 2 s <= 40, then 1 MB intact, tcbs left 0, buffers 0\n");
});

test("run: a new SYN for the 4-tuple of a TIME_WAIT connection takes it over (TCP.md)", async () => {
  const r = await aam(["run", await image(LOOP, DBG), "--cores", "2", "--", "reuse"]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.is(r.stdout, "reuse: eof 0, second connection works, TIME_WAIT reuses 1\n");
});

test("run: simultaneous open — two connects to each other's port both complete", async () => {
  const r = await aam(["run", await image(LOOP, DBG), "--cores", "2", "--", "simopen"]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.is(r.stdout, "simultaneous open: both connected, data both ways, tcbs left 0\n");
});

for (const [drop, reorder, seed, what] of [[20, 0, 7, "2 % dropped"], [0, 100, 3, "10 % reordered"], [50, 50, 11, "5 % dropped and 5 % reordered"]]) {
  test(`run: 1 MB intact with ${what} (seed ${seed}); the recovery paths ran`, async () => {
    const r = await aam(["run", await image(LOOP, DBG), "--cores", "2", "--", "loss", String(drop), String(reorder), String(seed)]);
    assert.is(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^loss: 1 MB ok, /, r.stdout);
    const f = fields(r.stdout);
    assert.is(f["tcbs left"], 0, r.stdout);
    assert.ok(f.ooo > 0, `out-of-order segments were reassembled: ${r.stdout}`);
    if (drop) {
      assert.ok(f.dropped > 0 && f.retrans > 0, `segments were dropped and retransmitted: ${r.stdout}`);
      assert.ok(f.fast > 0, `fast retransmit ran: ${r.stdout}`);
    }
    if (reorder) assert.ok(f.reordered > 0, r.stdout);
  });
}

test.run();
