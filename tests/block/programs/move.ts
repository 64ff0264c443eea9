// move.ts: the device follows its machine's cores (runtime/machine/irq.ts step 5). Machine
// "block" keeps no core while idle (minCores 0): after a first round of requests main waits, by
// counting the manager's decisions rather than time, until the manager took block's core back;
// the second round activates block again (it gets a core, maybe another one) and its interrupts
// must reach it there. Built with a small AAM_IDLE_TICKS so that the release comes soon.
import { println, eprintln, args, yieldNow, findMachine, Machine, heapAlloc, heapFree } from "aam";
import { irqRoute } from "aam/dev";
import { defineBlock, BlockClient, SECTOR } from "../../../aams/block/index";

export function machines(): void { defineBlock(); }

function round(b: BlockClient, n: u32): u32 {
  let buf = heapAlloc(SECTOR);
  let bad: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    store<u32>(buf, i);
    if (b.write(<u64>(i & 7), 1, buf) != 0 || b.read(<u64>(i & 7), 1, buf) != 0 || load<u32>(buf) != i) bad++;
  }
  heapFree(buf);
  return bad;
}

export function main(): i32 {
  let a = args();
  let n = a.length > 1 ? <u32>parseInt(a[1]) : 20;
  let b = BlockClient.open();
  if (!b) { println("move: no disk"); return 3; }
  let m = changetype<Machine>(findMachine("block"));
  let bad = round(b, n);
  let before = irqRoute(0);
  while (m.cores != 0) yieldNow();                     // the manager took its core (idle ticks)
  let grants = m.grants;
  bad += round(b, n);
  eprintln("move: route before " + before.toString() + ", after " + irqRoute(0).toString());
  println("move: " + (4 * n).toString() + " requests, bad " + bad.toString() + ", block lost its core and got one again: " +
    (m.grants > grants ? "yes" : "no"));
  return bad == 0 && m.grants > grants ? 0 : 1;
}
