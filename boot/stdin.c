// stdin.c: the program's standard input on bare metal: a ring in guest RAM that the host fills.
//
// Owns: the ring (runtime/abi.json record stdin_ring, SR_*), stdin_lock, stdin_read.
// Not: WASI (platform.c turns fd_read of fd 0 into stdin_read); output (serial.c: COM1, COM2).
//
// Protocol with tools/boot/boot.ts, which gives QEMU the guest RAM as a shared file (the same
// memory-backend-file as trace.c's RAM log) and passes the kernel option `stdinring`:
//  1. At boot the ring is allocated and its guest-physical address printed on COM2 as
//     "aam: stdin ring at 0x…" (boot.ts takes that line, it is not shown).
//  2. At its first read a core sets ASKED; only then does the host read its own stdin, as the
//     Node host reads fd 0 only when a core asks.
//  3. The host writes bytes at DATA + HEAD mod size (while HEAD − TAIL < size), then HEAD; at the
//     end of its stdin, END after the last HEAD.
//  4. A read takes min(n, HEAD − TAIL) bytes and then stores TAIL (release): the host sees the
//     room. HEAD = TAIL with END set is the end of input: every later read returns 0.
// The host's pwrite and QEMU's mapping of the file share the page cache: each side sees the
// other's stores, in order (x86). Rejected: a UART for input (measured 25 s for 1 MB: QEMU moves
// at most 14 bytes, the FIFO's trigger level, per main-loop round), virtio-console (a virtqueue
// driver for one stream). Without the option (a hand-run QEMU) stdin is empty, as /dev/null.
//
// A read blocks the calling core (interrupts are off in kernel code): it polls HEAD, and after
// SPIN_NS without input halts NAP_NS at a time on the LAPIC timer, leaving the CPU to the others.
#include <string.h>

#include "kernel.h"
#include "spinlock.h"
#include "x86.h"

#define SPIN_NS 200000u
#define NAP_NS 200000u

static spinlock_t stdin_lock;        // guards the reader's side: TAIL, ASKED; one reader at a time
static uint8_t *ring;                // NULL without the `stdinring` option

static volatile uint32_t *word(uint32_t off) { return (volatile uint32_t *)(ring + off); }

void stdin_init(void) {
  if (!opt_stdinring) return;
  ring = kalloc(SR_DATA + STDIN_RING_SIZE, 4096);
  memset(ring, 0, SR_DATA);
  kprintf("aam: stdin ring at 0x%lx\n", (uint64_t)(uintptr_t)ring);    // step 1
}

static void wait_a_little(uint64_t since) {
  if (clock_ns() - since < SPIN_NS) pause();
  else halt_ns(NAP_NS);
}

// Up to n bytes into dst: the count, 0 at the end of input. Waits for one byte or the end.
uint32_t stdin_read(uint8_t *dst, uint32_t n) {
  if (!ring || !n) return 0;
  uint64_t t0 = clock_ns();
  while (!spin_trylock(&stdin_lock)) wait_a_little(t0);   // another core reads: it may wait long
  if (!*word(SR_ASKED)) __atomic_store_n(word(SR_ASKED), 1, __ATOMIC_RELEASE);   // step 2
  uint32_t tail = *word(SR_TAIL), got = 0;
  for (t0 = clock_ns();; wait_a_little(t0)) {
    uint32_t head = __atomic_load_n(word(SR_HEAD), __ATOMIC_ACQUIRE);
    if (head != tail) {                                    // step 4
      got = head - tail < n ? head - tail : n;
      uint32_t at = tail & (STDIN_RING_SIZE - 1), first = STDIN_RING_SIZE - at < got ? STDIN_RING_SIZE - at : got;
      memcpy(dst, ring + SR_DATA + at, first);
      memcpy(dst + first, ring + SR_DATA, got - first);
      __atomic_store_n(word(SR_TAIL), tail + got, __ATOMIC_RELEASE);
      break;
    }
    if (__atomic_load_n(word(SR_END), __ATOMIC_ACQUIRE) && __atomic_load_n(word(SR_HEAD), __ATOMIC_ACQUIRE) == tail) break;
  }
  spin_unlock(&stdin_lock);
  return got;
}
