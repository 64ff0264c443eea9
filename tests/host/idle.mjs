// idle.mjs: run by host.test.mjs as its own process, so that nothing else in the process (another
// test's garbage, its workers) uses CPU meanwhile. Serves tests/host/programs/serve.ts on 2 cores,
// makes one call, then measures the CPU the whole process uses over the next argv[2] ms of wall
// time (default 2000) while no call comes; stops and prints one JSON line: the CPU and wall ms of
// that window, and the run's manager ticks and per-core parks from the stats.
import * as fs from "node:fs";
import * as path from "node:path";
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const host = await import(path.join(ROOT, "build/tools/host.mjs"));
const { module, manifest } = host.loadImage(path.join(ROOT, "build/test-images/tests_host_programs_serve_ts.wasm"));
const sys = host.startImage({ module, manifest, cores: 2, args: ["serve"], fds: [fs.openSync("/dev/null", "w"), 2], stats: true });
const record = new Uint8Array(16);
new DataView(record.buffer).setUint32(0, 1, true);
await sys.call({ machine: "calc", hash: 0n, slot: 0, ordinal: 3, record, buffers: [] });
const c0 = process.cpuUsage(), t0 = performance.now();
await new Promise((r) => setTimeout(r, Number(process.argv[2] ?? 2000)));
const c = process.cpuUsage(c0), wallMs = performance.now() - t0;
const end = await sys.stop(0);
console.log(JSON.stringify({ code: end.code, cpuMs: (c.user + c.system) / 1000, wallMs, ticks: end.stats.ticks, parks: end.stats.cores.map((x) => x.parks) }));
