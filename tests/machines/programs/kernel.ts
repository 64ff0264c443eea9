// kernel.ts: a kernel-level machine "fs" with a checked buffer method. Good calls work (data
// copied in and out); calls with pointers outside the caller's memory, overflowing or too long
// lengths, and unknown methods are refused with clear errors, and "fs" keeps serving. A handler
// that traps fails its call, and the kernel's copies of its buffer are freed all the same.
import { Task, Future, println, heapAlloc, heapFree, heapBlocksInUse, coreCount, fail, defineMachine, findMachine, connect, Interface, IN, INOUT } from "aam";
import { MEMORY_BASE } from "~lib/rt/abi";

// The methods of "fs".
const SUM: u32 = 0, BUMP: u32 = 1, CRASH: u32 = 2;

// fs.SUM: sum the bytes of an IN buffer (arg0 pointer, arg1 length)
function sum(t: Task): u64 {
  let p = <usize>t.arg0, s: u64 = 0;
  for (let i: usize = 0; i < <usize>t.arg1; i++) s += load<u8>(p + i);
  return s;
}
// fs.BUMP: add arg2 to every byte of an INOUT buffer
function bump(t: Task): u64 {
  let p = <usize>t.arg0;
  for (let i: usize = 0; i < <usize>t.arg1; i++) store<u8>(p + i, load<u8>(p + i) + <u8>t.arg2);
  return t.arg1;
}

// fs.CRASH: touch the INOUT buffer, then trap
function crash(t: Task): u64 {
  store<u8>(<usize>t.arg0, 0xee);
  fail("crash: the handler's deliberate bug");
  return 0;
}

export function machines(): void {
  defineMachine("fs", { kernel: true })
    .offerBuffer(SUM, sum, { dir: IN, maxLen: 4096 })
    .offerBuffer(BUMP, bump, { dir: INOUT, maxLen: 4096 })
    .offerBuffer(CRASH, crash, { dir: INOUT, maxLen: 4096 });
}

function blocks(): u64 {
  let k: u64 = 0;
  for (let c = 0; c < coreCount(); c++) k += heapBlocksInUse(c);
  return k;
}

function report(label: string, f: Future): void {
  let v = f.wait();
  println(label + ": " + (f.failed ? "refused 0x" + v.toString(16) + " (" + f.error + ")" : "ok " + v.toString()));
  f.release();
}

function crashOnce(fs: Interface, buf: usize): u32 {
  let f = fs.call(CRASH, buf, 100);
  f.wait();
  let ok: u32 = f.failed && f.error == "crash: the handler's deliberate bug" ? 1 : 0;
  f.release();
  return ok;
}

export function main(): i32 {
  let fs = connect(findMachine("fs")!, 8);
  let buf = heapAlloc(100);
  for (let i = 0; i < 100; i++) store<u8>(buf + i, <u8>i);
  report("good sum", fs.call(SUM, buf, 100));
  report("bump", fs.call(BUMP, buf, 10, 5));
  println("after bump: " + load<u8>(buf).toString() + " " + load<u8>(buf + 9).toString() + " " + load<u8>(buf + 10).toString());
  report("pointer outside the heap", fs.call(SUM, 0x10, 8));
  report("pointer into static data", fs.call(SUM, MEMORY_BASE, 8));
  report("past the end of the block", fs.call(SUM, buf, 200));
  report("length over the limit", fs.call(SUM, buf, 5000));
  report("length overflowing", fs.call(SUM, 0xFFFFFFF0, 0x20));
  report("unknown method", fs.call(9, buf, 1));
  report("good sum again", fs.call(SUM, buf, 100));
  // A large block (a run of 4 pages): a pointer into its third page is its memory; past its end not.
  let big = heapAlloc(200000);
  memory.fill(big, 1, 200000);
  report("inside a large block's third page", fs.call(SUM, big + 150000, 100));
  report("past the end of a large block", fs.call(SUM, big + 199950, 100));
  heapFree(big);
  // The first crash warms the trap path up (what a core allocates once); then 20 must leave
  // nothing behind.
  let crashed = crashOnce(fs, buf) + (fs.callSync(SUM, buf, 100) == 5000 ? 0 : 100);
  let before = blocks();
  for (let i = 0; i < 20; i++) crashed += crashOnce(fs, buf);
  let leaked = blocks() - before;                    // before any printing (strings are not freed)
  report("good sum after the crashes", fs.call(SUM, buf, 100));
  println("crashed calls " + crashed.toString() + ", byte 0 untouched " + (load<u8>(buf) == 5 ? "yes" : "no") +
    ", blocks leaked " + leaked.toString());
  heapFree(buf);
  return 0;
}
