// linux_impair.test.mjs: examples/echo.ts against Linux's stack over a lossy wire, on the Node
// host and under QEMU. The wire is tests/net/impair.py between the namespace's tap and the guest
// (`--net stream:PATH`): this VM's kernel has no netem (CONFIG_NET_SCH_NETEM unset), and the relay
// impairs both directions with a seeded generator and counts what it did.
// Questions: with 1 % and 5 % loss, reordering, 20 ms delay, and all at once, does every echo come
// back byte-exact (SHA-256), does every connection complete, and did the wire really drop,
// reorder and delay frames in both directions (its counters moved)?
// Deterministic: hashes and counters; timeouts are hang guards.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { HOSTS, ECHO, STEP_MS, netnsAvailable, startGuest, dataFile, ncEcho, image, before } from "./common.mjs";

const CONDITIONS = [
  // [name, loss, reorder, delay ms, what must have moved]
  ["loss 1 %", 0.01, 0, 0, "dropped"],
  ["loss 5 %", 0.05, 0, 0, "dropped"],
  ["reordering (10 % of frames held back behind the next)", 0, 0.1, 0, "reordered"],
  ["delay 20 ms", 0, 0, 20, null],
  ["loss 2 %, reordering 5 %, delay 5 ms at once", 0.02, 0.05, 5, "dropped"],
];

for (const host of HOSTS) {
  const t = suite(`echo.ts over a lossy wire on ${host}`);
  const ctx = {};
  /** One command to impair.py; resolves its answer line (a JSON line for "stats"). */
  async function relay(cmd) {
    const r = ctx.relay;
    const before = r.stdout.split("\n").length;
    r.child.stdin.write(cmd + "\n");
    await r.waitFor({ exec: (s) => (s.split("\n").length > before && s.endsWith("\n") ? [s] : null) }, 60000);
    return r.stdout.trim().split("\n").pop();
  }
  before(t, async () => {
    if (!netnsAvailable()) return;
    await image(ECHO);
    Object.assign(ctx, await startGuest(ECHO, { host, args: ["7"], port: 7, impair: true }));
  });
  t.after(async () => { await ctx.ns?.close(); });
  const it = (name, fn) => t(name, async () => {
    if (!netnsAvailable()) { console.log(`  (skipped: ${name}: needs root and ip netns)`); return; }
    await fn();
  });

  for (const [name, loss, reorder, delay, moved] of CONDITIONS) {
    it(`${name}: a 1 MB echo and 8 connections at once of 128 KiB, every byte back (${host})`, async () => {
      assert.match(await relay(`set ${loss} ${reorder} ${delay}`), /^ok \d+$/);
      const s0 = JSON.parse(await relay("stats"));
      const big = dataFile(1 << 20), small = dataFile(128 << 10);
      const r = await ncEcho(ctx.ns, ctx.ns.guestIp, 7, big.file, STEP_MS);
      assert.is(r.code, 0, r.stderr);
      assert.is(r.sha, big.sha, `1 MB echo under ${name}: ${r.bytes} bytes came back`);
      const rs = await Promise.all(Array.from({ length: 8 }, () => ncEcho(ctx.ns, ctx.ns.guestIp, 7, small.file, STEP_MS)));
      rs.forEach((x, i) => assert.is(x.sha, small.sha, `connection ${i}: ${x.bytes} bytes, status ${x.code}`));
      const s1 = JSON.parse(await relay("stats"));
      if (moved) for (const d of ["to_guest", "to_linux"]) assert.ok(s1[d][moved] > s0[d][moved], `${d}: no frame ${moved} (${JSON.stringify(s1[d])})`);
      assert.ok(s1.to_guest.delivered - s0.to_guest.delivered > 700, "the wire carried the traffic");
    });
  }

  it(`the guest is still alive after all of it (${host})`, async () => {
    assert.is(ctx.guest.exited, null, JSON.stringify(ctx.guest.exited));
  });

  t.run();
}
