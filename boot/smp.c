// smp.c: starting the other cores (APs) with INIT, SIPI, SIPI.
//
// Owns: the copy of the trampoline in low memory, the AP stacks, the start-up protocol below.
// Not: what an AP does once it runs C (main.c: ap_main).
//
// Protocol:
//  1. Copy trampoline.S to TRAMP_BASE (a page below 1 MiB: SIPI starts a core in real mode there).
//  2. Allocate ncpus-1 stacks in one block; an AP takes the next ticket (atomic add, 0, 1, ...) and
//     runs on slice `ticket` of the block, so APs need no per-core data before they run C.
//  3. INIT every AP (smp_init, called before clock_init so that the 10 ms calibration doubles as the
//     wait), make sure 10 ms have passed, SIPI every AP, wait 200 us, SIPI those that have not
//     started (the timing Intel's MP specification asks of real hardware).
//  4. Wait until every AP has set cpus[i].started (it does so in ap_main, once its GS base, IDT and
//     LAPIC are set). A core that does not start within a second stops the boot (EXIT_BOOT).
#include <string.h>

#include "kernel.h"
#include "x86.h"

#define TRAMP_BASE 0x8000            // = trampoline.S
#define INIT_WAIT_US 10000
#define SIPI_WAIT_US 200

extern char trampoline_start[], trampoline_end[];
extern uint64_t ap_stack_base;

static uint32_t started(void) {
  uint32_t n = 0;
  for (uint32_t i = 1; i < ncpus; i++) n += __atomic_load_n(&cpus[i].started, __ATOMIC_ACQUIRE);
  return n;
}

static uint64_t init_tsc;            // when the INITs went out; the TSC is not calibrated yet

void smp_init(void) {
  for (uint32_t i = 1; i < ncpus; i++) lapic_init_sipi(cpus[i].apic_id, 1, 0);
  init_tsc = rdtsc();
}

void smp_start(void) {
  if (ncpus == 1) return;
  memcpy((void *)TRAMP_BASE, trampoline_start, (size_t)(trampoline_end - trampoline_start));
  ap_stack_base = (uint64_t)(uintptr_t)kalloc((uint64_t)(ncpus - 1) * STACK_SIZE, 4096);
  uint64_t since_init = (rdtsc() - init_tsc) * 1000000u / tsc_hz;
  if (since_init < INIT_WAIT_US) delay_us(INIT_WAIT_US - since_init);
  for (uint32_t i = 1; i < ncpus; i++) lapic_init_sipi(cpus[i].apic_id, 0, TRAMP_BASE >> 12);
  delay_us(SIPI_WAIT_US);
  for (uint32_t i = 1; i < ncpus; i++)
    if (!__atomic_load_n(&cpus[i].started, __ATOMIC_ACQUIRE)) lapic_init_sipi(cpus[i].apic_id, 0, TRAMP_BASE >> 12);
  uint64_t deadline = clock_ns() + 1000000000u;
  while (started() < ncpus - 1) {
    pause();                         // under single-threaded TCG, pause lets the other vCPUs run
    if (clock_ns() > deadline) panic("smp_start: only %u of %u APs started", started(), ncpus - 1);
  }
}
