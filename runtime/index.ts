// index.ts: what a program gets from `import { … } from "aam"`. Re-exports only.
export { coreId, coreCount, now, exit, args, environ } from "./sys/sys";
export { print, println, eprintln } from "./sys/console";
export { heapAlloc, heapFree, heapSize, heapBytesInUse, heapBlocksInUse, heapLargeBytes, heapLargeCount } from "~lib/rt/heap";
export { fail } from "~lib/rt/trap";
export * from "~lib/rt/atomic";
export { Task, TaskFn } from "./task/task";
export { spawn, spawnDetached, yieldNow, self } from "./sched/sched";
export { Future } from "./sched/future";
export { Signal, Mutex, WaitGroup } from "./sched/signal";
export { Machine, defineMachine, findMachine, machineById } from "./machine/machine";
export { M_TASKS_RUN, M_CALLS_IN, M_CALLS_OUT, M_IMS_SENT, M_IMS_RECV, M_SWITCHES_IN, M_GRANTS, M_REVOKES } from "~lib/rt/abi";
export { Interface, connect, interfaceError } from "./machine/imc";
export { IN, OUT, INOUT, E_NO_METHOD, E_BAD_POINTER, E_BAD_LENGTH, E_BAD_RECORD } from "./machine/validate";
export { IgenCall, igenRecord, igenIssue, igenFuture, igenWait, igenRelease, igenSync, igenThen, igenServe, igenServer, igenSetHandler } from "./service/igen";
export { managerTicks, managerIdleCores } from "./machine/manager";
export { hostServe } from "./service/host";
