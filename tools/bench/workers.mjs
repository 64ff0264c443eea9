// workers.mjs: worker-thread ends of the Node baselines (tools/bench/node-baselines.ts), plain
// ESM so that it runs as a worker script and as Piscina's task file without the bundle.
// Not: measuring (the main side or worker "a" reads the clock).
//   workerData.mode "echo":    answer every message with the same message (postMessage round trip)
//   workerData.mode "atomics": two workers "a" and "b" ping-pong through Atomics.wait/notify on a
//                              shared Int32Array; "a" times n round trips and posts the samples.
//   Piscina task (default export): a no-op returning its argument.
import { parentPort, workerData, isMainThread } from "node:worker_threads";

export default function noop(x) { return x; }

if (!isMainThread && workerData?.mode === "echo") {
  parentPort.on("message", (m) => parentPort.postMessage(m));
} else if (!isMainThread && workerData?.mode === "atomics") {
  const { sab, role, n, warm } = workerData;
  const w = new Int32Array(sab);          // w[0]: turn (0 = a's, 1 = b's); w[1]: b ready
  if (role === "b") {
    Atomics.store(w, 1, 1);
    Atomics.notify(w, 1);
    for (let i = 0; i < n + warm; i++) {
      while (Atomics.load(w, 0) !== 1) Atomics.wait(w, 0, 0);
      Atomics.store(w, 0, 0);
      Atomics.notify(w, 0);
    }
  } else {
    while (Atomics.load(w, 1) !== 1) Atomics.wait(w, 1, 0);
    const xs = new Float64Array(n);
    for (let i = 0; i < n + warm; i++) {
      const t0 = performance.now();
      Atomics.store(w, 0, 1);
      Atomics.notify(w, 0);
      while (Atomics.load(w, 0) !== 0) Atomics.wait(w, 0, 1);
      if (i >= warm) xs[i - warm] = (performance.now() - t0) * 1e6;
    }
    parentPort.postMessage(xs);
  }
}
