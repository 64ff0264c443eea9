// kernel.h: what every kernel file shares: the per-core record, limits, and each subsystem's entry points.
//
// Owns: struct cpu (one per core, found through the GS base), the interrupt vectors.
// Not: the wasm runtime (wasm-rt.h) or the platform imports (platform.c); MAX_CORES and the exit
// codes (EXIT_TRAP, EXIT_FAULT, EXIT_BOOT), which are the image↔host contract's (abi.h, generated
// from runtime/abi.json).
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"
#include "jmp.h"

#define STACK_SIZE (256 * 1024)      // per core; wasm2c's depth limit (wasm-rt.h) is sized from it
#define PAGE_2M (2ull << 20)

// Interrupt vectors. Exceptions are 0..31; the legacy PIC is remapped to 0x20..0x2f and masked.
#define VEC_PIC_BASE 0x20
#define VEC_DEV_BASE 0x30            // device d's interrupt (virtio.c): VEC_DEV_BASE + d, d < VIRTIO_MAX_DEVICES
#define VEC_WAKE 0xf0                // IPI sent by aam.wake: wakes a parked core, does nothing else
#define VEC_TIMER 0xf1               // LAPIC one-shot timer: ends a park with a timeout
#define VEC_SPURIOUS 0xff

// ┌──────────────────────────── struct cpu (one per core, 64-byte aligned) ───────────────────────────┐
//  +0   self         pointer to this record: %gs:0 (this_cpu)
//  +8   wasm_depth   wasm2c's call depth counter, incremented as %gs:8 by the generated code
//  +16  stack_floor  lowest %rsp wasm code may reach on this core: %gs:16 (wasm-rt.h)
//  the rest          owned by the core itself, except `token`, `parked` (park/wake, platform.c)
//                    and `started` (written by the AP, read by smp_start)
// └────────────────────────────────────────────────────────────────────────────────────────────────────┘
struct cpu {
  struct cpu *self;
  uint32_t wasm_depth;
  uint32_t id;                       // core index, 0 .. ncpus-1 (0 is the boot core)
  uint64_t stack_floor;
  uint32_t apic_id;
  uint32_t started;                  // set by the AP once it runs C code
  // Park/wake: written by any core, always with atomics.
  uint32_t token;                    // 1 = a wake is posted and not yet consumed
  uint32_t parked;                   // 1 = this core may be in hlt and needs an IPI to notice `token`
  // Owned by the core.
  uint64_t stack_top;
  jmp_buf trap_jmp;                  // where a wasm trap on this core returns to (host.c)
  const char *fatal_msg;             // set by aam.fatal, printed with the trap that follows
  uint64_t rng;                      // random_get fallback state
  uint64_t parks, hlts, halted_tsc;  // park calls, hlt entries, TSC ticks spent in hlt (stats)
  uint64_t hlt_since;                // TSC at the start of the hlt in progress, 0 when running
} __attribute__((aligned(64)));

_Static_assert(__builtin_offsetof(struct cpu, wasm_depth) == 8, "wasm-rt.h reads the depth at %gs:8");
_Static_assert(__builtin_offsetof(struct cpu, stack_floor) == 16, "wasm-rt.h reads the floor at %gs:16");
#define STACK_RESERVE (32 * 1024)    // stack kept below the floor for imports, kprintf and trap reports

extern struct cpu cpus[MAX_CORES];
extern uint32_t ncpus;

static inline struct cpu *this_cpu(void) {
  struct cpu *c;
  __asm__ volatile("mov %%gs:0, %0" : "=r"(c));
  return c;
}

// mem.c
void mem_init(uint32_t start_info);
void *kalloc(uint64_t size, uint64_t align);  // never freed; any core, any time
uint64_t mem_top(void);              // first byte past the RAM block that holds the kernel (< 4 GiB)
uint64_t mem_brk(void);              // first byte kalloc has not handed out
const char *boot_cmdline(void);
uint64_t boot_rsdp(void);
// serial.c
void serial_init(void);
void console_write(uint32_t core, int fd, const char *s, size_t n);  // fd 1: COM1, 2: COM2
void console_flush(uint32_t core);   // stdout's unfinished line of this core, now
void console_flush_all(void);
void stdout_ring_init(void);         // `stdoutring`: stdout into a ring in RAM (images only)
int uart_present(uint16_t port);     // probed through the scratch register
void uart_init(uint16_t port);       // 115200 8N1, FIFO on, no interrupts (we poll)
extern int serial_crlf;              // 1: "\r\n" line ends (default), 0: the bytes as written (`lf` option)
void kprintf(const char *fmt, ...);  // to COM2 (stderr) when present, else COM1
int ksnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int kformat(char *buf, size_t n, const char *fmt, ...);
// trap.c
void trap_init(void);
void trap_init_cpu(void);
// acpi.c
#define MAX_IOAPICS 4
struct ioapic { uint32_t addr, gsi_base; };   // from the MADT (microvm: two, GSI 0 and 24)
extern struct ioapic ioapics[MAX_IOAPICS];
extern uint32_t nioapics;
void acpi_init(void);
// virtio.c (images only): a device's interrupt on this core (trap.c calls it for its vectors)
void dev_interrupt(uint32_t dev) __attribute__((weak));
// apic.c
void pic_disable(void);
void lapic_init(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
void lapic_ipi(uint32_t apic_id, uint32_t vector);
void lapic_init_sipi(uint32_t apic_id, int init, uint32_t page);
void lapic_timer_oneshot(uint64_t ns);
void lapic_timer_cancel(void);
uint32_t lapic_timer_count(void);    // for clock.c's calibration: a masked countdown from 2^32-1
void lapic_timer_start_free(void);
void lapic_timer_stop_free(void);
// clock.c
void clock_init(void);
uint64_t clock_ns(void);
void delay_us(uint64_t us);
void halt_ns(uint64_t ns);           // hlt until the LAPIC timer (about ns) or another interrupt
extern uint64_t tsc_hz, lapic_hz, tsc_boot;
// smp.c
void smp_init(void);
void smp_start(void);
// main.c
extern int opt_verbose, opt_fault, opt_stats, opt_tracelog, opt_stdinring, opt_stdoutring;  // kernel options (before `--`)
void cpu_init_self(struct cpu *c);
uint32_t core_index(void);           // this core's index, found through the LAPIC id (no GS needed)
void __attribute__((noreturn)) machine_exit(uint32_t code);
void __attribute__((noreturn)) panic(const char *fmt, ...);
uint64_t boot_us(void);              // microseconds since kmain
uint64_t boot_tsc(void);             // TSC at kmain
void boot_report(void);              // print how long each boot step took
// host.c (with an image) or bare.c (without): what every core runs once the machine is up.
void __attribute__((noreturn)) core_main(struct cpu *c);
void host_init(void);
void host_stats_report(void);        // `stats` option: printed by machine_exit
// stdin.c (images only): fd 0, from a ring in RAM that aam boot fills (docs/BOOT.md)
void stdin_init(void);
uint32_t stdin_read(uint8_t *dst, uint32_t n);  // blocks the core until a byte or the end (0)
// trace.c (images only; the streamer of --trace builds to COM3): the drain points, see trace.c.
void trace_init(void);
void trace_drain(void);              // every ring, unless another core is draining
void trace_poll(struct cpu *c);      // drain if this core's ring is half full
void trace_trap(uint32_t core, int fatal);
void trace_exit(uint32_t code) __attribute__((weak));  // absent in --bare kernels
