// dev_tap.test.mjs: the virtio-net device on a TAP (`--net tap:NAME`), on Node through the relay
// (tools/net/taprelay.c) and on QEMU (-netdev tap), inside a network namespace this test creates
// and deletes: no traffic leaves it. Questions: do frames sent from the namespace side of the TAP
// (an AF_PACKET socket, dev_tap_peer.py) come back byte for byte, exactly once? is a TAP that did
// not exist created for the run and deleted after it, and one that existed left in place?
// Needs root (ip netns, /dev/net/tun) and python3. Deterministic: the peer starts on the image's
// hello frame; its time limit (PEER_S) only turns a lost frame into a failure instead of a hang.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { AAM, ROOT, HANG_MS, image, prebuild, before } from "../lib/aam.mjs";

const ECHO = "tests/net/programs/dev_echo.ts";
const PEER = path.join(ROOT, "tests/net/dev_tap_peer.py");
const NS = `aamdev${process.pid}`;
const PEER_S = 240;
let img;

const sh = (cmd, args) => spawnSync(cmd, args, { encoding: "utf8" });
const inNs = (args) => sh("ip", ["netns", "exec", NS, ...args]);
const linkExists = (name) => inNs(["ip", "link", "show", "dev", name]).status === 0;

/** Run `cmd` in the namespace; resolves { code, stdout, stderr }; killed after HANG_MS. */
function runNs(args) {
  return new Promise((resolve, reject) => {
    const p = spawn("ip", ["netns", "exec", NS, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const t = setTimeout(() => { p.kill("SIGKILL"); reject(new Error(`${args.join(" ")} hung\n${stdout}\n${stderr}`)); }, HANG_MS);
    p.on("close", (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
  });
}

before(test, async () => {
  await prebuild([[ECHO]]);
  img = await image(ECHO);
  sh("ip", ["netns", "del", NS]);
  const r = sh("ip", ["netns", "add", NS]);
  if (r.status !== 0) throw new Error(`ip netns add ${NS}: ${r.stderr}`);
  inNs(["ip", "link", "set", "lo", "up"]);
  inNs(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]);
});
test.after(() => { sh("ip", ["netns", "del", NS]); });

async function echoOverTap(cmd, tap, n) {
  const add = inNs(["ip", "tuntap", "add", "dev", tap, "mode", "tap"]);
  assert.is(add.status, 0, add.stderr);
  inNs(["ip", "link", "set", "dev", tap, "up"]);
  try {
    const peer = runNs(["python3", PEER, tap, String(n), String(PEER_S)]);
    const run = await runNs([process.execPath, AAM, cmd, img, "--cores", "2", "--net", `tap:${tap}`, "--ip", "10.7.0.2/24", "--", String(n)]);
    const p = await peer;
    assert.is(p.code, 0, p.stderr);
    const res = JSON.parse(p.stdout.trim().split("\n").pop());
    assert.ok(linkExists(tap), "a TAP that existed before the run is still there");
    return { run, res };
  } finally {
    inNs(["ip", "link", "del", "dev", tap]);
  }
}

const N = 30;
for (const [host, cmd] of [["Node", "run"], ["QEMU", "boot"]]) {
  test(`${host}: frames sent on the namespace's TAP come back byte for byte, exactly once`, async () => {
    const { run, res } = await echoOverTap(cmd, `aamt${cmd}`, N);
    assert.is(run.code, 0, run.stderr + run.stdout);
    assert.equal(res, { hello: true, sent: N, ok: N, dup: 0, bad: 0 }, run.stdout + run.stderr);
    assert.match(run.stdout, new RegExp(`answered ${N} of ${N}, refused 0, rx bad 0, tx drops 0\\n$`));
  });
}

test("Node: a TAP that does not exist is created for the run and deleted after it", async () => {
  assert.not.ok(linkExists("aamtnew"), "no such TAP before");
  const run = await runNs([process.execPath, AAM, "run", img, "--cores", "2", "--net", "tap:aamtnew", "--", "0"]);
  assert.is(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /answered 0 of 0/);
  assert.not.ok(linkExists("aamtnew"), "the TAP the run created is gone");
});

test("QEMU: a TAP that does not exist is created for the run and deleted after it", async () => {
  const run = await runNs([process.execPath, AAM, "boot", img, "--cores", "2", "--net", "tap:aamtnew2", "--", "0"]);
  assert.is(run.code, 0, run.stderr + run.stdout);
  assert.not.ok(linkExists("aamtnew2"), "the TAP the run created is gone");
});

test.run();
