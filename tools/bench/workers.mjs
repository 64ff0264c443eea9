// workers.mjs: worker-thread ends of the Node baselines (tools/bench/node-baselines.ts), plain
// ESM so that it runs as a worker script and as Piscina's task file without the bundle.
// Not: measuring (the main side or worker "a" reads the clock).
//   workerData.mode "echo":    answer every message with the same message (postMessage round trip)
//   workerData.mode "atomics": two workers "a" and "b" ping-pong through Atomics.wait/notify on a
//                              shared Int32Array; "a" times n round trips and posts the samples.
//                              gapUs > 0: "a" busy-waits that long before each round trip (so
//                              "b" has parked, as the idle machine-call row's caller does);
//                              spin: "a" spins for the answer instead of waiting (one wake per
//                              round trip, b's; else two). Each side posts the waiters its
//                              notifies woke (Atomics.notify's count): the measured wakes.
//   workerData.mode "wasmspin": the wasm spin floor: "a" calls the module's call(i) (store i in
//                              the ping line, spin in wasm until the pong line says i), "b" runs
//                              serve(n) (spin for each ping, answer on the pong line); the lines
//                              are 64 bytes apart, as the C round trip's. "a" times each call.
//   Piscina task (default export): a no-op returning its argument.
import { parentPort, workerData, isMainThread } from "node:worker_threads";

export default function noop(x) { return x; }

if (!isMainThread && workerData?.mode === "echo") {
  parentPort.on("message", (m) => parentPort.postMessage(m));
} else if (!isMainThread && workerData?.mode === "atomics") {
  const { sab, role, n, warm, gapUs = 0, spin = false } = workerData;
  const w = new Int32Array(sab);          // w[0]: turn (0 = a's, 1 = b's); w[1]: b ready
  let woke = 0;
  if (role === "b") {
    Atomics.store(w, 1, 1);
    Atomics.notify(w, 1);
    for (let i = 0; i < n + warm; i++) {
      while (Atomics.load(w, 0) !== 1) Atomics.wait(w, 0, 0);
      Atomics.store(w, 0, 0);
      const k = Atomics.notify(w, 0);
      if (i >= warm) woke += k;
    }
    parentPort.postMessage({ woke });
  } else {
    while (Atomics.load(w, 1) !== 1) Atomics.wait(w, 1, 0);
    const xs = new Float64Array(n);
    for (let i = 0; i < n + warm; i++) {
      if (gapUs > 0) { const until = performance.now() + gapUs / 1000; while (performance.now() < until) {} }
      const t0 = performance.now();
      Atomics.store(w, 0, 1);
      const k = Atomics.notify(w, 0);
      if (spin) { while (Atomics.load(w, 0) !== 0) {} } else { while (Atomics.load(w, 0) !== 0) Atomics.wait(w, 0, 1); }
      if (i >= warm) { xs[i - warm] = (performance.now() - t0) * 1e6; woke += k; }
    }
    parentPort.postMessage({ xs, woke });
  }
} else if (!isMainThread && workerData?.mode === "wasmspin") {
  const { module, memory, role, n, warm } = workerData;
  const x = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
  if (role === "b") { x.serve(n + warm); parentPort.postMessage({}); }
  else {
    const clock = new Float64Array(n), xs = new Float64Array(n);
    for (let i = 0; i < n; i++) { const t0 = performance.now(); clock[i] = (performance.now() - t0) * 1e6; }
    for (let i = 1; i <= n + warm; i++) {
      const t0 = performance.now();
      x.call(i);
      if (i > warm) xs[i - 1 - warm] = (performance.now() - t0) * 1e6;
    }
    clock.sort();
    parentPort.postMessage({ xs, clock: clock[n >> 1] });
  }
}
