// index.ts: what a program gets from `import { … } from "aam"` (docs/API.md). Re-exports only.
// Generated igen code has its own entry, "aam/igen" (igen.ts); atomics are "aam/atomic" (atomic.ts).
export { coreId, coreCount, now, exit, args, environ } from "./sys";
export { print, println, eprintln } from "./console";
export { fail } from "~lib/rt/trap";
export { heapAlloc, heapFree, heapSize, heapBytesInUse, heapBlocksInUse, heapLargeBytes, heapLargeCount } from "~lib/rt/heap";
export { Task, TaskFn } from "./task";
export { spawn, spawnDetached, yieldNow, self } from "./sched";
export { Future } from "./future";
export { Signal, Mutex, WaitGroup } from "./signal";
export { Machine, MachineOptions, BufferOptions, defineMachine, findMachine } from "../kernel/machine";
export { Interface, OrderedInterface, connect } from "../kernel/imc";
export { IN, OUT, INOUT, E_NO_METHOD, E_BAD_POINTER, E_BAD_LENGTH } from "../kernel/validate";
export { managerTicks } from "../kernel/manager";
export { hostServe } from "./host";
