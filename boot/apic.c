// apic.c: the interrupt controllers: the legacy 8259 PIC (masked for good) and each core's local APIC.
//
// Owns: LAPIC registers (xAPIC MMIO at the base from IA32_APIC_BASE), IPIs, the one-shot LAPIC timer.
// Not: calibration (clock.c measures lapic_hz), what an interrupt means (trap.c, platform.c).
// All of it runs with interrupts off, so the two-register ICR write is never interleaved on one core.
#include "kernel.h"
#include "x86.h"

#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0
#define LVT_MASKED (1u << 16)
#define ICR_PENDING (1u << 12)
#define ICR_ASSERT (1u << 14)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)

static volatile uint32_t *lapic;     // same physical base on every core; set by the boot core

static inline uint32_t rd(uint32_t reg) { return lapic[reg / 4]; }
static inline void wr(uint32_t reg, uint32_t v) { lapic[reg / 4] = v; }

// Remap the PIC away from the exception vectors (after reset it would deliver its timer on vector 8,
// #DF) and mask every line. Done before the first sti.
void pic_disable(void) {
  outb(0x20, 0x11), outb(0xa0, 0x11);              // ICW1: init, ICW4 follows
  outb(0x21, VEC_PIC_BASE), outb(0xa1, VEC_PIC_BASE + 8);
  outb(0x21, 0x04), outb(0xa1, 0x02);              // cascade on IRQ2
  outb(0x21, 0x01), outb(0xa1, 0x01);              // 8086 mode
  outb(0x21, 0xff), outb(0xa1, 0xff);              // mask all
}

void lapic_init(void) {
  uint64_t base = rdmsr(MSR_APIC_BASE);
  wrmsr(MSR_APIC_BASE, base | (1u << 11));         // xAPIC enabled (global enable)
  lapic = (volatile uint32_t *)(uintptr_t)(base & ~0xfffull);
  wr(LAPIC_SVR, 0x100 | VEC_SPURIOUS);             // software enable
  wr(LAPIC_TPR, 0);
  wr(LAPIC_LVT_LINT0, LVT_MASKED);
  wr(LAPIC_LVT_LINT1, LVT_MASKED);
  wr(LAPIC_LVT_ERROR, LVT_MASKED);
  wr(LAPIC_TIMER_DIV, 0xb);                        // divide by 1
  wr(LAPIC_LVT_TIMER, VEC_TIMER);                  // one-shot, unmasked
  wr(LAPIC_TIMER_INIT, 0);                         // stopped
}

uint32_t lapic_id(void) {
  if (!lapic) lapic = (volatile uint32_t *)(uintptr_t)(rdmsr(MSR_APIC_BASE) & ~0xfffull);
  return rd(LAPIC_ID) >> 24;
}

void lapic_eoi(void) { wr(LAPIC_EOI, 0); }

static void icr_send(uint32_t apic_id, uint32_t lo) {
  while (rd(LAPIC_ICR_LO) & ICR_PENDING) pause();
  wr(LAPIC_ICR_HI, apic_id << 24);
  wr(LAPIC_ICR_LO, lo);
}

void lapic_ipi(uint32_t apic_id, uint32_t vector) { icr_send(apic_id, ICR_ASSERT | vector); }

// INIT (init != 0) or STARTUP at real-mode address page << 12.
void lapic_init_sipi(uint32_t apic_id, int init, uint32_t page) {
  icr_send(apic_id, init ? ICR_ASSERT | ICR_INIT : ICR_ASSERT | ICR_STARTUP | page);
}

// Interrupt on VEC_TIMER after about `ns`; longer waits are cut to the 32-bit counter's range and the
// caller (park) re-arms. Calibration in clock.c (lapic_hz at divide-by-1).
void lapic_timer_oneshot(uint64_t ns) {
  unsigned __int128 t = (unsigned __int128)ns * lapic_hz / 1000000000u;
  wr(LAPIC_TIMER_INIT, t == 0 ? 1 : t > 0xffffffffu ? 0xffffffffu : (uint32_t)t);
}

void lapic_timer_cancel(void) { wr(LAPIC_TIMER_INIT, 0); }

uint32_t lapic_timer_count(void) { return rd(LAPIC_TIMER_CUR); }
void lapic_timer_start_free(void) {
  wr(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
  wr(LAPIC_TIMER_INIT, 0xffffffffu);
}
void lapic_timer_stop_free(void) {
  wr(LAPIC_TIMER_INIT, 0);
  wr(LAPIC_LVT_TIMER, VEC_TIMER);
}
