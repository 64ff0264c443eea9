// grow.ts (parity): tasks allocate more than the initial memory (large blocks: memory.grow under
// the pages lock, from several cores), write a pattern and check it; the blocks stay allocated
// until main frees them all, so the memory must grow on any core count. Prints a checksum.
// Usage: grow [tasks] [blocks per task]   (blocks of 512 KiB; the image starts with 4 MiB)
import { Task, Future, spawn, println, args, heapAlloc, heapFree } from "aam";

const BLOCK: usize = 512 * 1024;
const STRIDE: usize = 1024;
const held = memory.data(4 * 64);           // per task: its array of block pointers, freed by main

function fill(t: Task): u64 {
  let id = <u32>t.arg0, blocks = <u32>t.arg1, sum: u64 = 0;
  let ptrs = heapAlloc(<usize>blocks << 2);
  for (let b: u32 = 0; b < blocks; b++) {
    let p = heapAlloc(BLOCK);
    store<u32>(ptrs + (<usize>b << 2), <u32>p);
    memory.fill(p, <u8>(id + b), BLOCK);
    for (let o: usize = 0; o < BLOCK; o += STRIDE) store<u32>(p + o, id << 20 | b << 12 | <u32>(o / STRIDE));
  }
  for (let b: u32 = 0; b < blocks; b++) {
    let p = <usize>load<u32>(ptrs + (<usize>b << 2));
    for (let o: usize = 0; o < BLOCK; o += STRIDE) {
      let w = load<u32>(p + o);
      if (w != (id << 20 | b << 12 | <u32>(o / STRIDE)) || load<u8>(p + o + 4) != <u8>(id + b)) return 0xFFFFFFFFFFFFFFFF;
      sum += <u64>w;
    }
  }
  store<u32>(held + (<usize>id << 2), <u32>ptrs);
  return sum;
}

export function main(): i32 {
  let a = args();
  let tasks: u32 = a.length > 1 ? min<u32>(<u32>I32.parseInt(a[1]), 64) : 8;
  let blocks: u32 = a.length > 2 ? <u32>I32.parseInt(a[2]) : 4;
  let fs = new StaticArray<u32>(<i32>tasks);
  for (let i: u32 = 0; i < tasks; i++) fs[i] = changetype<u32>(spawn(fill, i, blocks));
  let sum: u64 = 0, bad = 0;
  for (let i: u32 = 0; i < tasks; i++) {
    let v = changetype<Future>(fs[i]).join();
    if (v == 0xFFFFFFFFFFFFFFFF) bad++; else sum += v;
  }
  let grown = <usize>memory.size() << 16 >= <usize>tasks * blocks * BLOCK;
  for (let i: u32 = 0; i < tasks; i++) {
    let ptrs = <usize>load<u32>(held + (<usize>i << 2));
    if (!ptrs) continue;
    for (let b: u32 = 0; b < blocks; b++) heapFree(<usize>load<u32>(ptrs + (<usize>b << 2)));
    heapFree(ptrs);
  }
  println("grow: " + tasks.toString() + " tasks x " + blocks.toString() + " blocks of 512 KiB, checksum " + sum.toString() +
    (bad ? " WRONG in " + bad.toString() + " tasks" : " ok") + ", memory grown " + (grown ? "ok" : "NO"));
  return bad ? 1 : 0;
}
