// linux_echo.test.mjs: examples/echo.ts against Linux's own stack, on the Node host and under
// QEMU, each guest in a namespace of its own with a tap (tests/lib/netns.mjs).
// Questions: does the guest answer ping? does nc's TCP echo come back byte-exact (SHA-256 of what
// was sent and what came back) for 0 B, 1 B, 1 MB and 100 MB? UDP echo of many datagrams? many
// connections at once, each byte-exact?
// Deterministic: every check compares hashes and counts replies; waiting for the guest counts
// bounded attempts (ping, connect); timeouts are hang guards.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { HOSTS, ECHO, STEP_MS, netnsAvailable, startGuest, dataFile, ncEcho, peer, image, before } from "./common.mjs";

for (const host of HOSTS) {
  const t = suite(`echo.ts on ${host}`);
  const ctx = {};
  before(t, async () => {
    if (!netnsAvailable()) return;
    await image(ECHO);
    Object.assign(ctx, await startGuest(ECHO, { host, args: ["7"], port: 7 }));
  });
  t.after(async () => { await ctx.ns?.close(); });
  const it = (name, fn) => t(name, async () => {
    if (!netnsAvailable()) { console.log(`  (skipped: ${name}: needs root and ip netns)`); return; }
    await fn();
  });

  it(`ping -c 20: every echo request answered (${host})`, async () => {
    const r = await ctx.ns.exec("ping", ["-n", "-c", "20", "-i", "0.2", "-W", "10", ctx.ns.guestIp], { timeoutMs: STEP_MS });
    assert.match(r.stdout, /20 packets transmitted, 20 received/, r.stdout + r.stderr);
    const big = await ctx.ns.exec("ping", ["-n", "-c", "3", "-s", "1472", "-W", "10", ctx.ns.guestIp], { timeoutMs: STEP_MS });
    assert.match(big.stdout, /3 packets transmitted, 3 received/, `a full 1500-byte packet: ${big.stdout}`);
  });

  for (const [label, bytes] of [["0 B", 0], ["1 B", 1], ["1 MB", 1 << 20]]) {
    it(`nc TCP echo of ${label} comes back byte-exact (${host})`, async () => {
      const d = dataFile(bytes);
      const r = await ncEcho(ctx.ns, ctx.ns.guestIp, 7, d.file);
      assert.is(r.code, 0, r.stderr);
      assert.is(r.bytes, bytes);
      assert.is(r.sha, d.sha);
    });
  }

  // 100 MB: on both hosts. Under QEMU (TCG: every guest instruction emulated) it is the slowest
  // step of the suite; its hang guard is generous, the check the same.
  it(`nc TCP echo of 100 MB comes back byte-exact (${host})`, async () => {
    const d = dataFile(100 << 20);
    const r = await ncEcho(ctx.ns, ctx.ns.guestIp, 7, d.file, 3 * STEP_MS);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.bytes, 100 << 20);
    assert.is(r.sha, d.sha);
  });

  it(`UDP echo: 200 datagrams of 1 to 1472 bytes, each echoed byte-exact (${host})`, async () => {
    for (const size of [1, 512, 1472]) {
      const j = await peer(ctx.ns, ["udp", ctx.ns.guestIp, "7", size === 512 ? "100" : "50", String(size)]);
      assert.not.ok(j.error, j.error);
      assert.is(j.size, size);
    }
  });

  it(`20 nc connections at once, 256 KiB each, every one byte-exact (${host})`, async () => {
    const d = dataFile(256 << 10);
    const rs = await Promise.all(Array.from({ length: 20 }, () => ncEcho(ctx.ns, ctx.ns.guestIp, 7, d.file)));
    rs.forEach((r, i) => { assert.is(r.code, 0, `connection ${i}: ${r.stderr}`); assert.is(r.sha, d.sha, `connection ${i}`); });
  });

  it(`a connection to a port nobody listens on is refused (RST), and the guest goes on (${host})`, async () => {
    const r = await ctx.ns.exec("nc", ["-v", "-z", "-w", "30", ctx.ns.guestIp, "9999"], { timeoutMs: STEP_MS });
    assert.is.not(r.code, 0, "connected to a closed port");
    assert.match(r.stderr, /refused/, `no RST (a timeout instead?): ${r.stderr}`);
    const e = await ncEcho(ctx.ns, ctx.ns.guestIp, 7, dataFile(1).file);
    assert.is(e.sha, dataFile(1).sha);
  });

  it(`the guest is still alive after all of it (${host})`, async () => {
    assert.is(ctx.guest.exited, null, JSON.stringify(ctx.guest.exited));
  });

  t.run();
}
