// irq.ts: device interrupts reach only a core of the machine that owns the device (tests/block).
// Three machines on three cores, each pinned (minCores = maxCores = 1, so the manager never
// moves a core): "block" (the disk), "spin" (a task that keeps its core busy and records which
// core it runs on) and "main". main issues argv[1] requests, then prints the interrupts each
// machine's core took, read from the cores' counters (the --stats column irqs); stdout is the
// same on both hosts, the core numbers go to stderr.
import { println, eprintln, args, coreId, yieldNow, Task, Machine, defineMachine, findMachine, connect, heapAlloc, heapFree } from "aam";
import { irqCount, irqRoute } from "aam/dev";
import { defineBlock, BlockClient, SECTOR } from "../../../aams/block/index";

const STATE = memory.data(16);          // +0 spin's core + 1, +4 stop flag, +8 block's core + 1

function spinTask(t: Task): u64 {
  atomic.store<u32>(STATE, <u32>coreId() + 1);
  while (atomic.load<u32>(STATE + 4) == 0) yieldNow();
  return 0;
}

export function machines(): void {
  defineBlock({ minCores: 1, maxCores: 1, kernel: true, steal: true });
  defineMachine("spin", { minCores: 1, maxCores: 1, kernel: false, steal: true }).offer(0, spinTask);
}

export function main(): i32 {
  let a = args();
  let n = a.length > 1 ? <u32>parseInt(a[1]) : 50;
  let spin = connect(changetype<Machine>(findMachine("spin")), 4, 0);
  let f = spin.call(0, 0, 0, 0);
  while (atomic.load<u32>(STATE) == 0) yieldNow();
  let b = BlockClient.open();
  if (!b) { println("irq: no disk"); return 3; }
  let buf = heapAlloc(SECTOR);
  let bad = 0;
  for (let i: u32 = 0; i < n; i++) if (b.write(<u64>(i % 16), 1, buf) != 0 || b.read(<u64>(i % 16), 1, buf) != 0) bad++;
  heapFree(buf);
  atomic.store<u32>(STATE + 4, 1);
  f.wait();
  let spinCore = <i32>atomic.load<u32>(STATE) - 1;
  let blockCore = irqRoute(0);
  let mainCore = coreId();
  println("irq: " + (2 * n).toString() + " requests, bad " + bad.toString());
  println("irq: cores distinct " + (spinCore != blockCore && spinCore != mainCore && blockCore != mainCore ? "yes" : "no"));
  println("irq: block's core took " + (irqCount(blockCore) > 0 ? "some" : "none") + ", spin's core " + irqCount(spinCore).toString() +
    ", main's core " + irqCount(mainCore).toString());
  eprintln("irq: cores block " + blockCore.toString() + " spin " + spinCore.toString() + " main " + mainCore.toString());
  return 0;
}
