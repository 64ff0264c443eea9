// bare.c: the machine without an image: every core checks in, core 0 prints the boot timing and exits 0.
//
// Owns: nothing but this check. Linked instead of host.c, platform.c and wasm-rt.c by
// `build.sh --bare`; it measures what the boot costs before any image runs. Nothing is printed
// until every core is up, so the time measured contains no serial output.
#include "kernel.h"
#include "x86.h"

static uint32_t arrived;

void host_init(void) {}
void host_stats_report(void) {}      // the bare boot prints its one figure itself

void core_main(struct cpu *c) {
  __atomic_fetch_add(&arrived, 1, __ATOMIC_ACQ_REL);
  if (c->id != 0) halt_forever();
  while (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) < ncpus) pause();
  uint64_t up_us = boot_us();
  boot_report();
  for (uint32_t i = 0; i < ncpus; i++) kprintf("core %u up (apic %u)\n", i, cpus[i].apic_id);
  kprintf("bare boot: %u cores up %lu us after kmain (tsc %lu kHz, lapic timer %lu kHz, RAM to %lu MiB), cmdline \"%s\"\n",
          ncpus, up_us, tsc_hz / 1000, lapic_hz / 1000, mem_top() >> 20, boot_cmdline());
  machine_exit(0);
}
