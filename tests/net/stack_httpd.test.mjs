// stack_httpd.test.mjs: examples/httpd.ts with a disk, under QEMU's user network (no root:
// `aam boot … --net user --forward PORT:80 --disk IMG`), spoken to with raw sockets from Node.
// Questions: is `/` the fixed page and a file of the disk its bytes (a 300 KB one byte-exact)?
// is a missing file 404 on a connection that goes on? are pipelined requests answered in order,
// and a request that arrives one byte at a time? do HEAD, HTTP/1.0, `Connection: close`, a
// body with Content-Length, another method and garbage get what RFC 9112 says (no body; close;
// close; skipped; 405; 400 and close)? Deterministic: every check reads whole responses; the
// server is ready when it printed its port.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as net from "node:net";
import * as path from "node:path";
import * as crypto from "node:crypto";
import { spawn } from "node:child_process";
import { AAM, ROOT, HANG_MS, aam, image, before } from "../lib/aam.mjs";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aam-httpd-"));
const big = crypto.randomBytes(300000);
const ctx = {};

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const p = s.address().port;
  await new Promise((r) => s.close(r));
  return p;
}

// Sends `chunks` (with `gapMs` between them), reads until the server closes or `until(buf)`.
function exchange(chunks, { until = null, gapMs = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const c = net.connect(ctx.port, "127.0.0.1");
    let got = Buffer.alloc(0), done = false;
    const finish = (closed) => { if (done) return; done = true; c.destroy(); resolve({ data: got, closed }); };
    c.on("data", (d) => { got = Buffer.concat([got, d]); if (until && until(got)) finish(false); });
    c.on("end", () => finish(true));
    c.on("error", reject);
    c.on("connect", async () => {
      for (const ch of chunks) { c.write(ch); if (gapMs) await new Promise((r) => setTimeout(r, gapMs)); }
    });
  });
}

// Splits a buffer of responses into [{status, headers, body}] (Content-Length framing).
function responses(buf) {
  const out = [];
  let at = 0;
  while (at < buf.length) {
    const end = buf.indexOf("\r\n\r\n", at);
    if (end < 0) break;
    const head = buf.subarray(at, end).toString("latin1").split("\r\n");
    const headers = {};
    for (const l of head.slice(1)) { const i = l.indexOf(":"); headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim(); }
    const len = Number(headers["content-length"] ?? 0);
    if (end + 4 + len > buf.length) break;                       // not all here yet
    out.push({ status: Number(head[0].split(" ")[1]), headers, body: buf.subarray(end + 4, end + 4 + len) });
    at = end + 4 + len;
  }
  return out;
}
const count = (n) => (b) => responses(b).length >= n;

before(test, async () => {
  fs.mkdirSync(path.join(dir, "site"));
  fs.writeFileSync(path.join(dir, "site/hello.txt"), "hello from the disk\n");
  fs.writeFileSync(path.join(dir, "site/big.bin"), big);
  const img = path.join(dir, "site.img");
  const mk = await aam(["mkdisk", img, "--size", "32M", "--from", path.join(dir, "site")]);
  assert.is(mk.code, 0, mk.stderr);
  ctx.port = await freePort();
  const prog = await image("examples/httpd.ts");
  ctx.p = spawn(process.execPath, [AAM, "boot", prog, "--net", "user", "--forward", `${ctx.port}:80`, "--disk", img],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true });    // its own process group: QEMU goes with it
  ctx.out = ""; ctx.err = "";
  ctx.p.stderr.on("data", (d) => (ctx.err += d));
  ctx.killer = setTimeout(stop, HANG_MS);
  await new Promise((res, rej) => {
    ctx.p.stdout.on("data", (d) => { ctx.out += d; if (/^httpd: port 80$/m.test(ctx.out)) res(); });
    ctx.p.on("close", (code) => rej(new Error(`httpd ended (${code}):\n${ctx.out}\n${ctx.err}`)));
  });
});
function stop() {
  try { process.kill(-ctx.p.pid, "SIGKILL"); } catch {}
  ctx.p.stdout.destroy(); ctx.p.stderr.destroy();
}
test.after(() => {
  clearTimeout(ctx.killer);
  if (ctx.p) stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("GET / is the page; a file of the disk its bytes; a missing one 404 — on one keep-alive connection", async () => {
  const req = (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`;
  const r = await exchange([req("/"), req("/hello.txt"), req("/missing.txt"), req("/big.bin")], { until: count(4) });
  const [a, b, c, d] = responses(r.data);
  assert.is(a.status, 200);
  assert.match(a.body.toString(), "aam httpd");
  assert.is(a.headers["content-type"], "text/html");
  assert.is(b.status, 200);
  assert.is(b.body.toString(), "hello from the disk\n");
  assert.is(b.headers["content-type"], "text/plain");
  assert.is(c.status, 404);
  assert.is(d.status, 200);
  assert.is(Number(d.headers["content-length"]), big.length);
  assert.ok(d.body.equals(big), "300 KB byte-exact");
  assert.is(r.closed, false);
});

test("pipelined requests in one write, and a request one byte at a time", async () => {
  const two = "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
  const r = await exchange([two], { until: count(2) });
  assert.equal(responses(r.data).map((x) => x.status), [200, 200]);
  const slow = "GET /hello.txt HTTP/1.1\r\nHost: x\r\nX-Long: " + "y".repeat(40) + "\r\n\r\n";
  const s = await exchange([...slow].map((ch) => Buffer.from(ch)), { until: count(1), gapMs: 2 });
  assert.is(responses(s.data)[0].body.toString(), "hello from the disk\n");
});

test("HEAD has no body; HTTP/1.0 and Connection: close close; a body is skipped; 405; garbage is 400 and closes", async () => {
  const h = await exchange(["HEAD /hello.txt HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n\r\n"], { until: (b) => b.includes("aam httpd") });
  const text = h.data.toString("latin1");
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*Content-Length: 20\r\n[^]*\r\n\r\nHTTP\/1\.1 200 OK/, "HEAD: the length, then straight to the next response");
  const old = await exchange(["GET / HTTP/1.0\r\n\r\n"]);
  assert.is(old.closed, true);
  assert.match(old.data.toString(), /Connection: close/);
  const cl = await exchange(["GET / HTTP/1.1\r\nConnection: close\r\n\r\n"]);
  assert.is(cl.closed, true);
  const body = await exchange(["POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /hello.txt HTTP/1.1\r\n\r\n"], { until: count(2) });
  assert.equal(responses(body.data).map((x) => x.status), [405, 200]);
  const bad = await exchange(["HELLO THERE\r\n\r\nGET / HTTP/1.1\r\n\r\n"]);
  assert.is(bad.closed, true);
  assert.equal(responses(bad.data).map((x) => x.status), [400]);
  const v2 = await exchange(["GET / HTTP/2.0\r\n\r\n"]);
  assert.equal(responses(v2.data).map((x) => x.status), [505]);
});

test.run();
