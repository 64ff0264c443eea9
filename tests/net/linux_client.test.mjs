// linux_client.test.mjs: our stack as the client (tests/net/programs/client.ts) of Linux servers
// in the namespace (at its tap address), on the Node host and under QEMU.
// Questions: does a 1 MB echo through netpeer's C server and through a Python socketserver come
// back intact (every byte checked against the pattern)? does `nc -l` receive exactly the bytes we
// sent (SHA-256 of the pattern)? do we receive exactly what `nc -l` sends us? is a connection to a
// closed port refused (-111, Linux answered RST) and one to an address nobody has unreachable
// (-113 once ARP gave up, as on Linux, not -110 after the SYN's last retry 63 s on)?
// Deterministic: hashes, byte counts and result codes; timeouts are hang guards.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { HOSTS, CLIENT, STEP_MS, PEER, netnsAvailable, createNs, netpeer, image, before } from "./common.mjs";

const MB = 1 << 20;
const pattern = (n) => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = i % 251; return b; };
const sha = (b) => crypto.createHash("sha256").update(b).digest("hex");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aam-net-client-"));
process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));

for (const host of HOSTS) {
  const t = suite(`client.ts against Linux servers on ${host}`);
  const ctx = {};
  before(t, async () => {
    if (!netnsAvailable()) return;
    ctx.img = await image(CLIENT);
    ctx.ns = createNs();
    const c = ctx.ns.spawn(netpeer(), ["echo", "7000"]);
    await c.waitFor(/listening/, 30000);
    const p = ctx.ns.spawn("python3", [PEER, "echoserver", "7001"]);
    await p.waitFor(/listening/, 30000);
  });
  t.after(async () => { await ctx.ns?.close(); });
  const it = (name, fn) => t(name, async () => {
    if (!netnsAvailable()) { console.log(`  (skipped: ${name}: needs root and ip netns)`); return; }
    await fn();
  });
  /** Run client.ts once as the guest; resolves its stdout's client line. */
  async function client(...args) {
    const g = ctx.ns.startGuest(ctx.img, { host, args });
    const timer = setTimeout(() => g.kill(), STEP_MS);
    const r = await g.done;
    clearTimeout(timer);
    const line = /^client .*$/m.exec(r.stdout)?.[0];
    assert.ok(line, `no client line (status ${r.code}):\n${r.stdout}\n${r.stderr}`);
    return line;
  }

  it(`1 MB echo through Linux's C echo server (netpeer): every byte back (${host})`, async () => {
    const line = await client("echo", ctx.ns.hostIp, "7000", String(MB));
    assert.match(line, new RegExp(`^client echo bytes ${MB} received ${MB} errors 0 heap `), line);
  });

  it(`1 MB echo through a Python socketserver: every byte back (${host})`, async () => {
    const line = await client("echo", ctx.ns.hostIp, "7001", String(MB));
    assert.match(line, new RegExp(`^client echo bytes ${MB} received ${MB} errors 0 heap `), line);
  });

  // the receiving side is a Python one-connection sink (OpenBSD `nc -l` with stdin at EOF was seen
  // waiting on after our FIN, so the test could not tell when it had everything)
  it(`a Linux sink receives exactly the 1 MB we send (SHA-256) (${host})`, async () => {
    const file = path.join(dir, `${host}-recv.bin`);
    const sink = `import socket\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(("${ctx.ns.hostIp}",9000));s.listen(1)\nc,_=s.accept();f=open("${file}","wb")\nwhile True:\n  d=c.recv(65536)\n  if not d: break\n  f.write(d)\nf.close();c.close()`;
    const nc = ctx.ns.spawn("python3", ["-c", sink]);
    await ctx.ns.waitListening(9000);
    const line = await client("send", ctx.ns.hostIp, "9000", String(MB));
    await nc.done;
    assert.match(line, new RegExp(`^client send bytes ${MB} `), line);
    assert.is(sha(fs.readFileSync(file)), sha(pattern(MB)));
  });

  it(`we receive exactly the 1 MB nc -l sends, then its FIN (${host})`, async () => {
    const file = path.join(dir, `${host}-send.bin`);
    fs.writeFileSync(file, pattern(MB));
    ctx.ns.spawn("sh", ["-c", `exec nc -l -N ${ctx.ns.hostIp} 9001 < ${file}`]);
    await ctx.ns.waitListening(9001);
    const line = await client("recv", ctx.ns.hostIp, "9001");
    assert.match(line, new RegExp(`^client recv received ${MB} errors 0 `), line);
  });

  it(`a connect to a closed port is refused: -111 (${host})`, async () => {
    assert.is(await client("connect", ctx.ns.hostIp, "9999"), "client connect -111");
  });

  it(`a connect to an address nobody answers ARP for fails with -113 (EHOSTUNREACH) when ARP gives up, not -110 after the SYN's retries (${host})`, async () => {
    const unused = ctx.ns.hostIp.replace(/\.1$/, ".99");
    assert.is(await client("connect", unused, "7000"), "client connect -113");
  });

  t.run();
}
