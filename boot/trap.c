// trap.c: the IDT and what happens on an interrupt or a CPU exception.
//
// Owns: the IDT (one, shared by all cores), trap_dispatch.
// Not: wasm traps (those are C-level longjmps, wasm-rt.c and host.c); the GDT (entry.S).
//
// Interrupts are wake-ups (VEC_WAKE, VEC_TIMER): the handler acknowledges them and returns to
// the hlt in park, whose loop then looks at the token and the clock; a device's vector
// (VEC_DEV_BASE + d) also marks the interrupt for the image (virtio.c dev_interrupt). Exceptions are fatal: report
// core, vector, error code and RIP on the console and end the machine with EXIT_FAULT.
#include "kernel.h"

struct trapframe {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error;
  uint64_t rip, cs, rflags, rsp, ss;  // pushed by the CPU
};

struct idt_gate {
  uint16_t off_lo, selector;
  uint8_t ist, type;
  uint16_t off_mid;
  uint32_t off_hi, zero;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));
extern const uint64_t vector_table[256];
extern const struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdt_ptr;

static const char *const names[32] = {
  "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
  "#UD invalid opcode", "#NM no FPU", "#DF double fault", "coprocessor overrun", "#TS invalid TSS",
  "#NP segment not present", "#SS stack fault", "#GP general protection", "#PF page fault",
  "reserved", "#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD error",
  "#VE virtualization", "#CP control protection",
};

void trap_init(void) {
  for (int v = 0; v < 256; v++) {
    uint64_t a = vector_table[v];
    idt[v] = (struct idt_gate){(uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0};
  }
}

void trap_init_cpu(void) {
  struct { uint16_t limit; uint64_t base; } __attribute__((packed)) p = {sizeof idt - 1, (uint64_t)idt};
  __asm__ volatile("lgdt %0" ::"m"(gdt_ptr));
  __asm__ volatile("lidt %0" ::"m"(p));
}

void trap_dispatch(struct trapframe *f) {
  if (f->vector == VEC_WAKE || f->vector == VEC_TIMER) {
    lapic_eoi();
    return;
  }
  if (f->vector >= VEC_DEV_BASE && f->vector < VEC_DEV_BASE + VIRTIO_MAX_DEVICES) {
    if (dev_interrupt) dev_interrupt((uint32_t)(f->vector - VEC_DEV_BASE));
    lapic_eoi();
    return;
  }
  if (f->vector == VEC_SPURIOUS) return;  // spurious LAPIC interrupts take no EOI
  uint64_t cr2;
  __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
  const char *name = f->vector < 32 && names[f->vector] ? names[f->vector] : "unexpected interrupt";
  uint32_t core = 0;
  for (uint32_t i = 0; i < ncpus; i++)       // this_cpu() may not be set yet: ask the LAPIC
    if (cpus[i].apic_id == lapic_id()) core = i;
  kprintf("core %u: CPU exception %lu (%s), error %lx, rip %lx, rsp %lx, cr2 %lx\n", core, f->vector, name,
          f->error, f->rip, f->rsp, cr2);
  machine_exit(EXIT_FAULT);
}
