// main.c: the boot sequence of the boot core (kmain) and of every other core (ap_main), and the end
// of the machine (machine_exit, panic).
//
// Owns: the order of initialisation. Not: what each step does (one file per step, named below).
#include <string.h>

#include "kernel.h"
#include "x86.h"

extern char boot_stack_top[];
extern uint64_t ap_stack_base;
static uint64_t kmain_tsc;
int opt_verbose, opt_fault, opt_stats, opt_tracelog, opt_stdinring, opt_stdoutring;

// The command line is "[kernel options] -- [image arguments]"; without `--` it is all arguments.
// Options: `verbose` (boot timing and per-core entry lines), `fault` (a #UD on core 0 after boot),
// `stats` (boot times and per-core park/halt counts at exit, host.c), `tracelog` (trace.c: the
// trace frames go to a RAM log that the host reads from its memory file), `stdinring` (stdin.c: the
// program's stdin comes through a ring in RAM that the host writes into its memory file),
// `stdoutring` (serial.c: stdout goes into a ring in RAM that the host reads), `lf` (no
// '\r' before '\n' on the serial lines, so that a host gets the program's bytes as they are: `aam
// boot` sets it).
static void options_init(void) {
  const char *p = boot_cmdline(), *dashes = 0;
  for (const char *q = p; *q; q++)
    if (q[0] == '-' && q[1] == '-' && (q == p || q[-1] == ' ') && (q[2] == ' ' || !q[2])) { dashes = q; break; }
  while (dashes && p < dashes) {
    while (*p == ' ') p++;
    const char *w = p;
    while (*p && *p != ' ') p++;
    size_t n = (size_t)(p - w);
    if (n == 7 && !memcmp(w, "verbose", 7)) opt_verbose = 1;
    if (n == 5 && !memcmp(w, "fault", 5)) opt_fault = 1;
    if (n == 5 && !memcmp(w, "stats", 5)) opt_stats = 1;
    if (n == 8 && !memcmp(w, "tracelog", 8)) opt_tracelog = 1;
    if (n == 9 && !memcmp(w, "stdinring", 9)) opt_stdinring = 1;
    if (n == 10 && !memcmp(w, "stdoutring", 10)) opt_stdoutring = 1;
    if (n == 2 && !memcmp(w, "lf", 2)) serial_crlf = 0;
  }
}

// Each step of kmain is timed (TSC at its end) for boot_report.
#define STEP(call) (call, step_tsc[nsteps] = rdtsc(), step_name[nsteps++] = #call)
static uint64_t step_tsc[16];
static const char *step_name[16];
static int nsteps;

void kmain(uint32_t start_info) {
  kmain_tsc = rdtsc();
  STEP(serial_init());               // serial.c: COM1, so every later step can report
  STEP(mem_init(start_info));        // mem.c: RAM map, command line and RSDP from the PVH start info
  STEP(options_init());              // main.c: kernel options, the words before `--`
  STEP(trap_init());                 // trap.c: the IDT (exceptions report and exit from here on)
  STEP(trap_init_cpu());
  STEP(acpi_init());                 // acpi.c: cores and their LAPIC ids from the MADT
  STEP(cpu_init_self(&cpus[0]));     // main.c: GS base -> this core's struct cpu
  cpus[0].stack_top = (uint64_t)(uintptr_t)boot_stack_top;
  cpus[0].stack_floor = cpus[0].stack_top - STACK_SIZE + STACK_RESERVE;
  STEP(pic_disable());               // apic.c: legacy PIC remapped and masked before any sti
  STEP(lapic_init());                // apic.c: this core's LAPIC
  STEP(smp_init());                  // smp.c: INIT every AP; the calibration below is the wait that follows
  STEP(clock_init());                // clock.c: TSC and LAPIC timer calibrated against the PIT
  STEP(host_init());                 // host.c: shared memory, one wasm instance per core (bare.c: none)
  STEP(smp_start());                 // smp.c: SIPI, SIPI; each AP runs ap_main
  if (opt_fault) __asm__ volatile("ud2");  // test of the exception report
  core_main(&cpus[0]);               // host.c: run the image on this core (bare.c: report and exit)
}

// The time each step of kmain took, in microseconds, on one line.
void boot_report(void) {
  char buf[512];
  int n = kformat(buf, sizeof buf, "boot (us):");
  for (int i = 0; i < nsteps; i++) {
    uint64_t from = i ? step_tsc[i - 1] : kmain_tsc;
    char name[24];
    int k = 0;
    while (step_name[i][k] && step_name[i][k] != '(' && k < 23) name[k] = step_name[i][k], k++;
    name[k] = 0;
    n += kformat(buf + n, sizeof buf - (size_t)n, " %s %lu", name, (step_tsc[i] - from) * 1000000u / tsc_hz);
  }
  kprintf("%s; total %lu\n", buf, boot_us());
}

// An AP, from trampoline.S, on stack `ticket` of the AP stack block.
void ap_main(uint32_t ticket) {
  trap_init_cpu();                   // our GDT and the shared IDT
  struct cpu *c = &cpus[core_index()];
  cpu_init_self(c);
  c->stack_top = ap_stack_base + (uint64_t)(ticket + 1) * STACK_SIZE;
  c->stack_floor = c->stack_top - STACK_SIZE + STACK_RESERVE;
  lapic_init();
  __atomic_store_n(&c->started, 1, __ATOMIC_RELEASE);
  core_main(c);
}

void cpu_init_self(struct cpu *c) {
  c->self = c;
  c->id = (uint32_t)(c - cpus);
  wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)c);
}

uint32_t core_index(void) {
  uint32_t id = lapic_id();
  for (uint32_t i = 0; i < ncpus; i++)
    if (cpus[i].apic_id == id) return i;
  return 0;
}

// Time from kmain to now in microseconds, for the boot reports.
uint64_t boot_tsc(void) { return kmain_tsc; }
uint64_t boot_us(void) { return (rdtsc() - kmain_tsc) * 1000000u / (tsc_hz ? tsc_hz : 1); }

// End the machine: flush every core's console line, then write isa-debug-exit (QEMU exits with
// code << 1 | 1; a code above 127 is also printed, see below). Without that device (a run without `-device isa-debug-exit,iobase=0xf4`) we halt.
void machine_exit(uint32_t code) {
  cli();
  console_flush_all();
  if (trace_exit) trace_exit(code);  // --trace images: the rest of every ring, then the END frame
  static uint32_t reported;          // one report, even if two cores exit at once
  if (opt_stats && !__atomic_exchange_n(&reported, 1, __ATOMIC_RELAXED)) host_stats_report();
  // QEMU exits with (code << 1 | 1) & 255: its status holds 0..127. A status 128..255 goes out as
  // a last line on COM2, which tools/boot/boot.ts takes (and removes) instead.
  if (code > 127) kprintf("aam: exit status %u\n", code);
  outl(0xf4, code & 127);
  kprintf("machine_exit(%u): no isa-debug-exit device at port 0xf4; halting\n", code);
  halt_forever();
}

void panic(const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  ksnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  kprintf("core %u: panic: %s\n", core_index(), buf);
  machine_exit(EXIT_BOOT);
}
