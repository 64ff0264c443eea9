// stack_inimage.test.mjs: the stack without a device (aams/net; no net machine either): its
// loopback path (programs/stack_loop.ts: UDP over 127.0.0.1 and our own address, queue limits,
// unreachables, ICMP echo to ourselves, heap back to baseline) and its input path under seeded
// mutations of valid frames (programs/stack_fuzz.ts: never a crash, every frame sent
// well-formed, heap back to baseline). Node (`aam run`) and QEMU (`aam boot`, fewer rounds).
// Deterministic: seeded mutations, counted results; nothing timed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image, prebuild } from "../lib/aam.mjs";

const LOOP = "tests/net/programs/stack_loop.ts";
const FUZZ = "tests/net/programs/stack_fuzz.ts";
const hosts = process.env.AAM_NET_HOSTS ? process.env.AAM_NET_HOSTS.split(",") : ["run", "boot"];

test.before(async () => { await prebuild([[LOOP], [FUZZ]]); });

for (const host of hosts) {
  test(`${host}: loopback UDP and ICMP, queue limits, unreachables, heap baseline`, async () => {
    const r = await aam([host, await image(LOOP), "--cores", "2"]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, [
      "udp 127.0.0.1: ok", "udp own address: ok", "queue full: drops 5",
      "closed port: no_port +1 unreach +1", "echo to self: send 0 replies +1 replies in +1",
      "too big: -90", "heap blocks back to baseline: yes", ""].join("\n"));
  });

  const seeds = host === "run" ? [1, 7, 99] : [7];
  for (const seed of seeds) {
    test(`${host}: seeded mutations of valid frames (seed ${seed}) — no crash, well-formed replies, heap baseline`, async () => {
      const rounds = host === "run" ? 20000 : 4000;
      const r = await aam([host, await image(FUZZ), "--cores", "2", "--", String(rounds), String(seed)]);
      assert.is(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /^sizes outside 14\.\.1514: dropped 16$/m);
      assert.match(r.stdout, new RegExp(`^rounds ${rounds}: frames in ${rounds + 21}, frames out \\d+, malformed out 0$`, "m"));
      assert.match(r.stdout, /^heap blocks after: baseline$/m);
      const replies = /icmp echo replies (\d+)/.exec(r.stdout);
      assert.ok(Number(replies[1]) > 0, "some mutated echoes still got through");
    });
  }
}

test.run();
