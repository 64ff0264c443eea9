// clock.c: time: the TSC, calibrated once against the PIT, and the LAPIC timer rate measured alongside.
//
// Owns: tsc_hz, lapic_hz, tsc_boot, clock_ns. Not: timeouts (apic.c arms the timer, platform.c parks).
//
// Calibration: PIT channel 0 counts down at 1 193 182 Hz. We read it latched (no dependence on port
// 0x61 or the speaker gate, which microvm lacks) for CALIBRATE_MS and count TSC and LAPIC ticks over
// the same interval. The PIC is masked, so reprogramming channel 0 raises no interrupt.
// Assumes an invariant TSC that runs in step on every core (true for QEMU's TCG and modern CPUs).
#include "kernel.h"
#include "x86.h"

#define PIT_HZ 1193182u
#define CALIBRATE_MS 10

uint64_t tsc_hz, lapic_hz, tsc_boot;
static uint64_t ns_mult;             // ns = (ticks * ns_mult) >> 32

static uint16_t pit_read(void) {
  outb(0x43, 0x00);                  // latch channel 0
  uint8_t lo = inb(0x40);
  return (uint16_t)(lo | inb(0x40) << 8);
}

void clock_init(void) {
  outb(0x43, 0x34);                  // channel 0, lo/hi byte, mode 2 (rate generator), binary
  outb(0x40, 0), outb(0x40, 0);      // reload 65536
  uint16_t last = pit_read();
  for (int i = 0; i < 1000 && pit_read() == last; i++) {}
  if (pit_read() == last) panic("clock_init: the PIT does not count (no i8254?)");

  const uint32_t want = PIT_HZ / 1000 * CALIBRATE_MS;
  uint32_t elapsed = 0;
  lapic_timer_start_free();
  last = pit_read();
  uint64_t t0 = rdtsc();
  uint32_t l0 = lapic_timer_count();
  while (elapsed < want) {
    uint16_t now = pit_read();
    elapsed += (uint16_t)(last - now);  // counts down, wraps at 65536
    last = now;
  }
  uint64_t t1 = rdtsc();
  uint32_t l1 = lapic_timer_count();
  lapic_timer_stop_free();
  tsc_hz = (t1 - t0) * PIT_HZ / elapsed;
  lapic_hz = (uint64_t)(l0 - l1) * PIT_HZ / elapsed;
  ns_mult = (uint64_t)(((unsigned __int128)1000000000u << 32) / tsc_hz);
  tsc_boot = t0;
}

uint64_t clock_ns(void) {
  uint64_t t = rdtsc();
  if (t < tsc_boot) t = tsc_boot;    // another core's TSC may lag the boot core's by a few ticks
  return (uint64_t)(((unsigned __int128)(t - tsc_boot) * ns_mult) >> 32);
}

void delay_us(uint64_t us) {
  uint64_t end = rdtsc() + us * tsc_hz / 1000000u;
  while (rdtsc() < end) pause();
}

// Halt this core for about ns, or until any interrupt; interrupts are off again after. For a core
// that waits on the host without a wake to come (stdin.c, serial.c's stdout ring): it leaves the
// CPU to the other cores instead of spinning.
void halt_ns(uint64_t ns) {
  lapic_timer_oneshot(ns);
  sti_hlt();
  lapic_timer_cancel();
}
