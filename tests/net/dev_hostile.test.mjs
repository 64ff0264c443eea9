// dev_hostile.test.mjs: Node's virtio-net device model (tools/host/net.ts) against transmit chains
// a driver should never make (tests/net/programs/dev_hostile.ts adds them by hand). Questions: is
// each returned to the driver (the program sees it in the used ring and exits), with a line on
// stderr naming what is wrong, and does only a good chain reach the link? Deterministic: the
// program polls for its own chain; the link's frames are counted after the run ended.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { aam, image, prebuild, before } from "../lib/aam.mjs";

const PROG = "tests/net/programs/dev_hostile.ts";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aam-nethostile-"));
let img;
before(test, async () => { await prebuild([[PROG]]); img = await image(PROG); });
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(kind) {
  const sock = path.join(dir, `${kind}.sock`);
  let bytes = 0, closed, connected = false;
  const gone = new Promise((r) => (closed = r));
  const frame = Buffer.concat([Buffer.from([0, 0, 0, 60]), Buffer.alloc(60, 0x5a)]);
  const srv = net.createServer((c) => { connected = true; if (kind.startsWith("rx")) c.write(frame); c.on("data", (d) => (bytes += d.length)); c.on("error", () => {}); c.on("close", closed); });
  await new Promise((r) => srv.listen(sock, r));
  try {
    const r = await aam(["run", img, "--cores", "2", "--net", `stream:${sock}`, "--", kind]);
    if (connected) await gone;                                    // everything the run wrote has been read
    return { r, bytes };
  } finally { srv.close(); }
}

const CASES = [
  ["short", /queue 1: the chain at descriptor \d+ holds 5 bytes, not a 12-byte header and a frame of 14\.\.1514; the frame is dropped/],
  ["long", /queue 1: the chain at descriptor \d+ holds 2012 bytes, not a 12-byte header and a frame of 14\.\.1514; the frame is dropped/],
  ["writable", /queue 1: descriptor \d+ is device-writable; transmit buffers are device-readable; the frame is dropped/],
  ["outside", /queue 1: descriptor \d+ points at 0xfffff000 \+ 72 bytes, outside the image's memory \(\d+ bytes\); the frame is dropped/],
];

for (const [kind, line] of CASES) {
  test(`a ${kind} transmit chain comes back to the driver, is named on stderr, and sends nothing`, async () => {
    const { r, bytes } = await run(kind);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, `dev_hostile: ${kind} chain returned, token 7, length 0\n`);
    assert.match(r.stderr, new RegExp(`^aam: virtio-net stream:\\S+: ${line.source}\\n$`));
    assert.is(bytes, 0, "nothing reached the link");
  });
}

for (const [kind, line] of [
  ["rxread", /queue 0: descriptor \d+ is device-readable; receive buffers are device-writable; a received frame is dropped/],
  ["rxshort", /queue 0: the chain at descriptor \d+ holds fewer than 72 bytes \(the header and a 60-byte frame\); the frame is dropped/],
]) {
  test(`a ${kind} receive chain comes back empty and is named on stderr`, async () => {
    const { r } = await run(kind);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, `dev_hostile: ${kind} chain returned, token 7, length 0\n`);
    assert.match(r.stderr, new RegExp(`^aam: virtio-net stream:\\S+: ${line.source}\\n$`));
  });
}

test("a good receive chain gets the peer's frame behind a 12-byte header (the comparison case)", async () => {
  const { r } = await run("rxgood");
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, "dev_hostile: the frame arrived intact\ndev_hostile: rxgood chain returned, token 7, length 72\n");
  assert.is(r.stderr, "");
});

test("a good transmit chain reaches the link (the comparison case)", async () => {
  const { r, bytes } = await run("good");
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, "dev_hostile: good chain returned, token 7, length 0\n");
  assert.is(r.stderr, "");
  assert.is(bytes, 4 + 60, "one framed 60-byte frame");
});

test("a stream socket nobody listens on ends the run: status 71 and one line naming it", async () => {
  const sock = path.join(dir, "dead.sock");
  const dead = net.createServer();
  await new Promise((r) => dead.listen(sock, r));
  const copy = sock + ".kept";
  fs.linkSync(sock, copy);                            // a socket file that outlives its listener (Node unlinks `sock`)
  await new Promise((r) => dead.close(r));
  const r = await aam(["run", img, "--cores", "2", "--net", `stream:${copy}`, "--", "good"]);
  assert.is(r.code, 71, r.stderr + r.stdout);
  assert.is(r.stderr, `aam: --net stream:${copy}: cannot connect (ECONNREFUSED): a peer must listen there\n`);
});

test("a peer that does not speak the framing ends the run: status 71 and one line", async () => {
  const sock = path.join(dir, "garbage.sock");
  const srv = net.createServer((c) => { c.on("error", () => {}); c.write("GET / HTTP/1.1\r\n\r\n"); });
  await new Promise((r) => srv.listen(sock, r));
  try {
    const r = await aam(["run", img, "--cores", "2", "--net", `stream:${sock}`, "--", "rxgood"]);
    assert.is(r.code, 71, r.stderr + r.stdout);
    assert.is(r.stderr, `aam: --net stream:${sock}: the peer sent a frame length of ${Buffer.from("GET ").readUInt32BE(0)} bytes (at most 65535): it does not speak the 4-byte length + frame framing\n`);
  } finally { srv.close(); }
});

test.run();
