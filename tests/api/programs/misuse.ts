// misuse.ts: one misuse of the program API per run, named by argv[1]; tests/api checks that each
// fails with the error docs/API.md gives, and whether it fails the task or ends the system.
import { Task, Signal, Mutex, WaitGroup, Machine, Interface, spawn, yieldNow, self, args, println, heapAlloc, heapFree,
  defineMachine, findMachine, connect, hostServe, failQuietly } from "aam";

const ECHO: u32 = 0, BOOM: u32 = 1;
function echo(t: Task): u64 { return t.arg0; }
function boom(t: Task): u64 { unreachable(); return 0; }

let which = "";                                     // per core: argv[1]
function is(name: string): bool {
  if (!which.length) { let a = args(); which = a.length > 1 ? a[1] : "none"; }
  return which == name;
}

if (is("spawn-module-level")) spawn(echo);         // module-level code runs before any scheduler

export function machines(): void {
  let calc = defineMachine("calc", is("min-above-max") ? { minCores: 3, maxCores: 2 } : {}).offer(ECHO, echo).offer(BOOM, boom);
  if (is("define-twice")) defineMachine("calc");
  if (is("too-many-machines")) for (let i = 0; i < 32; i++) defineMachine("m" + i.toString());
  if (is("offer-range")) calc.offer(64, echo);
  if (is("offer-twice")) calc.offer(ECHO, echo);
  if (is("buffer-args")) defineMachine("bytes").offerBuffer(0, echo, { ptrArg: 1 });
  if (is("buffer-dir")) defineMachine("bytes").offerBuffer(0, echo, { maxLen: 64 });
}

const flag = memory.data(4);
function waiter(t: Task): u64 { atomic.store<u32>(flag, 1); Signal.fromArg(t.arg0).wait(); return 0; }

export function percore(): void {
  if (is("wait-outside-task")) spawn(echo).wait();
  if (is("self-outside-task")) self();
  if (is("quiet-outside-task")) failQuietly("no task");
}

// Each misuse that fails only its task runs in a task of its own.
function misuse(t: Task): u64 {
  if (is("define-late")) defineMachine("late");
  if (is("offer-late")) findMachine("calc")!.offer(5, echo);
  if (is("machine-fromarg")) Machine.fromArg(99);
  if (is("find-null")) connect(findMachine("nope")!);
  if (is("connect-cap")) connect(findMachine("calc")!, 3);
  if (is("sync-unknown")) connect(findMachine("calc")!).callSync(7);
  if (is("sync-trapped")) connect(findMachine("calc")!).callSync(BOOM);
  if (is("iface-fromarg")) Interface.fromArg(0);
  if (is("signal-fromarg")) Signal.fromArg(0);
  if (is("quiet-twice")) { failQuietly("first"); failQuietly("second"); }
  if (is("quiet-then-block")) { failQuietly("first"); yieldNow(); }
  return 0;
}

export function main(): i32 {
  let f = spawn(misuse);
  f.wait();
  println("task failed " + f.failed.toString());
  f.release();
  if (is("signal-dispose-busy")) {
    let s = Signal.create(0);
    spawn(waiter, s.asArg()).release();
    // Dispose only once the waiter is queued on the signal (its HEAD word, sched/signal.ts layout),
    // not after a number of yields: on a busy machine the waiter's core may not have run yet.
    while (!atomic.load<u32>(flag) || !atomic.load<u32>(changetype<usize>(s) + 8)) yieldNow();
    s.dispose();
  }
  if (is("mutex-unlock")) { let m = Mutex.create(); m.lock(); m.unlock(); m.unlock(); }
  if (is("hostserve-slots")) hostServe(0);
  if (is("waitgroup-done-twice")) { let w = WaitGroup.create(1); w.done(); w.done(); }
  if (is("waitgroup-add-after-zero")) { let w = WaitGroup.create(1); w.done(); w.add(1); }
  if (is("double-free")) { let p = heapAlloc(32); heapFree(p); heapFree(p); }
  if (is("free-outside")) heapFree(0x10);
  if (is("free-inside")) heapFree(heapAlloc(64) + 16);
  return 0;
}
