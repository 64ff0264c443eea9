// inline.ts: inline join (runtime/sched/sched.ts i1–i4): a task that waits for a task it spawned,
// not started yet, runs it on its own stack instead of suspending. argv[1] chooses the part:
//   count N     N spawn+join of a no-op; prints the suspends they cost (0 when every join ran
//               inline, N with --define AAM_INLINE_DEPTH=0)
//   trap        children that trap in five ways, each joined at once: each fails alone with its
//               error, the joiner's locals and the rest of the system go on, no heap block is left
//   nest D      a chain of D tasks, each spawning the next and joining it (deeper than
//               AAM_INLINE_DEPTH: the joins past it suspend); every level's value comes back
//   block N     N children that block (yield, wait for a signal) while run inline: the joiner
//               suspends instead, everything completes once
//   kept N      N children joined inline that hand the scheduler's reference to the joiner (i4):
//               by join, by wait then release, failing quietly with a message built in the heap
//               (join; wait, error, release), and joining a grandchild inline first; values,
//               failures, errors; no heap block and no task record is left, nothing suspends
//   ctx         a child run inline blocks at recursion depth 1000: its context grows while it
//               unwinds to the inner dispatch (value 7507501), or, with AAM_CTX_MAX=8192, it
//               fails with a context overflow: a trap in the middle of an unwind
// Run on one core, where no thief can take a child before its join.
import { Task, Future, Signal, spawn, yieldNow, println, args, fail, failQuietly, text, coreCount, heapBlocksInUse, tasksLive } from "aam";
import { coreRec } from "~lib/rt/layout";
import { FC_SUSPENDS } from "~lib/rt/abi";

function suspends(): u64 {
  let k: u64 = 0;
  for (let c = 0; c < coreCount(); c++) k += atomic.load<u64>(coreRec(c) + FC_SUSPENDS);
  return k;
}
function blocks(): u64 {
  while (tasksLive() > 1) yieldNow();
  let k: u64 = 0;
  for (let c = 0; c < coreCount(); c++) k += heapBlocksInUse(c);
  return k;
}

function noop(t: Task): u64 { return t.arg0 + 1; }
const SAID = memory.data(256 * 5);              // trap: per child its value, failed, error (UTF-16)

const WAYS = ["unreachable", "oob", "fail", "stack", "divzero"];
function deep(n: u64): u64 { return n == 0xFFFFFFFFFFFF ? 0 : deep(n + 1) + 1; }
function zero(t: Task): u32 { return <u32>t.arg1; }
function faulty(t: Task): u64 {
  let w = WAYS[<i32>t.arg0];
  if (w == "unreachable") unreachable();
  if (w == "oob") return <u64>load<u32>(0xFFFFFFF0);
  if (w == "fail") fail("child: deliberate");
  if (w == "stack") return deep(0);
  if (w == "divzero") return <u64>(<u32>t.arg0 / zero(t));
  return 0;
}

function level(t: Task): u64 {
  if (t.arg0 == 0) return 0;
  return spawn(level, t.arg0 - 1).join() + 1;
}

const sig = memory.data(16);                    // a Signal record: zero = no unit, no waiter
function blocker(t: Task): u64 {
  if (t.arg0 & 1) changetype<Signal>(sig).wait(); else yieldNow();
  return t.arg0 * 3;
}
function release(t: Task): u64 { changetype<Signal>(sig).signal(); return 0; }

// kept: what a child does by t.arg0 % 4 (the joiner's side is in main)
function keptChild(t: Task): u64 {
  let i = t.arg0;
  if (i % 4 == 2 || i % 4 == 3) return failQuietly(text("kept: child ").dec(i).s(" fails").done());
  if (i % 8 == 1) return spawn(noop, i).join() + 1000;     // a grandchild joined inline first
  return i * 2;
}

function decimals(i: i32): i32 { let d = 1; while (i >= 10) { i /= 10; d++; } return d; }

function deepYield(n: u32): u64 {
  let a = n * 3, b = n * 5, c = n * 7;
  if (n == 0) { yieldNow(); return 1; }
  return deepYield(n - 1) + <u64>(a + b + c);
}
function deepTask(t: Task): u64 { return deepYield(<u32>t.arg0); }

export function main(): i32 {
  let a = args();
  let part = a.length > 1 ? a[1] : "";
  if (part == "count") {
    let n = I32.parseInt(a[2]);
    let s0 = suspends(), sum: u64 = 0;
    for (let i = 0; i < n; i++) sum += spawn(noop, <u64>i).join();
    println("joins " + n.toString() + " sum " + sum.toString() + " suspends " + (suspends() - s0).toString());
    return 0;
  }
  if (part == "trap") {
    // what each future said goes to static memory: strings built before the heap's second count
    // would be counted as leaked
    let b0 = blocks();
    let s0 = suspends();
    let mine: u64 = 0x1234;                        // a local of the joiner, live across each trap
    for (let i = 0; i < WAYS.length; i++) {
      let f = spawn(faulty, <u64>i);
      let v = f.wait();
      let r = SAID + <usize>i * 256, e = f.error, n = min<usize>(<usize>e.length << 1, 240);
      store<u64>(r, v);
      store<u32>(r + 8, f.failed ? 1 : 0);
      store<u32>(r + 12, <u32>n);
      memory.copy(r + 16, changetype<usize>(e), n);
      f.release();
      mine = mine * 3 + <u64>i;
    }
    let others: u64 = 0;
    for (let i = 0; i < 10; i++) others += spawn(noop, <u64>i).join();
    let ss = suspends() - s0, leaked = blocks() - b0;
    for (let i = 0; i < WAYS.length; i++) {
      let r = SAID + <usize>i * 256;
      let e = String.UTF16.decodeUnsafe(r + 16, <usize>load<u32>(r + 12));
      println(WAYS[i] + ": failed " + (load<u32>(r + 8) ? "true" : "false") + ", value " + load<u64>(r).toString() + ", error '" + e + "'");
    }
    println("joiner local " + mine.toString() + " others " + others.toString() + " suspends " + ss.toString() + " blocks leaked " + leaked.toString());
    return 0;
  }
  if (part == "nest") {
    let d = I32.parseInt(a[2]);
    println("depth " + d.toString() + " value " + spawn(level, <u64>d).join().toString());
    return 0;
  }
  if (part == "block") {
    let n = I32.parseInt(a[2]);
    let sum: u64 = 0, failed = 0;
    for (let i = 0; i < n; i++) {
      let f = spawn(blocker, <u64>i);
      if (i & 1) spawn(release).release();        // queued behind f: runs once f blocked
      sum += f.wait();
      if (f.failed) failed++;
      f.release();
    }
    println("blocked " + n.toString() + " sum " + sum.toString() + " failed " + failed.toString());
    return 0;
  }
  if (part == "kept") {
    let n = I32.parseInt(a[2]);
    let b0 = blocks(), s0 = suspends();
    let sum: u64 = 0, failed = 0, wrong = 0;
    for (let i = 0; i < n; i++) {
      let f = spawn(keptChild, <u64>i), k = i % 4;
      let want: u64 = k >= 2 ? 0 : i % 8 == 1 ? <u64>i + 1 + 1000 : <u64>i * 2;
      let v: u64;
      if (k == 0 || k == 2) {
        v = f.join();
      } else {
        v = f.wait();
        if (f.failed) {
          failed++;
          let e = f.error;                         // compared in place: a string built here would count as a block left
          if (!e.startsWith("kept: child ") || !e.endsWith(" fails") || e.length != 18 + decimals(i)) wrong++;
        }
        f.release();
      }
      if (v != want) wrong++;
      sum += v;
    }
    let ss = suspends() - s0, left = blocks() - b0, live = tasksLive();
    println("kept " + n.toString() + " sum " + sum.toString() + " failed " + failed.toString() + " wrong " + wrong.toString() +
      " suspends " + ss.toString() + " blocks " + left.toString() + " tasks " + live.toString());
    return 0;
  }
  if (part == "ctx") {
    let mine: u64 = 77;
    let f = spawn(deepTask, 1000);
    let v = f.wait();
    println("ctx: failed " + (f.failed ? "true" : "false") + ", value " + v.toString() + ", error '" + f.error + "'; joiner local " + mine.toString());
    f.release();
    return 0;
  }
  println("usage: inline count N | trap | nest D | block N | kept N | ctx");
  return 2;
}
