// stop.mjs: run by host.test.mjs as its own process. Serves tests/host/programs/serve.ts with one
// mailbox slot, makes a call, leaves one call in flight (a handler that never returns) and one
// queued in JS, stops with the code in argv[2] and exits with the run's status.
import * as path from "node:path";
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const host = await import(path.join(ROOT, "build/tools/host.mjs"));
const { module, manifest } = host.loadImage(path.join(ROOT, "build/test-images/tests_host_programs_serve_ts.wasm"));
const sys = host.startImage({ module, manifest, cores: 2, args: ["serve", "1"] });
const call = (slot, a, b) => {
  const record = new Uint8Array(16);
  new DataView(record.buffer).setUint32(0, a, true);
  new DataView(record.buffer).setUint32(4, b, true);
  return sys.call({ machine: "calc", hash: 0n, slot, ordinal: 3, record, buffers: [] });
};
const why = (p) => p.then(() => "resolved", (e) => e.message);
const r = await call(0, 40, 2);
console.log("add " + new DataView(r.record.buffer).getUint32(8, true));
const lines = [];
const inFlight = why(call(3, 0, 0));          // takes the only slot and never returns
const queued = why(call(0, 1, 1));            // waits in the host's queue
const done = sys.stop(Number(process.argv[2]));
const afterStop = why(call(0, 1, 1));
const res = await done;
lines.push("in flight: " + await inFlight, "queued: " + await queued, "after stop: " + await afterStop,
  "after end: " + await why(call(0, 1, 1)), "done " + res.code);
console.log(lines.join("\n"));
process.exitCode = res.code;
