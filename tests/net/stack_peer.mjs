// stack_peer.mjs: a peer on the link for the stack's tests (tests/net/stack_*.test.mjs): it
// listens on a unix stream socket, starts `aam run|boot PROG --net stream:PATH --ip …`, and
// speaks raw Ethernet with the image (4-byte big-endian length + frame, QEMU's -netdev stream
// framing), plus builders and parsers for the frames the tests send and expect. Not a test file.
import * as net from "node:net";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { AAM, ROOT, HANG_MS } from "../lib/aam.mjs";

export const PEER_MAC = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
export const BCAST = Buffer.alloc(6, 0xff);
export const PEER_IP = ip("10.0.0.1");
export const OUR_IP = ip("10.0.0.2");

export function ip(s) { return s.split(".").reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0); }

/** The Internet checksum of `b` (RFC 1071), plus `sum`. */
export function csum(b, sum = 0) {
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length & 1) sum += b[b.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return (~sum) & 0xffff;
}

export function eth(dst, type, payload, src = PEER_MAC) {
  const h = Buffer.alloc(14);
  dst.copy(h, 0); src.copy(h, 6); h.writeUInt16BE(type, 12);
  return Buffer.concat([h, payload]);
}

export function arp(op, sha, spa, tha, tpa) {
  const a = Buffer.alloc(28);
  a.writeUInt16BE(1, 0); a.writeUInt16BE(0x0800, 2); a[4] = 6; a[5] = 4; a.writeUInt16BE(op, 6);
  sha.copy(a, 8); a.writeUInt32BE(spa, 14); tha.copy(a, 18); a.writeUInt32BE(tpa, 24);
  return a;
}

/** An IPv4 packet; `o` overrides header fields (ttl, frag, id, version, ihl, total, csum). */
export function ipv4(src, dst, proto, payload, o = {}) {
  const h = Buffer.alloc(20);
  h[0] = ((o.version ?? 4) << 4) | (o.ihl ?? 5); h.writeUInt16BE(o.total ?? 20 + payload.length, 2);
  h.writeUInt16BE(o.id ?? 1, 4); h.writeUInt16BE(o.frag ?? 0x4000, 6); h[8] = o.ttl ?? 64; h[9] = proto;
  h.writeUInt32BE(src, 12); h.writeUInt32BE(dst, 16);
  h.writeUInt16BE(o.csum ?? csum(h), 10);
  return Buffer.concat([h, payload]);
}

export function icmpEcho(id, seq, data, type = 8) {
  const m = Buffer.concat([Buffer.from([type, 0, 0, 0, id >> 8, id & 255, seq >> 8, seq & 255]), data]);
  m.writeUInt16BE(csum(m), 2);
  return m;
}

function pseudo(src, dst, proto, len) {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
}

export function udp(src, dst, sport, dport, data, o = {}) {
  const u = Buffer.alloc(8 + data.length);
  u.writeUInt16BE(sport, 0); u.writeUInt16BE(dport, 2); u.writeUInt16BE(o.len ?? u.length, 4); data.copy(u, 8);
  let c = csum(u, pseudo(src, dst, 17, u.length));
  u.writeUInt16BE(o.csum ?? (c === 0 ? 0xffff : c), 6);
  return u;
}

/** Parses a frame into { dst, src, type, arp?, ip? {src, dst, proto, ttl, hdrOk, payload, udp?, icmp?} }. */
export function parse(f) {
  const r = { dst: f.subarray(0, 6), src: f.subarray(6, 12), type: f.readUInt16BE(12) };
  const p = f.subarray(14);
  if (r.type === 0x0806) r.arp = { op: p.readUInt16BE(6), sha: p.subarray(8, 14), spa: p.readUInt32BE(14), tha: p.subarray(18, 24), tpa: p.readUInt32BE(24) };
  if (r.type === 0x0800) {
    const hl = (p[0] & 15) * 4, total = p.readUInt16BE(2);
    const q = { src: p.readUInt32BE(12), dst: p.readUInt32BE(16), proto: p[9], ttl: p[8], frag: p.readUInt16BE(6), hdrOk: csum(p.subarray(0, hl)) === 0, payload: p.subarray(hl, total) };
    if (q.proto === 1) q.icmp = { type: q.payload[0], code: q.payload[1], ok: csum(q.payload) === 0, rest: q.payload.subarray(4) };
    if (q.proto === 17) {
      const u = q.payload;
      q.udp = { sport: u.readUInt16BE(0), dport: u.readUInt16BE(2), len: u.readUInt16BE(4), data: u.subarray(8, u.readUInt16BE(4)), ok: csum(u.subarray(0, u.readUInt16BE(4)), pseudo(q.src, q.dst, 17, u.readUInt16BE(4))) === 0 };
    }
    r.ip = q;
  }
  return r;
}

/** Starts `aam <cmd> <image> --net stream:PATH --ip 10.0.0.2/24 …` with a peer listening at
 *  PATH. Resolves once the image connected: { send(frame), next(pred, what) (the next frame
 *  matching pred, earlier non-matching ones kept), line(re) (waits for a stdout line), done()
 *  (waits for the exit: {code, stdout, stderr}), frames (every frame received) }. */
export async function startPeer(cmd, image, { args = [], extra = [] } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aam-peer-"));
  const sockPath = path.join(dir, "link.sock");
  const server = net.createServer();
  await new Promise((res) => server.listen(sockPath, res));
  const p = spawn(process.execPath, [AAM, cmd, image, "--net", `stream:${sockPath}`, "--ip", "10.0.0.2/24", ...extra, ...(args.length ? ["--", ...args] : [])],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true });    // its own process group: kill() takes QEMU too
  let ended = false;
  const killAll = () => { if (!ended) try { process.kill(-p.pid, "SIGKILL"); } catch {} };
  let stdout = "", stderr = "";
  const lineWaiters = [];
  p.stdout.on("data", (d) => { stdout += d; for (const w of [...lineWaiters]) if (w.re.test(stdout)) { lineWaiters.splice(lineWaiters.indexOf(w), 1); w.res(); } });
  p.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((res) => p.on("close", (code) => { ended = true; res({ code, stdout, stderr }); }));
  const killer = setTimeout(killAll, HANG_MS);
  const conn = await new Promise((res, rej) => {
    server.once("connection", res);
    exited.then((r) => rej(new Error(`aam ended before connecting (${r.code}):\n${r.stderr}`)));
  });
  const frames = [], pending = [], waiters = [];
  let acc = Buffer.alloc(0);
  conn.on("data", (d) => {
    acc = Buffer.concat([acc, d]);
    while (acc.length >= 4 && acc.length >= 4 + acc.readUInt32BE(0)) {
      const f = acc.subarray(4, 4 + acc.readUInt32BE(0));
      acc = acc.subarray(4 + f.length);
      frames.push(f);
      const w = waiters.find((w) => w.pred(f));
      if (w) { waiters.splice(waiters.indexOf(w), 1); w.res(f); } else pending.push(f);
    }
  });
  conn.on("error", () => {});
  const fail = (what) => exited.then((r) => { throw new Error(`aam ended while waiting for ${what} (${r.code}):\n${r.stdout}\n${r.stderr}`); });
  return {
    frames,
    send(f) { const h = Buffer.alloc(4); h.writeUInt32BE(f.length); conn.write(Buffer.concat([h, f])); },
    next(pred, what = "a frame") {
      const i = pending.findIndex(pred);
      if (i >= 0) return Promise.resolve(pending.splice(i, 1)[0]);
      return Promise.race([new Promise((res) => waiters.push({ pred, res })), fail(what)]);
    },
    line(re) {
      if (re.test(stdout)) return Promise.resolve();
      return Promise.race([new Promise((res) => lineWaiters.push({ re, res })), fail(String(re))]);
    },
    async done() {
      const r = await exited;
      clearTimeout(killer);
      conn.destroy(); server.close();
      fs.rmSync(dir, { recursive: true, force: true });
      return r;
    },
    kill() { killAll(); },
  };
}

/** The "stat NAME VALUE" lines of a program's stdout as an object. */
export function stats(stdout) {
  const s = {};
  for (const m of stdout.matchAll(/^stat (\w+) (\d+)$/gm)) s[m[1]] = Number(m[2]);
  return s;
}
