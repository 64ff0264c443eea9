// x86.h: the x86-64 instructions the kernel uses, as inline functions.
//
// Owns: port I/O, MSRs, CPUID, TSC, control of the interrupt flag, pause/halt.
// Not: any device (serial.c, apic.c, clock.c own theirs) or any policy.
#pragma once
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static inline uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v) {
  __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
  __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

// rdtsc is not ordered against earlier loads; lfence makes "now" mean now (AMD and Intel alike).
static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
  return ((uint64_t)hi << 32) | lo;
}

static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void pause(void) { __asm__ volatile("pause" ::: "memory"); }
// sti takes effect after the next instruction, so an interrupt pending at sti wakes this hlt.
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }
static inline void mfence(void) { __asm__ volatile("mfence" ::: "memory"); }

static inline void __attribute__((noreturn)) halt_forever(void) {
  for (;;) __asm__ volatile("cli; hlt");
}

#define MSR_APIC_BASE 0x1b
#define MSR_GS_BASE 0xc0000101
