// pipeline.ts: three machines on all cores: producer → transform → sink. main asks the producer
// to produce; the producer calls the transform machine asynchronously in batches of 128 (one IMS
// per batch at most); each transform call does some work and calls the sink synchronously. Run with --stats to see the Machine Manager grant cores to the machine
// that has the load and release them when it idles.
//   aam run examples/pipeline.ts --cores 4 --stats -- [items] [work per item]
import { Task, Future, println, args, heapAlloc, heapFree, Machine, defineMachine, findMachine, M_GRANTS, M_REVOKES, M_CALLS_IN,
  Interface, connect, managerTicks } from "aam";

const ifaces = memory.data(16);      // +0 producer→transform, +4 transform→sink
const sum = memory.data(8);
const work = memory.data(4);

// transform, method 0: spin `work` rounds on the item, then hand it to the sink
function transform(t: Task): u64 {
  let x = t.arg0;
  for (let i: u32 = 0; i < atomic.load<u32>(work); i++) x = x * 6364136223846793005 + 1442695040888963407;
  let toSink = changetype<Interface>(atomic.load<u32>(ifaces + 4));
  return toSink.callSync(0, t.arg0, x & 0xff);
}

// sink, method 0: account for the item
function sink(t: Task): u64 {
  atomic.add<u64>(sum, t.arg0);
  return t.arg0;
}

// transform's first task: connect to the sink (an interface belongs to its client machine)
function connectSink(t: Task): u64 {
  atomic.store<u32>(ifaces + 4, changetype<u32>(connect(changetype<Machine>(<u32>t.arg0), 64)));
  return 0;
}

// producer, method 0: produce arg0 items through the transform machine; returns their sum
function produce(t: Task): u64 {
  let items = t.arg0;
  let toTransform = connect(findMachine("transform")!, 256);
  toTransform.callSync(1, changetype<u32>(findMachine("sink")!));   // transform connects to the sink
  let batch: u32 = 128;
  let fs = heapAlloc(<usize>batch << 2);
  let expect: u64 = 0;
  for (let base: u64 = 0; base < items; base += batch) {
    let n = <u32>min<u64>(batch, items - base);
    for (let i: u32 = 0; i < n; i++) store<u32>(fs + (<usize>i << 2), changetype<u32>(toTransform.call(0, base + i)));
    for (let i: u32 = 0; i < n; i++) { expect += base + i; changetype<Future>(load<u32>(fs + (<usize>i << 2))).join(); }
  }
  heapFree(fs);
  return expect;
}

export function machines(): void {
  defineMachine("producer", 0, 2).offer(0, produce);
  defineMachine("transform", 0, 4).offer(0, transform).offer(1, connectSink);
  defineMachine("sink", 0, 1).offer(0, sink);
}

export function main(): i32 {
  let a = args();
  let items: u64 = a.length > 1 ? <u64>I32.parseInt(a[1]) : 20000;
  atomic.store<u32>(work, a.length > 2 ? <u32>I32.parseInt(a[2]) : 2000);
  let t0 = managerTicks();
  let expect = connect(findMachine("producer")!, 2).callSync(0, items);
  println("items " + items.toString() + " sum " + (atomic.load<u64>(sum) == expect ? "ok" : "WRONG") +
    " ticks " + (managerTicks() - t0).toString());
  for (let id = 0; id < 3; id++) {
    let m = findMachine(["producer", "transform", "sink"][id])!;
    println(m.name + ": calls in " + m.counter(M_CALLS_IN).toString() + ", grants " + m.counter(M_GRANTS).toString() +
      ", revokes " + m.counter(M_REVOKES).toString());
  }
  return atomic.load<u64>(sum) == expect ? 0 : 1;
}
