// linux_hostile.test.mjs: hostile input from the namespace's side against the stack, on the Node
// host and under QEMU. The guest is tests/net/programs/server.ts (echo on 7, and "heap" on UDP 9
// so that the test reads the guest's heap while it runs); the attacker is tests/net/peer.py
// writing hand-built frames on the tap with AF_PACKET (never leaving the test's namespace).
// Questions: after ~2000 malformed frames of every layer (runts, bad checksums, truncated and
// inconsistent headers, fragments, bad TCP options, flag combinations, ARP of other protocols),
// does the guest still answer ping and echo? after a SYN flood of 3000 SYNs from addresses that
// never answer, does a real connection still complete? on an established connection (our own
// hand-made TCP endpoint), is out-of-window data ACKed and not delivered, an old duplicate
// ACKed, an out-of-window RST ignored, an in-window RST and a SYN answered without a reset (RFC
// 9293 §3.10.7.4, RFC 5961)? while a client holds a zero window open, do other connections go
// on, and does every byte arrive once it reads? and after all connections closed, is the heap
// back at its baseline?
// Deterministic: results, counts and bounded attempts; timeouts are hang guards.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { HOSTS, SERVER, STEP_MS, netnsAvailable, startGuest, dataFile, ncEcho, peer, guestMac, guestHeap, image, before } from "./common.mjs";

for (const host of HOSTS) {
  const t = suite(`hostile input against server.ts on ${host}`);
  const ctx = {};
  before(t, async () => {
    if (!netnsAvailable()) return;
    await image(SERVER);
    Object.assign(ctx, await startGuest(SERVER, { host, args: ["7"], port: 7 }));
    ctx.mac = await guestMac(ctx.ns);
  });
  t.after(async () => { await ctx.ns?.close(); });
  const it = (name, fn) => t(name, async () => {
    if (!netnsAvailable()) { console.log(`  (skipped: ${name}: needs root and ip netns)`); return; }
    await fn();
  });
  const echoOk = async (what) => {
    const d = dataFile(64 << 10);
    const r = await ncEcho(ctx.ns, ctx.ns.guestIp, 7, d.file);
    assert.is(r.sha, d.sha, `${what}: the echo (${r.bytes} bytes, status ${r.code})`);
  };
  const pingOk = async (what) => {
    const r = await ctx.ns.exec("ping", ["-n", "-c", "3", "-W", "10", ctx.ns.guestIp], { timeoutMs: STEP_MS });
    assert.match(r.stdout, /3 received/, `${what}: ping ${r.stdout}`);
  };

  it(`warm-up and the heap baseline: echo and UDP work, the heap query answers (${host})`, async () => {
    for (let i = 0; i < 3; i++) await echoOk("warm-up");
    const u = await peer(ctx.ns, ["udp", ctx.ns.guestIp, "7", "20", "100"]);
    assert.not.ok(u.error, u.error);
    ctx.h0 = await guestHeap(ctx.ns);
    assert.ok(ctx.h0 > 0, String(ctx.h0));
  });

  it(`2000+ malformed frames: the guest still answers ping and echo (${host})`, async () => {
    const j = await peer(ctx.ns, ["frames", ctx.ns.tap, ctx.mac, ctx.ns.guestIp, ctx.ns.hostIp]);
    assert.not.ok(j.error, j.error);
    assert.ok(j.sent > 2000, JSON.stringify(j));
    await pingOk("after the malformed frames");
    await echoOk("after the malformed frames");
  });

  it(`a SYN flood of 3000 SYNs from silent addresses: a real connection still completes (${host})`, async () => {
    const j = await peer(ctx.ns, ["synflood", ctx.ns.tap, ctx.mac, ctx.ns.guestIp, "7", "3000"]);
    assert.not.ok(j.error, j.error);
    assert.is(j.sent, 3000);
    // the backlog may be full of half-open connections for a while: count attempts, at most 60
    const d = dataFile(64 << 10);
    let ok = false, tries = 0;
    for (; !ok && tries < 60; tries++) {
      const r = await ncEcho(ctx.ns, ctx.ns.guestIp, 7, d.file);
      ok = r.sha === d.sha;
    }
    assert.ok(ok, `no complete echo in ${tries} attempts after the flood`);
    await pingOk("after the SYN flood");
  });

  it(`out-of-window segments on an established connection are ACKed or dropped, never accepted (${host})`, async () => {
    const spoofed = ctx.ns.hostIp.replace(/\.1$/, ".50");
    const j = await peer(ctx.ns, ["oow", ctx.ns.tap, ctx.mac, ctx.ns.guestIp, spoofed, "7"]);
    assert.not.ok(j.error, j.error);
    assert.equal(j, { handshake: true, echo_before: true, oow_data_acked: true, oow_data_echoed: false, old_data_acked: true, echo_after: true, closed: true });
  });

  it(`a zero window held open: other connections go on, and every byte arrives once it reads (${host})`, async () => {
    const z = ctx.ns.spawn("python3", ["tests/net/peer.py", "zerowin", ctx.ns.guestIp, "7", "25"], { stdin: "pipe" });
    await z.waitFor(/"stalled"/, STEP_MS);
    const held = JSON.parse(z.stdout.trim().split("\n")[0]);
    assert.ok(held.stalled && held.sent > 0, JSON.stringify(held));
    await echoOk("while a zero window is held");
    await pingOk("while a zero window is held");
    z.child.stdin.end();
    const r = await z.done;
    const fin = JSON.parse(r.stdout.trim().split("\n").pop());
    assert.is(fin.received, fin.sent, r.stdout);
  });

  it(`after every connection closed, the heap is back at its baseline (${host})`, async () => {
    // half-open connections of the flood and TIME_WAIT-free passive closes end on the guest's
    // timers: ask at most 120 times, a ping between asks
    let h = 0, asks = 0;
    for (; asks < 120; asks++) {
      h = await guestHeap(ctx.ns);
      if (h <= ctx.h0) break;
      await ctx.ns.exec("ping", ["-n", "-c", "1", "-W", "1", ctx.ns.guestIp], { timeoutMs: 10000 });
    }
    assert.ok(h <= ctx.h0, `heap ${h} bytes, baseline ${ctx.h0} (+${h - ctx.h0}) after ${asks} asks`);
  });

  it(`the guest is still alive after all of it (${host})`, async () => {
    assert.is(ctx.guest.exited, null, JSON.stringify(ctx.guest.exited));
  });

  t.run();
}
