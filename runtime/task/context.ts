// context.ts: lazy execution contexts. A task runs on its core's own wasm stack; only when it
// blocks is its stack state saved, into a context allocated at that moment.
//
// Owns: the link-time imports that Asyncify resolves (tools/build/asyncify.ts), the context
// buffers and their counters, and `suspend()`, the one point where a task leaves its stack.
// Not: what a blocked task waits for (sched/future.ts, sched/signal.ts) nor who runs it next
// (sched/).
//
// Protocol of a suspend (task T on core A; the dispatch, sched/dispatch.ts, is the stack bottom):
//  1. T calls suspend(kind, obj): a context is taken from A's heap cache (size class of
//     CTX_SIZE), T.CTX = ctx, and the link-time import `aam_link.suspend(ctx)` starts an unwind.
//  2. Every function between suspend and the dispatch saves its locals into ctx and returns
//     (Asyncify instrumentation; only functions that can reach suspend are instrumented). Before
//     it saves N bytes, a frame checks that they fit (tools/build/asyncify.ts adds the check);
//     if not, ctxReserve moves the context to a block twice as big (up to CTX_MAX), so a task
//     may block with a stack of any depth; past CTX_MAX the task fails with a context overflow.
//  3. The dispatch sees state UNWINDING, stops the unwind, and runs T's enqueue handler (kind,
//     obj): only now may another core see T, because T no longer uses A's stack.
//  4. Later any core B runs T again: start_rewind(ctx) and the same call from the dispatch; the
//     instrumented frames restore themselves down to `aam_link.suspend`, which now stops the
//     rewind and returns. suspend() frees ctx (into B's heap cache) and returns to T.
// Contexts in existence = tasks blocked at this moment (FW_CTX_LIVE), never tasks in total.
//
// ╒════════ context (CTX_SIZE bytes, Asyncify's data layout) ════════╕
//  +0  current   next free byte of the save area (Asyncify writes/reads it)
//  +4  end       end of the save area; Asyncify traps if a stack needs more
//  +8  save area …
// Owned by the task that holds it in T.CTX: by the core running it, or by nobody while T waits.

import { CORE_ID } from "~lib/rt/platform";
import { coreRec } from "~lib/rt/layout";
import { FC_CTX_ALLOCS, FC_CTX_FREES, FC_SUSPENDS, FW_CTX_LIVE, FW_CTX_PEAK, FW_BLOCKED_LIVE, FW_BLOCKED_PEAK } from "~lib/rt/abi";
import { add32, sub32, atomicMax32, ownerAdd64 } from "~lib/rt/atomic";
import { heapAlloc, heapFree } from "~lib/rt/heap";
import { fail, reasonStart, reasonAdd, reasonDec, failReason } from "~lib/rt/trap";
import { T_CTX, T_ENQ, T_KIND, FLAG_MESSAGE, currentTask } from "./task";

/** Bytes a context starts with: set at build time with `--define AAM_CTX_SIZE=N` (≥ 256). */
// @ts-ignore: decorator
@inline export const CTX_SIZE: usize = isDefined(AAM_CTX_SIZE) ? <usize>AAM_CTX_SIZE : 4096;
/** Bytes a context may grow to: `--define AAM_CTX_MAX=N` (default 1 MiB). A task that blocks
 *  with a deeper stack fails ("context overflow: …"). */
// @ts-ignore: decorator
@inline export const CTX_MAX: usize = isDefined(AAM_CTX_MAX) ? <usize>AAM_CTX_MAX : 1048576;

// Resolved by the build after the Asyncify pass (tools/build/asyncify.ts); never reach a host.
export declare namespace asyncify {
  // @ts-ignore: decorator
  @external("aam_link", "suspend") export function suspend(ctx: usize): void;
  // @ts-ignore: decorator
  @external("aam_link", "state") export function state(): i32;
  // @ts-ignore: decorator
  @external("aam_link", "stop_unwind") export function stop_unwind(): void;
  // @ts-ignore: decorator
  @external("aam_link", "start_rewind") export function start_rewind(ctx: usize): void;
  // @ts-ignore: decorator
  @external("aam_link", "stop_rewind") export function stop_rewind(): void;
  /** During an unwind: go on saving into `ctx` (Asyncify's start_unwind on a new buffer). */
  // @ts-ignore: decorator
  @external("aam_link", "retarget") export function retarget(ctx: usize): void;
}
// @ts-ignore: decorator
@inline export const UNWINDING: i32 = 1;
// @ts-ignore: decorator
@inline export const REWINDING: i32 = 2;

/** Block the running task: save its stack and let the scheduler run `kind`'s enqueue handler on
 *  `obj` (sched/dispatch.ts). Returns when the task has been made ready and run again, on any core. */
export function suspend(kind: u32, obj: usize): void {
  let t = currentTask();
  if (!t) fail("suspend: not inside a task (blocking calls are for tasks, not percore/boot code)");
  if (load<u32>(t + T_KIND) & FLAG_MESSAGE) fail("suspend: the task blocked after failQuietly (call it last: return failQuietly(msg))");
  store<u32>(t + T_KIND, (load<u32>(t + T_KIND) & ~0xff) | kind);   // keep the FLAG_ bits
  store<u32>(t + T_ENQ, <u32>obj);
  let ctx = ctxReserve(0);
  asyncify.suspend(ctx);                          // step 1: unwinds; returns at step 4
  ctxFree(<usize>load<u32>(t + T_CTX));           // step 4, on the core that resumed us
  store<u32>(t + T_CTX, 0);
}

/** The running task's context, with room for `bytes` more bytes. Allocated by suspend (step 1);
 *  during the unwind (step 2) every instrumented frame calls it before saving `bytes` that would
 *  not fit (tools/build/asyncify.ts): the saved bytes move to a block of twice the size, up to
 *  CTX_MAX, and the unwind goes on there. Not instrumented (it cannot reach suspend). */
export function ctxReserve(bytes: usize): usize {
  let t = currentTask();
  let old = <usize>load<u32>(t + T_CTX);
  if (!old) {
    let ctx = ctxAlloc();
    store<u32>(t + T_CTX, <u32>ctx);
    return ctx;
  }
  let used = <usize>load<u32>(old) - old, size = <usize>load<u32>(old + 4) - old;
  if (used + bytes <= size) return old;
  let want = size << 1;
  while (want < used + bytes) want <<= 1;
  if (want > CTX_MAX) {
    reasonStart("context overflow: blocked with a stack deeper than AAM_CTX_MAX=");
    reasonDec(<u64>CTX_MAX);
    reasonAdd("; build with --define AAM_CTX_MAX=");
    reasonDec(<u64>want);
    failReason();
  }
  let ctx = heapAlloc(want);                      // out of memory: the task fails
  memory.copy(ctx + 8, old + 8, used - 8);
  store<u32>(ctx, <u32>(ctx + used));
  store<u32>(ctx + 4, <u32>(ctx + want));
  store<u32>(t + T_CTX, <u32>ctx);
  asyncify.retarget(ctx);
  heapFree(old);
  return ctx;
}

function ctxAlloc(): usize {
  let ctx = heapAlloc(CTX_SIZE);
  store<u32>(ctx, <u32>(ctx + 8));
  store<u32>(ctx + 4, <u32>(ctx + CTX_SIZE));
  let rec = coreRec(CORE_ID);
  ownerAdd64(rec + FC_CTX_ALLOCS, 1);
  ownerAdd64(rec + FC_SUSPENDS, 1);
  atomicMax32(FW_CTX_PEAK, add32(FW_CTX_LIVE, 1) + 1);
  atomicMax32(FW_BLOCKED_PEAK, add32(FW_BLOCKED_LIVE, 1) + 1);
  return ctx;
}

/** Drop the context of a task that will never resume (it trapped while blocking or resuming). */
export function ctxDrop(t: usize): void {
  let ctx = <usize>load<u32>(t + T_CTX);
  if (ctx) { ctxFree(ctx); store<u32>(t + T_CTX, 0); }
}

function ctxFree(ctx: usize): void {
  heapFree(ctx);
  ownerAdd64(coreRec(CORE_ID) + FC_CTX_FREES, 1);
  sub32(FW_CTX_LIVE, 1);
  sub32(FW_BLOCKED_LIVE, 1);
}
