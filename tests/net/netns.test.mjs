// netns.test.mjs: the test library tests/lib/netns.mjs itself, without a guest.
// Questions: does a namespace come with its tap (address set, IPv6 off)? does close() delete it
// and kill what ran inside, also a process group? is a stale `aamt-<dead pid>-*` namespace swept
// by the next createNs? does a command in the namespace see only its interfaces?
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { createNs, liveNamespaces, netnsAvailable } from "../lib/netns.mjs";

const root = netnsAvailable();
const it = (name, fn) => test(name, async () => {
  if (!root) { console.log(`  (skipped: ${name}: needs root and ip netns)`); return; }
  await fn();
});
const nsList = () => spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;

it("a namespace has its tap with the host address, IPv6 off, and only lo and the tap", async () => {
  const ns = createNs();
  try {
    const r = await ns.exec("ip", ["-br", "addr"]);
    assert.match(r.stdout, new RegExp(`${ns.tap}\\s+\\S+\\s+${ns.hostIp.replace(/\./g, "\\.")}/24`));
    assert.is(r.stdout.trim().split("\n").length, 2, r.stdout);
    assert.is((await ns.exec("sysctl", ["-n", "net.ipv6.conf.all.disable_ipv6"])).stdout.trim(), "1");
  } finally { await ns.close(); }
});

it("close() kills what runs inside (process groups too) and deletes the namespaces", async () => {
  const ns = createNs({ peer: true });
  const p = ns.spawn("sh", ["-c", "sleep 600 & sleep 600; wait"]);
  await ns.exec("true");
  assert.equal(liveNamespaces().sort(), [ns.name, ns.peer.name].sort());
  await ns.close();
  assert.ok(p.exited, "the process ended");
  assert.not.match(nsList(), ns.name);
  assert.is(spawnSync("ip", ["netns", "pids", ns.name]).status !== 0, true);
});

it("a stale aamt-<dead pid>-* namespace is swept; a live process's is left alone", async () => {
  const dead = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();   // a pid that has ended
  const stale = `aamt-${dead}-0`, mine = `aamt-${process.pid}-999`;
  spawnSync("ip", ["netns", "add", stale]);
  spawnSync("ip", ["netns", "add", mine]);
  try {
    const { createNs: fresh } = await import(`../lib/netns.mjs?sweep=${Date.now()}`);   // a module instance that has not swept yet
    const ns = fresh();
    await ns.close();
    assert.not.match(nsList(), stale);
    assert.match(nsList(), mine);
  } finally {
    spawnSync("ip", ["netns", "del", stale]);
    spawnSync("ip", ["netns", "del", mine]);
  }
});

it("a ping from the namespace reaches the peer namespace over the veth, and nothing else is reachable", async () => {
  const ns = createNs({ peer: true });
  try {
    assert.is((await ns.exec("ping", ["-n", "-c", "1", "-W", "5", ns.peer.ip])).code, 0);
    const out = await ns.exec("ping", ["-n", "-c", "1", "-W", "1", "10.255.255.1"]);
    assert.is.not(out.code, 0, "no route leaves the namespace");
  } finally { await ns.close(); }
});

test.run();
