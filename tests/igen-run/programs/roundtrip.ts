// roundtrip.ts: machines krt (kernel-level) and urt (user-level) implemented through igen's
// generated server (rt_machines.ts) and called through its generated client, in all three
// variants (async, sync, event); then the kernel's refusals of bad records and pointers, made
// through the same generated client, and a heap check.
// `aam build` generates rt_igen_*.ts from rt.idl beside this file (tools/build/igen.ts).
import { Task, Future, Signal, Interface, println, eprintln, heapAlloc, heapFree, defineMachine, spawn, yieldNow, coreCount, heapBytesInUse, tasksLive } from "aam";
import { FW_CTX_LIVE, FW_SIGNALS_LIVE, MEMORY_BASE } from "~lib/rt/abi";
import { Point, RtParams, RtSummary, RtMode, KrtClient, UrtClient, connectKrt, connectUrt,
  KrtSumCall, KrtFillCall, KrtBumpCall, KrtMoveCall, KrtSummaryCall, KrtDescribeCall,
  UrtSumCall, UrtFillCall, UrtBumpCall, UrtMoveCall, UrtSummaryCall, UrtDescribeCall } from "./rt_igen_client";
import { defineRtMachines } from "./rt_machines";

export function machines(): void { defineRtMachines(); }

// ── the inputs every variant sends, and how a line of results is written ──────────────────────
@unmanaged class Inputs { data: usize; buf: usize; vals: usize; shorts: usize; s: RtSummary; p: Point; params: RtParams; }

function inputs(): Inputs {
  let x = changetype<Inputs>(heapAlloc(offsetof<Inputs>()));
  x.data = heapAlloc(100);
  for (let i = 0; i < 100; i++) store<u8>(x.data + i, <u8>i);
  x.buf = heapAlloc(16);
  memory.fill(x.buf, 0xEE, 16);
  x.vals = heapAlloc(16);
  for (let i = 0; i < 4; i++) store<i32>(x.vals + (<usize>i << 2), i + 1);
  x.shorts = heapAlloc(6);
  store<i16>(x.shorts, 5); store<i16>(x.shorts, -3, 2); store<i16>(x.shorts, 9, 4);
  x.s = RtSummary.alloc();
  x.p = Point.alloc();
  x.p.x = 3; x.p.y = 4;
  x.params = RtParams.alloc();
  x.params.tag = 1; x.params.scale = 2; x.params.origin.x = 10; x.params.origin.y = 20;
  x.params.weight = 2.5; x.params.flip = true;
  return x;
}

function freeInputs(x: Inputs): void {
  heapFree(x.data); heapFree(x.buf); heapFree(x.vals); heapFree(x.shorts);
  x.s.free(); x.p.free(); x.params.free();
  heapFree(changetype<usize>(x));
}

function bytesSum(p: usize, n: i32): i32 { let s = 0; for (let i = 0; i < n; i++) s += load<u8>(p + i); return s; }
function ints(p: usize): string {
  return load<i32>(p).toString() + "," + load<i32>(p, 4).toString() + "," + load<i32>(p, 8).toString() + "," + load<i32>(p, 12).toString();
}
function sumText(s: RtSummary): string {
  return s.total.toString() + "/" + s.count.toString() + "/" + s.min.toString() + "/" + (s.ok ? "true" : "false");
}

// Printing builds strings, which stay allocated (no GC): the rounds of the heap check compare
// numbers instead and count mismatches.
const QUIET = memory.data(4);
const WRONG = memory.data(4);

function expected(total: u64, filled: u32, x: Inputs, mp: Point, ok: bool, d: RtSummary): bool {
  let s = x.s;
  return total == 4950 && filled == 16 && bytesSum(x.buf, 16) == 232 && load<i32>(x.vals) == 11 && load<i32>(x.vals, 12) == 14 &&
    mp.x == 17 && mp.y == 1030 && ok && s.total == 11 && s.count == 3 && s.min == -3 && s.ok &&
    d.total == 3 && d.count == 10 && d.min == 10 && d.ok;
}

function line(who: string, total: u64, filled: u32, x: Inputs, mp: Point, ok: bool, d: RtSummary): void {
  if (atomic.load<u32>(QUIET)) {
    if (!expected(total, filled, x, mp, ok, d)) atomic.add<u32>(WRONG, 1);
    return;
  }
  println(who + ": sum " + total.toString() + " fill " + filled.toString() + "/" + bytesSum(x.buf, 16).toString() +
    " bump " + ints(x.vals) + " move " + mp.x.toString() + "," + mp.y.toString() + " summary " + (ok ? "true" : "false") + " " + sumText(x.s) +
    " describe " + sumText(d));
}

// ── async: every call in flight at once, then waited for ─────────────────────────────────────
// C is KrtClient (kernel-level server) or UrtClient (user-level): the same generated methods.
function asyncVia<C>(c: C, label: string): void {   // label: a literal (a concatenation would allocate)
  let x = inputs();
  let a = c.sum(x.data, 100), b = c.fill(x.buf, 16, 7, RtMode.RT_ADD), d = c.bump(x.vals, 4, 10);
  let e = c.move(x.p, x.params), f = c.summary(x.shorts, 3, x.s), g = c.describe(x.params, 4.0);
  let total = a.wait(), filled = b.wait(); d.wait();
  let mp = e.wait(), ok = f.wait(), ds = g.wait();
  line(label, total, filled, x, mp, ok, ds);
  a.release(); b.release(); d.release(); e.release(); f.release(); g.release();
  freeInputs(x);
}

// ── sync: reads like calling functions ─────────────────────────────────────────────────────
function syncVia<C>(c: C, label: string): void {
  let x = inputs();
  let total = c.sumSync(x.data, 100);
  let filled = c.fillSync(x.buf, 16, 7, RtMode.RT_ADD);
  c.bumpSync(x.vals, 4, 10);
  let mp = c.moveSync(x.p, x.params);
  let ok = c.summarySync(x.shorts, 3, x.s);
  let ds = c.describeSync(x.params, 4.0);
  line(label, total, filled, x, mp, ok, ds);
  mp.free(); ds.free();
  freeInputs(x);
}

// ── event: continuations record the results in an Events block; main waits for all six ─────────
@unmanaged class Events { total: u64; filled: u32; ok: bool; n: u32; mp: Point; ds: RtSummary; done0: u64; done1: u64; }

// `done` (done0..done1) is a Signal record: the sixth continuation signals it; main blocks on it
// (a busy wait would keep the only core from the server machine on a 1-core run).
function doneOf(e: usize): Signal { return changetype<Signal>(e + offsetof<Events>("done0")); }

function newEvents(): Events {
  let e = changetype<Events>(heapAlloc(offsetof<Events>()));
  memory.fill(changetype<usize>(e), 0, offsetof<Events>());
  e.mp = Point.alloc(); e.ds = RtSummary.alloc();
  return e;
}
function arrived(arg: u64): void {
  if (atomic.add<u32>(<usize>arg + offsetof<Events>("n"), 1) + 1 == 6) doneOf(<usize>arg).signal();
}
function awaitEvents(e: Events): void { doneOf(changetype<usize>(e)).wait(); }

function kSum(call: KrtSumCall, arg: u64): void { changetype<Events>(<usize>arg).total = call.result; arrived(arg); }
function kFill(call: KrtFillCall, arg: u64): void { changetype<Events>(<usize>arg).filled = call.result; arrived(arg); }
function kBump(call: KrtBumpCall, arg: u64): void { arrived(arg); }
function kMove(call: KrtMoveCall, arg: u64): void { memory.copy(changetype<usize>(changetype<Events>(<usize>arg).mp), changetype<usize>(call.result), 8); arrived(arg); }
function kSummary(call: KrtSummaryCall, arg: u64): void { changetype<Events>(<usize>arg).ok = call.result; arrived(arg); }
function kDescribe(call: KrtDescribeCall, arg: u64): void { memory.copy(changetype<usize>(changetype<Events>(<usize>arg).ds), changetype<usize>(call.result), 16); arrived(arg); }
function uSum(call: UrtSumCall, arg: u64): void { changetype<Events>(<usize>arg).total = call.result; arrived(arg); }
function uFill(call: UrtFillCall, arg: u64): void { changetype<Events>(<usize>arg).filled = call.result; arrived(arg); }
function uBump(call: UrtBumpCall, arg: u64): void { arrived(arg); }
function uMove(call: UrtMoveCall, arg: u64): void { memory.copy(changetype<usize>(changetype<Events>(<usize>arg).mp), changetype<usize>(call.result), 8); arrived(arg); }
function uSummary(call: UrtSummaryCall, arg: u64): void { changetype<Events>(<usize>arg).ok = call.result; arrived(arg); }
function uDescribe(call: UrtDescribeCall, arg: u64): void { memory.copy(changetype<usize>(changetype<Events>(<usize>arg).ds), changetype<usize>(call.result), 16); arrived(arg); }

function eventKrt(c: KrtClient): void {
  let x = inputs(), e = newEvents(), a = <u64>changetype<usize>(e);
  c.sumThen(x.data, 100, kSum, a);
  c.fillThen(x.buf, 16, 7, RtMode.RT_ADD, kFill, a);
  c.bumpThen(x.vals, 4, 10, kBump, a);
  c.moveThen(x.p, x.params, kMove, a);
  c.summaryThen(x.shorts, 3, x.s, kSummary, a);
  c.describeThen(x.params, 4.0, kDescribe, a);
  awaitEvents(e);
  line("krt event", e.total, e.filled, x, e.mp, e.ok, e.ds);
  e.mp.free(); e.ds.free(); heapFree(changetype<usize>(e));
  freeInputs(x);
}
function eventUrt(c: UrtClient): void {
  let x = inputs(), e = newEvents(), a = <u64>changetype<usize>(e);
  c.sumThen(x.data, 100, uSum, a);
  c.fillThen(x.buf, 16, 7, RtMode.RT_ADD, uFill, a);
  c.bumpThen(x.vals, 4, 10, uBump, a);
  c.moveThen(x.p, x.params, uMove, a);
  c.summaryThen(x.shorts, 3, x.s, uSummary, a);
  c.describeThen(x.params, 4.0, uDescribe, a);
  awaitEvents(e);
  line("urt event", e.total, e.filled, x, e.mp, e.ok, e.ds);
  e.mp.free(); e.ds.free(); heapFree(changetype<usize>(e));
  freeInputs(x);
}

// ── refusals: the kernel checks records and pointers before krt's handlers run ─────────────────
function report(label: string, failed: bool, error: string): void {
  println(label + ": " + (failed ? "refused (" + error + ")" : "not refused"));
}

// A record sent by hand over krt's interface: a client of some other interface. (A generated
// client is its Interface; changetype forges the raw call on purpose.)
function rawCall(c: KrtClient, slot: u32, size: u64, ordinal: u64, label: string): void {
  let rec = heapAlloc(64);
  memory.fill(rec, 0, 64);
  let f = changetype<Interface>(c).call(slot, <u64>rec, size, ordinal);
  f.wait();
  report(label, f.failed, f.error);
  f.release();
  heapFree(rec);
}

function refusals(c: KrtClient): void {
  let x = inputs();
  let a = c.sum(0x10, 8); a.wait(); report("data outside the heap", a.failed, a.error); a.release();
  let b = c.fill(MEMORY_BASE, 16, 1, RtMode.RT_XOR); b.wait(); report("out buffer in static data", b.failed, b.error); b.release();
  let d = c.sum(x.data, 0x2000000); d.wait(); report("length over the limit", d.failed, d.error); d.release();
  let e = c.bump(x.vals, -1, 1); e.wait(); report("negative length", e.failed, e.error); e.release();
  let f = c.summary(x.shorts, 3, changetype<RtSummary>(MEMORY_BASE)); f.wait(); report("out struct in static data", f.failed, f.error); f.release();
  rawCall(c, 0, 16, 0x12345678, "wrong ordinal");
  rawCall(c, 0, 24, 0x1d280a61, "wrong record size");
  let g = changetype<Interface>(c).call(0, MEMORY_BASE, 16, 0x1d280a61); g.wait(); report("record in static data", g.failed, g.error); g.release();
  let total = c.sumSync(x.data, 100);
  c.bumpSync(x.vals, 4, 1);
  println("good calls after the refusals: sum " + total.toString() + ", bump copied back " + ints(x.vals));
  freeInputs(x);
}

// A sync call that is refused traps its task: the caller sees a failed future.
function syncRefused(t: Task): u64 {
  KrtClient.fromArg(t.arg0).sumSync(0x10, 8);
  return 1;
}

function settledHeap(): i64 {
  for (let i = 0; i < 1000000 && (tasksLive() > 1 || atomic.load<u32>(FW_CTX_LIVE) > 0 || atomic.load<u32>(FW_SIGNALS_LIVE) != 0); i++) yieldNow();
  let b: i64 = 0;
  for (let c = 0; c < coreCount(); c++) b += <i64>heapBytesInUse(c);
  return b;
}

export function main(): i32 {
  let k = connectKrt(16), u = connectUrt(16);
  asyncVia(k, "krt async"); asyncVia(u, "urt async");      // warm-up of every size class used below
  syncVia(k, "krt sync"); syncVia(u, "urt sync");
  eventKrt(k); eventUrt(u);
  atomic.store<u32>(QUIET, 1);
  let before = settledHeap();
  for (let i = 0; i < 50; i++) { asyncVia(k, "krt async"); asyncVia(u, "urt async"); syncVia(k, "krt sync"); syncVia(u, "urt sync"); eventKrt(k); eventUrt(u); }
  let leaked = settledHeap() - before;
  atomic.store<u32>(QUIET, 0);
  println("rounds 300 wrong " + atomic.load<u32>(WRONG).toString());
  eprintln("leaked " + leaked.toString() + " bytes over 300 rounds of 6 calls");
  refusals(k);
  let f = spawn(syncRefused, k.asArg());
  f.wait();
  println("sync call refused: task failed " + (f.failed ? "true" : "false"));
  f.release();
  return 0;
}
