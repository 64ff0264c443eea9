// host-driver.ts: JS on the Node host calling machines krt and urt of programs/host.ts through the
// generated TypeScript client (programs/rt_igen_host.ts) and the host transport (startImage).
// igen-run.test.mjs bundles it with esbuild (the test suite runs plain ESM) and calls run().
import { loadImage, startImage } from "../../tools/host/node";
import { krtClient, urtClient, RtMode, KRT_INTERFACE_HASH, type IgenHost, type Point, type RtParams } from "./programs/rt_igen_host";

const params: RtParams = { tag: 1, scale: 2n, origin: { x: 10, y: 20 }, weight: 2.5, flip: true };

/** One line per machine, the same facts the AS round trip prints, plus the refusals. */
export async function run(image: string, workerPath: string, cores: number): Promise<{ lines: string[]; code: number }> {
  const sys = startImage({ ...loadImage(image), cores, args: ["host"], env: {}, workerPath, fds: [1, 2] });
  const lines: string[] = [];
  try {
    for (const [who, c] of [["krt", krtClient(sys)], ["urt", urtClient(sys)]] as const) {
      const data = Uint8Array.from({ length: 100 }, (_, i) => i);
      const buf = new Uint8Array(16).fill(0xee);
      const vals = Int32Array.from([1, 2, 3, 4]);
      // every call in flight at once, as the AS async variant does
      const [total, filled, bumped, moved, summary, described] = await Promise.all([
        c.sum(data), c.fill(buf, 7, RtMode.RT_ADD), c.bump(vals, 10),
        c.move({ x: 3, y: 4 } as Point, params), c.summary(Int16Array.from([5, -3, 9])), c.describe(params, 4.0),
      ]);
      const sumText = (s: { total: bigint; count: number; min: number; ok: boolean }) => `${s.total}/${s.count}/${s.min}/${s.ok}`;
      lines.push(`${who} host: sum ${total} fill ${filled.result}/${filled.buf.reduce((a, b) => a + b, 0)} bump ${[...bumped.vals].join(",")} ` +
        `move ${moved.x},${moved.y} summary ${summary.result} ${sumText(summary.s)} describe ${sumText(described)}` +
        ` in-place ${buf[0] === 7 && vals[0] === 11}`);
      const outOnly = await c.fill(4, 1, RtMode.RT_XOR);             // an out buffer given by its length
      lines.push(`${who} out by length: ${[...outOnly.buf].join(",")}`);
    }
    // A client whose interface hash differs (built against another version of rt.idl).
    const stale: IgenHost = { call: (req) => sys.call({ ...req, hash: req.hash ^ 1n }) };
    lines.push(`stale client: ${await krtClient(stale).sum(new Uint8Array(4)).then(() => "accepted", (e: Error) => e.message)}`);
    lines.push(`hash ${KRT_INTERFACE_HASH.toString(16)}`);
    try { await krtClient(sys).bump(new Int32Array(200), 1); lines.push("bump of 200: accepted"); }
    catch (e) { lines.push(`bump of 200: ${(e as Error).message}`); }
  } finally {
    const r = await sys.stop(0);
    lines.push(`stopped ${r.code}`);
  }
  return { lines, code: 0 };
}
