// policy.ts: the Machine Manager's policy (runtime/machine/policy.ts) over fabricated records,
// tick by tick: a manager record of its own with four cores and made-up machines, whose ready
// counts and busy cores this program scripts. No clock, no other core: the ticks are calls, so
// every figure is exact. Prints one "name value" line per figure (tests/machines checks them).
// Usage: policy
import { println, heapAlloc } from "aam";
import { policySample, policyDecide } from "~lib/aam/machine/policy";
import { IDLE_TICKS } from "~lib/aam/machine/cores";
import { MANAGER_SIZE, MACHINE_SIZE, MGR_LOCK, MGR_NMACH, MGR_MACH, MGR_ASSIGN, MGR_BUSY, M_ID, M_MIN, M_MAX, M_CORES, M_GRANTS, M_REVOKES, M_HELD, M_WAITING } from "~lib/rt/abi";

const NC = 4;                              // fabricated cores
let g: usize = 0;
let n: u32 = 0;
const ready = new StaticArray<u32>(8);     // per machine id − 1: tasks queued this tick

// A fresh manager record (its lock word set: the policy runs under the lock) with `count`
// machines of minimum 0 and maximum NC, holding no core.
function fresh(count: u32): void {
  g = heapAlloc(MANAGER_SIZE);
  memory.fill(g, 0, MANAGER_SIZE);
  store<u32>(g + MGR_LOCK, 1);
  n = count;
  store<u32>(g + MGR_NMACH, count);
  for (let id: u32 = 1; id <= count; id++) {
    let m = heapAlloc(MACHINE_SIZE);
    memory.fill(m, 0, MACHINE_SIZE);
    store<u32>(m + M_ID, id);
    store<u32>(m + M_MAX, NC);
    store<u32>(m + M_HELD, 0x80000000);    // as managerStart leaves it: no core protected
    store<u32>(g + MGR_MACH + (<usize>(id - 1) << 2), <u32>m);
    ready[id - 1] = 0;
  }
}
function mach(id: u32): usize { return <usize>load<u32>(g + MGR_MACH + (<usize>(id - 1) << 2)); }
function place(core: i32, id: u32): void {           // the initial assignment
  store<u32>(g + MGR_ASSIGN + (<usize>core << 2), id);
  store<u32>(mach(id) + M_CORES, load<u32>(mach(id) + M_CORES) + 1);
}
function setBusy(core: i32, busy: bool): void { store<u32>(g + MGR_BUSY + (<usize>core << 2), busy ? 1 : 0); }
function owner(core: i32): u32 { return load<u32>(g + MGR_ASSIGN + (<usize>core << 2)); }
function cores(id: u32): u32 { return load<u32>(mach(id) + M_CORES); }
function changes(id: u32): u64 { return load<u64>(mach(id) + M_GRANTS) + load<u64>(mach(id) + M_REVOKES); }
function allChanges(): u64 { let s: u64 = 0; for (let id: u32 = 1; id <= n; id++) s += changes(id); return s; }
// A core is busy when its machine has work; the scripted ready counts decide.
function busyFromReady(): void { for (let c = 0; c < NC; c++) setBusy(c, owner(c) != 0 && ready[owner(c) - 1] > 0); }
function tick(): void {
  for (let id: u32 = 1; id <= n; id++) policySample(g, NC, mach(id), ready[id - 1]);
  policyDecide(g, NC, false);
}

// 1. Steady: four machines on four cores, each with bursts of 0..2 queued tasks (more than its
// one core half the time) for 10 × IDLE_TICKS ticks: the assignment never changes.
function steady(): void {
  fresh(4);
  for (let c = 0; c < NC; c++) place(c, <u32>c + 1);
  for (let t: u32 = 0; t < 10 * IDLE_TICKS; t++) {
    for (let id: u32 = 1; id <= 4; id++) ready[id - 1] = (t * 7 + id * 3) % 3;
    busyFromReady();
    tick();
  }
  println("steady changes " + allChanges().toString());
}

// 2. Load step and release: main (1) holds cores 0..2 and idles; A (2) holds core 3 and idles.
// Then A gets 50 tasks: ticks until it holds 2 cores, its most cores; then A's work ends: ticks
// until it holds none, and its cores one tick before.
function step(): void {
  fresh(2);
  for (let c = 0; c < 3; c++) place(c, 1);
  place(3, 2);
  for (let t = 0; t < 5; t++) { busyFromReady(); tick(); }
  ready[1] = 50;
  let second: i32 = -1, most: u32 = 0;
  for (let t = 1; t <= 10; t++) {
    busyFromReady();
    tick();
    if (second < 0 && cores(2) >= 2) second = t;
    most = max(most, cores(2));
  }
  println("step ticks to second core " + second.toString());
  println("step most cores " + most.toString());
  ready[1] = 0;
  let back: i32 = -1, before: u32 = 0;
  for (let t = 1; t <= <i32>IDLE_TICKS * 3; t++) {
    busyFromReady();
    before = cores(2);
    tick();
    if (cores(2) == 0) { back = t; break; }
  }
  println("release ticks " + back.toString() + " of " + IDLE_TICKS.toString());
  println("release cores the tick before " + before.toString());
}

// 3. A machine with work and no core while every core runs: it waits (WAITING) and takes no busy
// last core; when one machine's core goes idle with nothing queued, it gets that core next tick.
function coreless(): void {
  fresh(5);
  for (let c = 0; c < NC; c++) place(c, <u32>c + 1);
  for (let id: u32 = 1; id <= 4; id++) ready[id - 1] = 1;
  ready[4] = 3;
  for (let t = 0; t < 20; t++) { busyFromReady(); tick(); }
  println("coreless waiting " + load<u32>(mach(5) + M_WAITING).toString() + " cores " + cores(5).toString() + " changes " + allChanges().toString());
  ready[2] = 0;                           // machine 3 ran out of work
  let got: i32 = -1;
  for (let t = 1; t <= 5 && got < 0; t++) { busyFromReady(); tick(); if (cores(5) > 0) got = t; }
  println("coreless gets an idle last core in ticks " + got.toString() + ", from machine " + (owner(2) == 5 ? "3" : "?"));
}

// 4. Contention: machines 1 and 2 both want more cores, in turns of 10 ticks, for 10 × IDLE_TICKS
// ticks; machines 3 and 4 hold one core each and are always busy. Without the hysteresis the
// spare core would change hands at every turn; with it, at most once per IDLE_TICKS ticks.
function contention(): void {
  fresh(4);
  place(0, 1); place(1, 1); place(2, 3); place(3, 4);
  ready[2] = 1; ready[3] = 1;
  let turns: u32 = 0;
  for (let t: u32 = 0; t < 10 * IDLE_TICKS; t++) {
    let first = (t / 10) % 2 == 0;
    ready[0] = first ? 5 : 0;
    ready[1] = first ? 0 : 5;
    if (t % 10 == 0) turns++;
    busyFromReady();
    tick();
  }
  println("contention turns " + turns.toString() + " changes " + (changes(1) + changes(2)).toString() + " per " + IDLE_TICKS.toString() + " ticks over 10");
}

export function main(): i32 {
  steady();
  step();
  coreless();
  contention();
  return 0;
}
