// linux_http.test.mjs: examples/httpd.ts against curl, on the Node host and under QEMU, in a
// namespace of its own with a tap (tests/lib/netns.mjs).
// Questions: is the page served (status 200, Content-Length right, the text `aam httpd`)? do
// several URLs on one curl command share one connection (keep-alive: curl -v says it re-used it)?
// do 100 clients at once (100 curl processes, 100 connections) each get the page? is an unknown
// path a 404 and does the connection survive it?
// Deterministic: counts of responses and of curl's reuse lines; timeouts are hang guards.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { HOSTS, HTTPD, STEP_MS, netnsAvailable, startGuest, image, before } from "./common.mjs";

for (const host of HOSTS) {
  const t = suite(`httpd.ts on ${host}`);
  const ctx = {};
  before(t, async () => {
    if (!netnsAvailable()) return;
    await image(HTTPD);
    Object.assign(ctx, await startGuest(HTTPD, { host, args: ["80"], port: 80 }));
  });
  t.after(async () => { await ctx.ns?.close(); });
  const it = (name, fn) => t(name, async () => {
    if (!netnsAvailable()) { console.log(`  (skipped: ${name}: needs root and ip netns)`); return; }
    await fn();
  });
  const url = (p = "/") => `http://${ctx.ns.guestIp}${p}`;

  it(`curl GET / → 200, the page, its Content-Length right (${host})`, async () => {
    const r = await ctx.ns.exec("curl", ["-s", "-S", "-m", "120", "-D", "-", url()], { timeoutMs: STEP_MS });
    assert.is(r.code, 0, r.stderr);
    const [head, body] = r.stdout.split("\r\n\r\n");
    assert.match(head, /^HTTP\/1\.1 200/);
    const cl = /content-length: *(\d+)/i.exec(head);
    assert.ok(cl, `no Content-Length in\n${head}`);
    assert.is(Buffer.byteLength(body), Number(cl[1]));
    assert.match(body, "aam httpd");
  });

  it(`keep-alive: 5 URLs on one curl command share one connection (${host})`, async () => {
    const r = await ctx.ns.exec("curl", ["-v", "-s", "-m", "120", ...Array(5).fill(url())], { timeoutMs: STEP_MS });
    assert.is(r.code, 0, r.stderr);
    const one = (await ctx.ns.exec("curl", ["-s", "-m", "120", url()], { timeoutMs: STEP_MS })).stdout.split("aam httpd").length - 1;
    assert.is(r.stdout.split("aam httpd").length - 1, 5 * one, "five pages");
    const reused = (r.stderr.match(/Re-using existing connection/g) ?? []).length;
    const connected = (r.stderr.match(/Connected to /g) ?? []).length;
    assert.is(reused, 4, r.stderr);
    assert.is(connected, 1, r.stderr);
  });

  it(`100 clients at once (100 curl processes): every one gets 200 and the page (${host})`, async () => {
    const r = await ctx.ns.sh(`seq 100 | xargs -P 100 -I{} curl -s -m 300 -o /dev/null -w '%{http_code} %{size_download}\\n' ${url()}`, { timeoutMs: STEP_MS });
    const lines = r.stdout.trim().split("\n");
    assert.is(lines.length, 100, r.stdout + r.stderr);
    const size = lines[0].split(" ")[1];
    assert.ok(Number(size) > 0);
    assert.is(lines.filter((l) => l === `200 ${size}`).length, 100, r.stdout);
  });

  it(`curl --parallel --parallel-max 100: 100 transfers, every one 200 (${host})`, async () => {
    const r = await ctx.ns.exec("curl", ["-s", "-m", "300", "--parallel", "--parallel-max", "100", "-w", "%{http_code}\\n", "-o", "/dev/null", ...Array(100).fill(url()).flatMap((u, i) => i ? ["-o", "/dev/null", u] : [u])], { timeoutMs: STEP_MS });
    assert.is(r.code, 0, r.stderr);
    assert.is((r.stdout.match(/^200$/gm) ?? []).length, 100, r.stdout);
  });

  it(`an unknown path is 404, and the same connection then serves / (${host})`, async () => {
    const r = await ctx.ns.exec("curl", ["-v", "-s", "-m", "120", "-w", "%{http_code}\\n", url("/no-such-file"), url()], { timeoutMs: STEP_MS });
    assert.match(r.stdout, /^404$/m, r.stdout);
    assert.match(r.stdout, "aam httpd");
    assert.match(r.stderr, /Re-using existing connection/);
  });

  it(`the guest is still alive after all of it (${host})`, async () => {
    assert.is(ctx.guest.exited, null, JSON.stringify(ctx.guest.exited));
  });

  t.run();
}
