// under-load.mjs: `make test-under-load`. Runs the test suite RUNS times in a row (default 3) while
// BURNERS processes (default 2) each keep a CPU busy, as on a shared CI machine, and prints each
// run's summary line, its duration and the load average. Exits 0 only if every run passed.
//
//   node tools/test/under-load.mjs                 `make test`, 3 times, beside 2 burners
//   RUNS=1 node tools/test/under-load.mjs sched    only these suites (node tools/test/run.mjs sched)
//
// Each run's whole output is kept in build/under-load/run-N.log. The burners and a run in progress
// each get their own process group, which is signalled as a whole: on every way out (the end, a
// failed run, Ctrl-C, kill) no burner and no test process is left behind.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const runs = Number(process.env.RUNS ?? 3);
const burners = Number(process.env.BURNERS ?? 2);
const suites = process.argv.slice(2);
const logs = path.join(root, "build/under-load");
fs.mkdirSync(logs, { recursive: true });

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");
const groups = new Set();                 // pids of the process groups this script started
function start(cmd, args, opts = {}) {
  const p = spawn(cmd, args, { cwd: root, detached: true, ...opts });
  groups.add(p.pid);
  return p;
}
function stop(pid) {
  try { process.kill(-pid, "SIGKILL"); } catch { /* the whole group is gone already */ }
  groups.delete(pid);
}
function stopAll() { for (const pid of groups) stop(pid); }
process.on("exit", stopAll);
for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]]) process.on(sig, () => { stopAll(); process.exit(code); });

for (let i = 0; i < burners; i++) start("sh", ["-c", "while :; do :; done"], { stdio: "ignore" });
console.log(`under-load: ${burners} CPU burners beside ${runs} run(s) of ${suites.length ? `the suites ${suites.join(" ")}` : "make test"} ` +
  `on ${os.cpus().length} CPUs; load average ${load()}`);

const results = [];
for (let run = 1; run <= runs; run++) {
  const log = path.join(logs, `run-${run}.log`);
  const fd = fs.openSync(log, "w");
  const t0 = Date.now();
  const [cmd, args] = suites.length ? [process.execPath, ["tools/test/run.mjs", ...suites]] : [process.env.MAKE ?? "make", ["test"]];
  const p = start(cmd, args, { stdio: ["ignore", fd, fd] });
  const code = await new Promise((resolve) => p.on("exit", (c, s) => resolve(c ?? (s ? 128 : 1))));
  stop(p.pid);                            // anything the run left behind in its group
  fs.closeSync(fd);
  const out = fs.readFileSync(log, "utf8");
  const summary = out.match(/^\d+ passed, \d+ failed.*$/gm)?.at(-1) ?? `no summary line`;
  const line = `run ${run}/${runs}: ${summary} in ${((Date.now() - t0) / 1000).toFixed(0)} s, exit ${code}; ` +
    `load average ${load()} (log: ${path.relative(root, log)})`;
  console.log(line);
  for (const l of out.split("\n").filter((l) => /FAIL|counted as 1 failure/.test(l))) console.log(`    ${l.trim()}`);
  results.push({ line, ok: code === 0 });
}
stopAll();
const passed = results.filter((r) => r.ok).length;
console.log(`under-load: ${passed} of ${runs} run(s) passed beside ${burners} burners\n${results.map((r) => r.line).join("\n")}`);
process.exit(passed === runs ? 0 : 1);
