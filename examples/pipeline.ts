// pipeline.ts: three machines on all cores: producer → transform → sink. main asks the producer
// to produce; the producer calls the transform machine asynchronously in batches of 128 (one IMS
// per batch at most); each transform call does some work and calls the sink synchronously. Run
// with --stats to see the Machine Manager grant cores to the machine that has the load and
// release them when it idles.
//   aam run examples/pipeline.ts --cores 4 --stats -- [items] [work per item]
import { Task, Future, Machine, Interface, println, args, heapAlloc, heapFree, defineMachine, findMachine,
  connect, managerTicks } from "aam";

// The methods each machine offers.
const PRODUCE: u32 = 0;                               // producer: arg0 items; returns their sum
const TRANSFORM: u32 = 0, CONNECT_SINK: u32 = 1;      // transform: arg0 item | arg0 the sink machine
const ACCOUNT: u32 = 0;                               // sink: arg0 item

const toSink = memory.data(8);       // transform's interface to the sink (an Interface as u64)
const sum = memory.data(8);
const work = memory.data(4);

// transform.TRANSFORM: spin `work` rounds on the item, then hand it to the sink
function transform(t: Task): u64 {
  let x = t.arg0;
  for (let i: u32 = 0; i < atomic.load<u32>(work); i++) x = x * 6364136223846793005 + 1442695040888963407;
  return Interface.fromArg(atomic.load<u64>(toSink)).callSync(ACCOUNT, t.arg0, x & 0xff);
}

// sink.ACCOUNT: account for the item
function sink(t: Task): u64 {
  atomic.add<u64>(sum, t.arg0);
  return t.arg0;
}

// transform.CONNECT_SINK, its first call: connect to the sink (an interface belongs to its
// client machine, so transform's own task makes it)
function connectSink(t: Task): u64 {
  atomic.store<u64>(toSink, connect(Machine.fromArg(t.arg0), 64).asArg());
  return 0;
}

// producer.PRODUCE: produce arg0 items through the transform machine; returns their sum
function produce(t: Task): u64 {
  let items = t.arg0;
  let toTransform = connect(findMachine("transform")!, 256);
  toTransform.callSync(CONNECT_SINK, findMachine("sink")!.asArg());
  let batch: u32 = 128;
  let fs = heapAlloc(<usize>batch << 3);          // the batch's futures, as u64
  let expect: u64 = 0;
  for (let base: u64 = 0; base < items; base += batch) {
    let n = <u32>min<u64>(batch, items - base);
    for (let i: u32 = 0; i < n; i++) store<u64>(fs + (<usize>i << 3), toTransform.call(TRANSFORM, base + i).asArg());
    for (let i: u32 = 0; i < n; i++) { expect += base + i; Future.fromArg(load<u64>(fs + (<usize>i << 3))).join(); }
  }
  heapFree(fs);
  return expect;
}

export function machines(): void {
  defineMachine("producer", { maxCores: 2 }).offer(PRODUCE, produce);
  defineMachine("transform", { maxCores: 4 }).offer(TRANSFORM, transform).offer(CONNECT_SINK, connectSink);
  defineMachine("sink", { maxCores: 1 }).offer(ACCOUNT, sink);
}

export function main(): i32 {
  let a = args();
  let items: u64 = a.length > 1 ? <u64>I32.parseInt(a[1]) : 20000;
  atomic.store<u32>(work, a.length > 2 ? <u32>I32.parseInt(a[2]) : 2000);
  let t0 = managerTicks();
  let expect = connect(findMachine("producer")!, 2).callSync(PRODUCE, items);
  println("items " + items.toString() + " sum " + (atomic.load<u64>(sum) == expect ? "ok" : "WRONG") +
    " ticks " + (managerTicks() - t0).toString());
  for (let id = 0; id < 3; id++) {
    let m = findMachine(["producer", "transform", "sink"][id])!;
    println(m.name + ": calls in " + m.callsIn.toString() + ", grants " + m.grants.toString() + ", revokes " + m.revokes.toString());
  }
  return atomic.load<u64>(sum) == expect ? 0 : 1;
}
