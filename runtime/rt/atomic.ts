// atomic.ts: every atomic operation and every wait of the system goes through here.
//
// Owns: the choice of instruction for each shared-memory access kind, so that they can be swapped
// (e.g. for a model checker, or counted) in one place. wasm atomics are sequentially consistent,
// which is what the protocols in this tree assume; none relies on anything weaker.
// Not: parking (platform.park/wake; the image has no wait/notify instruction because wasm2c
// cannot translate them, see docs/ARCHITECTURE.md), nor policy about when to spin or park.
//
// Compiled as a library file (~lib/rt/atomic): see rt/index.ts.

// @ts-ignore: decorator
@inline export function load32(addr: usize): u32 { return atomic.load<u32>(addr); }
// @ts-ignore: decorator
@inline export function store32(addr: usize, v: u32): void { atomic.store<u32>(addr, v); }
// @ts-ignore: decorator
@inline export function add32(addr: usize, v: u32): u32 { return atomic.add<u32>(addr, v); }
// @ts-ignore: decorator
@inline export function sub32(addr: usize, v: u32): u32 { return atomic.sub<u32>(addr, v); }
// @ts-ignore: decorator
@inline export function xchg32(addr: usize, v: u32): u32 { return atomic.xchg<u32>(addr, v); }
/** Compare-and-swap; returns the value found (== expected on success). */
// @ts-ignore: decorator
@inline export function cas32(addr: usize, expected: u32, v: u32): u32 {
  return atomic.cmpxchg<u32>(addr, expected, v);
}
// @ts-ignore: decorator
@inline export function load64(addr: usize): u64 { return atomic.load<u64>(addr); }
// @ts-ignore: decorator
@inline export function store64(addr: usize, v: u64): void { atomic.store<u64>(addr, v); }
// @ts-ignore: decorator
@inline export function add64(addr: usize, v: u64): u64 { return atomic.add<u64>(addr, v); }
// @ts-ignore: decorator
@inline export function cas64(addr: usize, expected: u64, v: u64): u64 {
  return atomic.cmpxchg<u64>(addr, expected, v);
}
// @ts-ignore: decorator
@inline export function fence(): void { atomic.fence(); }

/** Spinlock acquire: cmpxchg 0→1, spinning on plain loads between tries (test-and-test-and-set). */
export function lock(addr: usize): void {
  while (atomic.cmpxchg<u32>(addr, 0, 1) != 0) {
    while (atomic.load<u32>(addr) != 0) {}
  }
}
// @ts-ignore: decorator
@inline export function unlock(addr: usize): void { atomic.store<u32>(addr, 0); }

/** Owner-only counter bump: plain read, plain write of a word only its owner writes. */
// @ts-ignore: decorator
@inline export function ownerAdd64(addr: usize, v: u64): void { store<u64>(addr, load<u64>(addr) + v); }

/** Raise the word at `addr` to at least `v` (a peak counter); lock-free cmpxchg loop. */
export function atomicMax32(addr: usize, v: u32): void {
  let cur = atomic.load<u32>(addr);
  while (cur < v) {
    let seen = atomic.cmpxchg<u32>(addr, cur, v);
    if (seen == cur) return;
    cur = seen;
  }
}
