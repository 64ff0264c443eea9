// atomic.ts: the project's atomic operations for programs, `import { … } from "aam/atomic"`
// (rt/atomic.ts, where the runtime's own go through). Re-exports only; the owner-only plain
// counter bump of rt/atomic.ts is not an atomic and stays internal.
export { load32, store32, add32, sub32, xchg32, cas32, load64, store64, add64, cas64, fence, lock, unlock, atomicMax32 } from "~lib/rt/atomic";
