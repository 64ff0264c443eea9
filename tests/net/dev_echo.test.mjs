// dev_echo.test.mjs: the virtio-net device alone (aams/net/nic.ts over tools/host/net.ts on Node
// and QEMU's virtio-net-device), without the IP stack. Questions: does every frame a peer sends,
// 14 to 1514 bytes, come back byte for byte and exactly once, on both hosts? do the image's
// MAC and AAM_NET_IP (the kernel command line's environment on QEMU) match on both? does a TAP
// in a network namespace carry frames both ways, and is a TAP the run created deleted after it?
// Deterministic: the peer starts sending when the image's "hello" frame arrives (frames that reach
// QEMU's device before its driver is up are lost, as on any NIC), and the program exits only after
// it answered every frame and the device returned every tx buffer; nothing is timed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { aam, image, prebuild, before } from "../lib/aam.mjs";

const ECHO = "tests/net/programs/dev_echo.ts";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aam-netdev-"));
const PEER_MAC = Buffer.from([0x02, 0, 0, 0, 0, 0x09]);
const TYPE = 0x88b5;
let img;
let socks = 0;

before(test, async () => {
  await prebuild([[ECHO]]);
  img = await image(ECHO);
});
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Frame i of `len` bytes: to the image's MAC, from PEER_MAC, TYPE, then i (u16) and a pattern. */
function frame(i, len, dst) {
  const b = Buffer.alloc(len);
  dst.copy(b, 0);
  PEER_MAC.copy(b, 6);
  b.writeUInt16BE(TYPE, 12);
  for (let k = 14; k < len; k++) b[k] = (k * 7 + (len >= 16 ? i * 13 : 0)) & 255;   // a frame too short for its index: the same bytes for every i
  if (len >= 16) b.writeUInt16BE(i, 14);
  return b;
}
const framedOut = (f) => { const h = Buffer.alloc(4); h.writeUInt32BE(f.length); return Buffer.concat([h, f]); };
function deframer(on) {
  let acc = Buffer.alloc(0);
  return (d) => {
    acc = Buffer.concat([acc, d]);
    while (acc.length >= 4 && acc.length >= 4 + acc.readUInt32BE(0)) {
      const n = acc.readUInt32BE(0);
      on(Buffer.from(acc.subarray(4, 4 + n)));
      acc = acc.subarray(4 + n);
    }
  };
}
const isHello = (f) => f.length >= 19 && f.readUInt16BE(12) === TYPE && f.subarray(14, 19).toString() === "hello";

/** Run `aam cmd img --net stream:SOCK` against a peer that, on the image's hello, sends frames of
 *  `sizes` and collects what comes back. Resolves { r (the aam result), hello, back: Map i → frames }. */
async function streamRun(cmd, sizes, extra = []) {
  const sock = path.join(dir, `s${socks++}.sock`);
  let hello = null;
  const back = new Map();
  const others = [];
  let closed, connected = false;
  const gone = new Promise((r) => (closed = r));
  const srv = net.createServer((c) => {
    connected = true;
    c.on("close", closed);
    c.on("data", deframer((f) => {
      if (!hello && isHello(f)) {
        hello = f;
        const mac = f.subarray(6, 12);
        c.write(Buffer.concat(sizes.map((len, i) => framedOut(frame(i, len, mac)))));
        return;
      }
      if (f.length >= 14 && f.readUInt16BE(12) === TYPE) {
        const i = f.length >= 16 ? f.readUInt16BE(14) : sizes.indexOf(f.length);
        if (!back.has(i)) back.set(i, []);
        back.get(i).push(f);
      } else others.push(f);
    }));
    c.on("error", () => {});
  });
  await new Promise((r) => srv.listen(sock, r));
  try {
    const r = await aam([cmd, img, "--cores", "2", "--net", `stream:${sock}`, ...extra, "--", String(sizes.length)]);
    if (connected) await gone;                      // everything the run wrote has been read
    return { r, hello, back, others };
  } finally {
    srv.close();
  }
}

// 60 (the minimum Ethernet frame without FCS), 1514 (the maximum), 14 (a bare header), odd sizes.
const SIZES = Array.from({ length: 40 }, (_, i) => [60, 1514, 14, 15, 61 + i * 31, 1513, 100 + i][i % 7]);

function checkEcho({ r, hello, back }, sizes) {
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.ok(hello, "the image sent its hello frame");
  const mac = hello.subarray(6, 12);
  assert.equal([...hello.subarray(0, 6)], [255, 255, 255, 255, 255, 255], "hello is a broadcast");
  for (let i = 0; i < sizes.length; i++) {
    if (sizes[i] < 16) continue;                      // 14/15-byte frames carry no index: counted below
    const got = back.get(i) ?? [];
    assert.is(got.length, 1, `frame ${i} (${sizes[i]} bytes) came back ${got.length} times`);
    const want = frame(i, sizes[i], PEER_MAC);
    mac.copy(want, 6);                                // the image swapped the addresses
    assert.ok(got[0].equals(want), `frame ${i} (${sizes[i]} bytes) came back changed`);
  }
  for (const len of [14, 15]) {
    const n = sizes.filter((s) => s === len).length;
    const got = back.get(sizes.indexOf(len)) ?? [];
    assert.is(got.length, n, `${len}-byte frames: ${n} sent, ${got.length} back`);
    const want = frame(0, len, PEER_MAC);
    mac.copy(want, 6);
    for (const f of got) assert.ok(f.equals(want), `a ${len}-byte frame came back changed`);
  }
  assert.match(r.stdout, new RegExp(`answered ${sizes.length} of ${sizes.length}, refused 0, rx bad 0, tx drops 0\\n$`));
}

test("Node: every frame of 14..1514 bytes comes back byte for byte, exactly once, and the image sees its MAC and AAM_NET_IP", async () => {
  const res = await streamRun("run", SIZES, ["--ip", "10.9.8.7/24", "--gw", "10.9.8.1"]);
  checkEcho(res, SIZES);
  assert.match(res.r.stdout, /^dev_echo: up, handle 0, mac 52:54:00:12:34:56, AAM_NET_IP 10\.9\.8\.7\/24, AAM_NET_GW 10\.9\.8\.1\n/);
  assert.equal([...res.hello.subarray(6, 12)], [0x52, 0x54, 0, 0x12, 0x34, 0x56], "the hello comes from the MAC the image reported");
});

test("Node and QEMU: a burst of 2000 frames at once (more than the 128 rx and 256 tx buffers) all come back, none dropped", async () => {
  const sizes = Array.from({ length: 2000 }, (_, i) => 60 + (i % 5) * 363);
  for (const cmd of ["run", "boot"]) checkEcho(await streamRun(cmd, sizes), sizes);
});

test("QEMU: the same frames come back the same, and stdout equals Node's", async () => {
  const node = await streamRun("run", SIZES, ["--ip", "10.9.8.7/24", "--gw", "10.9.8.1"]);
  const qemu = await streamRun("boot", SIZES, ["--ip", "10.9.8.7/24", "--gw", "10.9.8.1"]);
  checkEcho(qemu, SIZES);
  assert.is(qemu.r.stdout, node.r.stdout, qemu.r.stderr);
});

test("QEMU and Node with a disk attached too: the network device is handle 1, in the next slot, and its interrupts arrive", async () => {
  const disk = path.join(dir, "d.img");
  fs.writeFileSync(disk, Buffer.alloc(64 * 512));
  for (const cmd of ["run", "boot"]) {
    const res = await streamRun(cmd, SIZES, ["--disk", disk]);
    checkEcho(res, SIZES);
    assert.match(res.r.stdout, /^dev_echo: up, handle 1, /, cmd);
  }
});

test.run();
