// index.ts: what a program gets from `import { … } from "aam"` (docs/API.md). Re-exports only.
// Generated igen code has its own entry, "aam/igen" (igen.ts); atomics are "aam/atomic" (atomic.ts).
export { coreId, coreCount, now, exit, args, environ } from "./sys/sys";
export { print, println, eprintln } from "./sys/console";
export { stdinRead, stdoutWrite, stdinReadAll, stdoutWriteBytes } from "./sys/stdio";
export { fail, failOwned } from "~lib/rt/trap";
export { failQuietly } from "./sched/dispatch";
export { Text, text } from "~lib/rt/text";
export { heapAlloc, heapFree, heapSize, heapBytesInUse, heapBlocksInUse, heapLargeBytes, heapLargeCount } from "~lib/rt/heap";
export { Task, TaskFn, tasksLive } from "./task/task";
export { spawn, spawnDetached, yieldNow, self } from "./sched/sched";
export { Future } from "./sched/future";
export { Signal, Mutex, WaitGroup } from "./sched/signal";
export { sleep, timerStart, timerCancel } from "./sched/timer";
export { Machine, MachineOptions, BufferOptions, defineMachine, findMachine } from "./machine/machine";
export { Interface, OrderedInterface, connect } from "./machine/imc";
export { IN, OUT, INOUT, E_NO_METHOD, E_BAD_POINTER, E_BAD_LENGTH } from "./machine/validate";
export { managerTicks } from "./machine/manager";
export { hostServe } from "./service/host";
