// common.mjs: what the network tests against Linux share: the hosts they run on, a guest program
// started inside a fresh namespace and waited for, test data with known SHA-256, nc echo through
// the namespace, and the heap report of tests/net/programs/server.ts.
// Not: the namespace itself (tests/lib/netns.mjs), the Linux peers (peer.py, impair.py,
// tools/bench/c/netpeer.c).
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { image, ROOT, before } from "../lib/aam.mjs";
import { createNs, netnsAvailable } from "../lib/netns.mjs";

/** Both hosts (the parity); AAM_NET_HOSTS=node (or qemu) narrows it for a quick run. */
export const HOSTS = (process.env.AAM_NET_HOSTS ?? "node,qemu").split(",").filter(Boolean);
export const ECHO = "examples/echo.ts";
export const HTTPD = "examples/httpd.ts";
export const SERVER = "tests/net/programs/server.ts";   // echo + a heap report on UDP (see there)
export const CLIENT = "tests/net/programs/client.ts";
export const PEER = path.join(ROOT, "tests/net/peer.py");
export const IMPAIR = path.join(ROOT, "tests/net/impair.py");
/** Hang guards only (tests count, they never time): QEMU under TCG is slow to boot and to run. */
export const STEP_MS = 10 * 60 * 1000;

export { netnsAvailable, createNs, image, ROOT, before };

/** Compile tools/bench/c/netpeer.c once per process into build/net/netpeer (when it changed). */
export function netpeer() {
  const src = path.join(ROOT, "tools/bench/c/netpeer.c"), bin = path.join(ROOT, "build/net/netpeer");
  if (!fs.existsSync(bin) || fs.statSync(bin).mtimeMs < fs.statSync(src).mtimeMs) {
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    const r = spawnSync(process.env.CC || "cc", ["-O2", "-o", bin, src, "-lm"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`cc netpeer.c: ${r.stderr}`);
  }
  return bin;
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "aam-net-"));
process.on("exit", () => fs.rmSync(dataDir, { recursive: true, force: true }));

/** A file of `bytes` random bytes (made once per process); {file, sha}. */
const files = new Map();
export function dataFile(bytes) {
  if (files.has(bytes)) return files.get(bytes);
  const file = path.join(dataDir, `d${bytes}.bin`);
  const h = crypto.createHash("sha256"), fd = fs.openSync(file, "w");
  for (let left = bytes; left > 0;) {
    const b = crypto.randomBytes(Math.min(left, 1 << 20));
    h.update(b);
    fs.writeSync(fd, b);
    left -= b.length;
  }
  fs.closeSync(fd);
  const f = { file, sha: h.digest("hex"), bytes };
  files.set(bytes, f);
  return f;
}

/** `nc` sends the file to ip:port, closes its sending side at EOF (-N) and hashes what comes
 *  back until the server's FIN. Resolves {sha, bytes, code}. */
let echoes = 0;
export async function ncEcho(ns, ip, port, file, timeoutMs = STEP_MS) {
  const got = path.join(dataDir, `echo${echoes++}.out`);
  const r = await ns.sh(`nc -N -w 120 ${ip} ${port} < ${file} > ${got}; s=$?; sha256sum < ${got}; stat -c %s ${got}; exit $s`, { timeoutMs });
  fs.rmSync(got, { force: true });
  const [sha, size] = r.stdout.trim().split("\n");
  return { sha: sha?.split(" ")[0], bytes: Number(size), code: r.code, stderr: r.stderr };
}

/** A guest running `entry` (args) on host in a fresh namespace, answering ping and accepting on
 *  `port`: {ns, guest, image}. `net`: "stream" puts impair.py between the tap and the guest. */
export async function startGuest(entry, { host, args = [], port, impair = false, peer = false } = {}) {
  const img = await image(entry);
  const ns = createNs({ peer });
  try {
    let relay = null, net;
    if (impair) {
      const sock = path.join(dataDir, `${ns.name}.sock`);
      relay = ns.spawn("python3", [IMPAIR, ns.tap, sock, sock + ".stats"], { stdin: "pipe" });
      await relay.waitFor(/^ready$/m, 30000);
      relay.statsFile = sock + ".stats";
      net = `stream:${sock}`;
    }
    const guest = ns.startGuest(img, { host, args, net });
    const pings = await ns.waitPing(guest);
    const connects = port === undefined ? 0 : await ns.waitPort(guest, port);
    return { ns, guest, relay, pings, connects };
  } catch (e) {
    await ns.close();
    throw e;
  }
}

/** The guest's neighbour entry as Linux learnt it (after a ping): its MAC. */
export async function guestMac(ns) {
  const r = await ns.exec("ip", ["neigh", "show", ns.guestIp, "dev", ns.tap]);
  const m = /lladdr ([0-9a-f:]{17})/.exec(r.stdout);
  if (!m) throw new Error(`no neighbour entry for ${ns.guestIp}: ${r.stdout}`);
  return m[1];
}

/** Run peer.py inside the namespace; resolves its (last) JSON line. */
export async function peer(ns, args, { timeoutMs = STEP_MS } = {}) {
  const r = await ns.exec("python3", [PEER, ...args], { timeoutMs });
  const line = r.stdout.trim().split("\n").pop() || "{}";
  let j;
  try { j = JSON.parse(line); } catch { j = { error: `no JSON: ${r.stdout} ${r.stderr}` }; }
  if (r.code !== 0 && !j.error) j.error = `status ${r.code}: ${r.stderr}`;
  return j;
}

/** The guest's heap in use (server.ts answers "heap" on UDP port 9 with "heap N"; bounded tries). */
export async function guestHeap(ns) {
  const j = await peer(ns, ["ask", ns.guestIp, "9", "heap"]);
  const m = /heap (\d+)/.exec(j.reply ?? "");
  if (!m) throw new Error(`server.ts did not answer the heap query: ${JSON.stringify(j)}`);
  return Number(m[1]);
}
