// net.ts: `aam bench net`: the TCP/IP machine (aams/net) serving examples/echo.ts and
// examples/httpd.ts over a tap, on the Node host and under QEMU, next to the same server logic on
// Linux's own stack (tools/bench/c/netpeer.c: an epoll echo and HTTP/1.1 server), all driven by
// the same load generators (netpeer stream / load) from the same namespace, in the same run.
// Owns: the rounds, the rows (MB/s, requests/s, p50/p99 latency), the markdown table and the JSON.
// Not: namespaces and taps (tests/lib/netns.mjs, imported at run time), the load generators and
// the Linux servers (netpeer.c), statistics (stats.ts).
//
// Setup of one target (a fresh namespace each; root only):
//   linux: netpeer echo|http in the peer namespace, reached over a veth pair;
//   aam/node, aam/qemu: the example inside the namespace's tap (`aam run|boot --net tap:…`).
// Rows per target and round:
//   1. throughput: one connection, BYTES of a pattern sent while the echo is read back (full
//      duplex: the same BYTES go each way at once), every byte checked; MB/s each way;
//   2. requests: `GET /` keep-alive, one request outstanding per connection, 1 connection then
//      50; requests/s over the run, p50 and p99 latency of the requests.
// A warm-up (1 MiB echo, 100 requests) precedes the rounds. The first target's failure is no
// reason to skip the others: it becomes a note.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { cachedBuild } from "../build/cache";
import { summarize, type Stats } from "./stats";

export type NetTarget = "linux" | "node" | "qemu";
export interface NetRow {
  id: string; target: NetTarget; impl: string; op: "throughput" | "requests"; connections: number;
  unit: "MB/s" | "req/s"; value: Stats; p50_ns?: Stats; p99_ns?: Stats;
}
export interface NetBench { date: string; cpus: number; load_average: number; rounds: number; bytes: Record<string, number>; requests: Record<string, number>; rows: NetRow[]; notes: string[] }

const IMPL: Record<NetTarget, string> = {
  linux: "Linux's stack (netpeer.c, epoll), over a veth pair",
  node: "machine net (Node host, device model + tap relay)",
  qemu: "machine net (QEMU TCG, virtio-net-device on a tap)",
};

function compileNetpeer(root: string): string {
  const src = path.join(root, "tools/bench/c/netpeer.c"), bin = path.join(root, "build/net/netpeer");
  if (!fs.existsSync(bin) || fs.statSync(bin).mtimeMs < fs.statSync(src).mtimeMs) {
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    const r = spawnSync(process.env.CC || "cc", ["-O2", "-o", bin, src, "-lm"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`cc netpeer.c: ${(r.stderr || "").trim()}`);
  }
  return bin;
}

interface Opts { root: string; quick: boolean; rounds?: number; hosts?: ("node" | "qemu")[]; out: (s: string) => void }

export async function benchNet(o: Opts): Promise<NetBench> {
  const { createNs, netnsAvailable } = await import(pathToFileURL(path.join(o.root, "tests/lib/netns.mjs")).href);
  if (!netnsAvailable()) throw new Error("aam bench net needs root and `ip netns` (it creates network namespaces and taps)");
  const rounds = o.rounds ?? (o.quick ? 1 : 3);
  const targets: NetTarget[] = ["linux", ...(o.hosts ?? ["node", "qemu"])];
  // QEMU under TCG emulates every instruction: the full run moves 1 GiB on Linux and the Node host,
  // a quarter of it under QEMU (the rate, not the total, is the figure)
  const bytes: Record<string, number> = o.quick ? { linux: 16 << 20, node: 16 << 20, qemu: 4 << 20 } : { linux: 1 << 30, node: 1 << 30, qemu: 256 << 20 };
  const requests: Record<string, number> = o.quick ? { c1: 200, c50: 1000 } : { c1: 5000, c50: 20000 };
  const netpeer = compileNetpeer(o.root);
  const images: Record<string, string> = {};
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "aam-bench-net-"));
  const imageOf = async (ex: "echo" | "httpd"): Promise<string> => {
    if (!images[ex]) {
      const wasm = (await cachedBuild({ entry: path.join(o.root, `examples/${ex}.ts`), root: o.root, defines: {} })).wasm;
      images[ex] = path.join(work, `${ex}.wasm`);
      fs.writeFileSync(images[ex], wasm);
    }
    return images[ex];
  };
  const samples = new Map<string, { target: NetTarget; op: NetRow["op"]; connections: number; xs: number[]; p50: number[]; p99: number[] }>();
  const add = (target: NetTarget, op: NetRow["op"], connections: number, x: number, p50?: number, p99?: number): void => {
    const id = `${target}/${op === "throughput" ? "echo_stream" : `http_c${connections}`}`;
    const s = samples.get(id) ?? { target, op, connections, xs: [], p50: [], p99: [] };
    s.xs.push(x);
    if (p50 !== undefined) { s.p50.push(p50); s.p99.push(p99!); }
    samples.set(id, s);
  };
  const notes: string[] = [];
  const HANG = 30 * 60 * 1000;

  /** Start one server of the target; resolves the address to drive. */
  async function serve(ns: any, target: NetTarget, kind: "echo" | "httpd", port: number): Promise<string> {
    if (target === "linux") {
      const p = ns.spawn(netpeer, [kind === "echo" ? "echo" : "http", String(port)], { where: "peer" });
      await p.waitFor(/listening/, 30000);
      return ns.peer.ip;
    }
    const g = ns.startGuest(await imageOf(kind === "echo" ? "echo" : "httpd"), { host: target, args: [String(port)] });
    await ns.waitPing(g);
    await ns.waitPort(g, port);
    return ns.guestIp;
  }
  const drive = async (ns: any, args: string[]): Promise<any> => {
    const r = await ns.exec(netpeer, args, { timeoutMs: HANG });
    const line = r.stdout.trim().split("\n").pop() || "";
    if (r.code !== 0) throw new Error(`netpeer ${args.join(" ")}: status ${r.code}: ${line} ${r.stderr.trim()}`);
    return JSON.parse(line);
  };

  try {
    for (const target of targets) {
      for (const kind of ["echo", "httpd"] as const) {
        const ns = createNs({ peer: target === "linux" });
        try {
          const port = kind === "echo" ? 7 : 80;
          const ip = await serve(ns, target, kind, port);
          if (kind === "echo") {
            await drive(ns, ["stream", ip, String(port), String(1 << 20)]);
            for (let r = 0; r < rounds; r++) {
              const j = await drive(ns, ["stream", ip, String(port), String(bytes[target])]);
              if (j.errors || j.received !== bytes[target]) throw new Error(`echo stream: ${JSON.stringify(j)}`);
              add(target, "throughput", 1, bytes[target] / 1e6 / (j.ns / 1e9));
            }
          } else {
            await drive(ns, ["load", ip, String(port), "1", "100"]);
            for (let r = 0; r < rounds; r++) {
              for (const [conns, n] of [[1, requests.c1], [50, requests.c50]]) {
                const j = await drive(ns, ["load", ip, String(port), String(conns), String(n)]);
                add(target, "requests", conns, j.requests / (j.ns / 1e9), j.p50_ns, j.p99_ns);
              }
            }
          }
        } catch (e) {
          notes.push(`${target} ${kind}: ${(e as Error).message.split("\n")[0]}`);
        } finally {
          await ns.close();
        }
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }

  const rows: NetRow[] = [...samples.entries()].map(([id, s]) => ({
    id, target: s.target, impl: IMPL[s.target], op: s.op, connections: s.connections,
    unit: s.op === "throughput" ? "MB/s" : "req/s", value: summarize(s.xs),
    ...(s.p50.length ? { p50_ns: summarize(s.p50), p99_ns: summarize(s.p99) } : {}),
  }));
  const load = os.loadavg()[0];
  const f = (x: number): string => x >= 100 ? x.toFixed(0) : x.toFixed(1);
  const us = (x?: Stats): string => x ? `${(x.median / 1e3).toFixed(x.median >= 1e5 ? 0 : 1)} µs` : "—";
  o.out(`## Network: TCP echo stream and HTTP requests (${rounds} round${rounds > 1 ? "s" : ""}; load average ${load.toFixed(2)}, ${os.cpus().length} CPUs)\n\n`);
  o.out(`Echo stream: one connection, ${Object.entries(bytes).filter(([t]) => targets.includes(t as NetTarget)).map(([t, b]) => `${t} ${b >> 20} MiB`).join(", ")} each way at once (MB/s each way). ` +
    `HTTP: GET / keep-alive, one request outstanding per connection, ${requests.c1} requests on 1 connection, ${requests.c50} on 50.\n\n`);
  o.out("| implementation | operation | median | mean ± sd | p99 of rounds | latency p50 | latency p99 | vs Linux |\n|---|---|---|---|---|---|---|---|\n");
  for (const x of rows) {
    const lin = rows.find((y) => y.target === "linux" && y.op === x.op && y.connections === x.connections);
    const ratio = lin && lin !== x ? `${(x.value.median / lin.value.median).toFixed(3)}×` : "—";
    const op = x.op === "throughput" ? "echo stream, 1 connection" : `GET /, ${x.connections} connection${x.connections > 1 ? "s" : ""}`;
    o.out(`| ${x.impl} | ${op} | ${f(x.value.median)} ${x.unit} | ${f(x.value.mean)} ± ${f(x.value.sd)} | ${f(x.value.p99)} | ${us(x.p50_ns)} | ${us(x.p99_ns)} | ${ratio} |\n`);
  }
  for (const n of notes) o.out(`\nnote: ${n}\n`);
  o.out("\n");
  return { date: new Date().toISOString().slice(0, 10), cpus: os.cpus().length, load_average: load, rounds, bytes, requests, rows, notes };
}
