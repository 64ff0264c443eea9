// contain.ts: the containment rule (docs/ARCHITECTURE.md §10). A handler of machine "svc" fails
// in one way, chosen by argv[1]; its call fails with the error saying what happened, the heap is
// as it was (the report and the error leave nothing behind), and every other task and machine
// goes on. `main:<way>` fails in main itself: the system ends with status 70.
//   stack    unbounded recursion: "call stack exhausted"
//   oom      one allocation larger than memory: "out of memory allocating 1610612736 bytes"
//   fill     one handler fills memory with 1 MiB blocks, a second one with 16000-byte blocks;
//            both fail, then main frees what they took (kept on chains) and goes on
//   ctx      blocks (yields) at recursion depth 1000: contexts grow; with --define
//            AAM_CTX_MAX=8192 the task fails instead: "context overflow: …"
//   oob      a load out of bounds; fail: fail("svc: deliberate")
//   refuse   three calls refused, by svc (no such method) and by the kernel-level machine "kfs"
//            (a pointer outside the caller's memory, a length over the limit): their messages
//            are freed with the calls, nothing else is left
import { Task, Future, Interface, spawn, yieldNow, println, args, fail, heapAlloc, heapFree, heapBlocksInUse, coreCount,
  defineMachine, findMachine, connect, IN, tasksLive } from "aam";
import { FW_BLOCKED_LIVE } from "~lib/rt/abi";

const FAULT: u32 = 0, ECHO: u32 = 1;
const WAYS = ["stack", "oom", "fill-large", "fill-small", "ctx", "oob", "fail"];
const chains = memory.data(8);                   // heads of the fill chains (large, small)

function deep(n: u64): u64 { return n == 0xFFFFFFFFFFFF ? 0 : deep(n + 1) + 1; }
function deepYield(n: u32): u64 {
  let a = n * 3, b = n * 5, c = n * 7;
  if (n == 0) { yieldNow(); return 1; }
  return deepYield(n - 1) + <u64>(a + b + c);
}
function fill(head: usize, size: usize): void {
  while (true) { let b = heapAlloc(size); store<u32>(b, load<u32>(head)); store<u32>(head, <u32>b); }
}
function unchain(head: usize): void {
  let b = <usize>load<u32>(head);
  while (b) { let n = <usize>load<u32>(b); heapFree(b); b = n; }
  store<u32>(head, 0);
}

function faulty(way: u64): u64 {
  let w = WAYS[<i32>way];
  if (w == "stack") return deep(0);
  if (w == "oom") return <u64>heapAlloc(0x60000000);
  if (w == "fill-large") {
    while (atomic.load<u32>(FW_BLOCKED_LIVE) == 0) {}   // main has its context: it blocked (main below)
    fill(chains, 1 << 20);
  }
  if (w == "fill-small") fill(chains + 4, 16000);
  if (w == "ctx") return deepYield(1000);
  if (w == "oob") return <u64>load<u32>(0xFFFFFFF0);
  if (w == "fail") fail("svc: deliberate");
  return 0;
}
function fault(t: Task): u64 { return faulty(t.arg0); }
function echo(t: Task): u64 { return t.arg0 * 2; }
function work(t: Task): u64 { return t.arg0 + 1; }

export function machines(): void {
  defineMachine("svc", { maxCores: 1 }).offer(FAULT, fault).offer(ECHO, echo);
  defineMachine("kfs", { kernel: true }).offerBuffer(0, echo, { dir: IN, maxLen: 16 });
}

// Heap blocks in use on every core, once every other task record is gone (a finished task's last
// reference may be dropped on another core just after its waiter woke: wait for it, by count).
function blocks(): u64 {
  while (tasksLive() > 1) yieldNow();
  let k: u64 = 0;
  for (let c = 0; c < coreCount(); c++) k += heapBlocksInUse(c);
  return k;
}

// One failing call into result slot `slot`: failed, value and the error's text are copied into
// static memory, so that the heap can be compared before and after (nothing is built yet).
const RESULTS = memory.data(2048);
function once(svc: Interface, way: string, slot: i32): void { result(svc.call(FAULT, <u64>WAYS.indexOf(way)), slot); }
function result(f: Future, slot: i32): void {
  let v = f.wait();
  let r = RESULTS + <usize>slot * 512, e = f.error;
  let n = min<usize>(<usize>e.length << 1, 480);
  store<u32>(r, f.failed ? 1 : 0);
  store<u32>(r + 4, <u32>n);
  store<u64>(r + 8, v);
  memory.copy(r + 16, changetype<usize>(e), n);
  f.release();                                  // the error's text goes with the call
}
function describe(way: string, slot: i32): string {
  let r = RESULTS + <usize>slot * 512;
  return way + ": failed " + (load<u32>(r) ? "true" : "false") + ", value " + load<u64>(r + 8).toString() +
    ", error '" + String.UTF16.decodeUnsafe(r + 16, <usize>load<u32>(r + 4)) + "'";
}

// Everything else goes on: tasks of main, calls to svc.
function others(svc: Interface): string {
  let ok = 0;
  let fs = new StaticArray<u32>(20);
  for (let i = 0; i < 20; i++) fs[i] = changetype<u32>(spawn(work, <u64>i));
  for (let i = 0; i < 20; i++) { let f = changetype<Future>(fs[i]); if (f.join() == <u64>(i + 1)) ok++; }
  for (let i = 0; i < 10; i++) if (svc.callSync(ECHO, <u64>i) == <u64>(2 * i)) ok++;
  return "others ok " + ok.toString() + " of 30";
}

export function main(): i32 {
  let a = args();
  let way = a.length > 1 ? a[1] : "stack";
  if (way.startsWith("main:")) {
    println("main: failing with " + way.slice(5));
    println("main: not reached " + faulty(<u64>WAYS.indexOf(way.slice(5))).toString());
    return 0;
  }
  let svc = connect(findMachine("svc")!, 8);
  svc.callSync(ECHO, 1);                         // connected, svc has run once: warm
  let before = blocks();
  if (way == "fill") {
    // While memory is exhausted main must not allocate: both calls are issued first (ordered,
    // so that the small blocks take only what the large ones left), and main blocks once, before
    // they run, until the second one ended (then both waits below return at once).
    let large = svc.ordered.call(FAULT, <u64>WAYS.indexOf("fill-large"));
    let small = svc.ordered.call(FAULT, <u64>WAYS.indexOf("fill-small"));
    small.wait();
    result(large, 0);
    result(small, 1);
    unchain(chains);
    unchain(chains + 4);
  } else if (way == "refuse") {
    let kfs = connect(findMachine("kfs")!, 8);
    let buf = heapAlloc(8);
    kfs.callSync(0, buf, 8);                     // connected and warm
    before = blocks();
    result(svc.call(7), 0);
    result(kfs.call(0, 0x10, 8), 1);
    result(kfs.call(0, buf, 17), 2);
  } else once(svc, way, 0);
  let leaked = <i64>(blocks() - before);
  if (way == "fill") { println(describe("fill-large", 0)); println(describe("fill-small", 1)); }
  else if (way == "refuse") for (let i = 0; i < 3; i++) println(describe("refuse", i));
  else println(describe(way, 0));
  println("blocks leaked " + leaked.toString());
  println(others(svc));
  return 0;
}
