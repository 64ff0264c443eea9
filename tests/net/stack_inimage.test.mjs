// stack_inimage.test.mjs: the stack without a device: its socket calls through net.idl on a
// machine "net" with no device (programs/stack_sock.ts), its loopback path (programs/stack_loop.ts: UDP over 127.0.0.1 and our own address, queue limits,
// unreachables, ICMP echo to ourselves, heap back to baseline) and its input path under seeded
// mutations of valid frames (programs/stack_fuzz.ts: never a crash, every frame sent
// well-formed, heap back to baseline). Node (`aam run`) and QEMU (`aam boot`, fewer rounds).
// Deterministic: seeded mutations, counted results; nothing timed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image, prebuild, before } from "../lib/aam.mjs";

const LOOP = "tests/net/programs/stack_loop.ts";
const FUZZ = "tests/net/programs/stack_fuzz.ts";
const SOCK = "tests/net/programs/stack_sock.ts";
const hosts = process.env.AAM_NET_HOSTS ? process.env.AAM_NET_HOSTS.split(",") : ["run", "boot"];

before(test, async () => { await prebuild([[LOOP], [FUZZ], [SOCK]]); });

for (const host of hosts) {
  test(`${host}: loopback UDP and ICMP, queue limits, unreachables, heap baseline`, async () => {
    const r = await aam([host, await image(LOOP), "--cores", "2"]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, [
      "udp 127.0.0.1: ok", "udp own address: ok", "queue full: drops 5",
      "closed port: no_port +1 unreach +1", "echo to self: send 0 replies +1 replies in +1",
      "too big: -90", "heap blocks back to baseline: yes", ""].join("\n"));
  });

  test(`${host}: socket calls through net.idl — UDP over 127.0.0.1, every errno, close wakes a reader, 1024 descriptors, a bad pointer, heap baseline`, async () => {
    const r = await aam([host, await image(SOCK), "--cores", "2"]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, [
      // bad fd, bad type, listen on UDP, 1473 bytes, bind, port in use, DONTWAIT, send unconnected,
      // recv on an unconnected TCP socket, bind twice, listen without a port, sendto port 0, close bad fd
      "errnos: -9 -91 -95 -90 0 -98 -11 -89 -107 -22 -22 -89 -9",
      "waiter after close: -9",
      "descriptors: 1024 then -24, open after 0",
      "bad pointer: call failed yes, machine goes on yes",
      "rounds ok, heap +0, ip a000002 link 0", ""].join("\n"));
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
