// host.c: the system image on bare metal: the shared memory, one instance per core, the entry loop.
//
// Owns: the env.memory object, the per-core instances and import records, the end-of-run rule.
// Not: the imports (platform.c) or the runtime the generated code calls (wasm-rt.c).
//
// Host protocol (runtime/rt/platform.ts): every core calls the export aam_entry() once. The machine
// ends when a core calls exit (status of its choice), when a core traps (EXIT_TRAP, after a report
// naming the core, the trap and the message of aam.fatal if any), or when every core has returned
// (status = what core 0 returned).
//
// Instances are made by the boot core, all before any core runs: wasm2c's instantiate copies the
// active data segments, and a late instantiation would overwrite data that running cores changed.
#include "image.h"
#include "platform.h"
#include "x86.h"

wasm_rt_shared_memory_t *host_memory;
static wasm_rt_shared_memory_t memory;
static struct w2c_env env = {&memory};
static struct w2c_aam aam[MAX_CORES];
static struct w2c_wasi__snapshot__preview1 wasi[MAX_CORES];
static w2c_image *inst[MAX_CORES];
static uint32_t returned;            // cores whose aam_entry returned (atomic add)
static uint32_t status0;             // what core 0 returned; published before its add to `returned`

wasm_rt_shared_memory_t *w2c_env_memory(struct w2c_env *e) { return e->memory; }

static void __attribute__((noreturn)) report_trap(struct cpu *c, int trap) {
  const char *msg = c->fatal_msg;
  kprintf("core %u: trap: %s%s%s\n", c->id, wasm_rt_strerror((wasm_rt_trap_t)trap), msg ? ": " : "", msg ? msg : "");
  machine_exit(EXIT_TRAP);
}

// The memory's reserve is its declared maximum, or what RAM leaves after the AP stacks and some
// room for table growth, whichever is smaller; it must hold the declared minimum.
static void memory_init(void) {
  if (wasm2c_image_is64_env_memory || wasm2c_image_pagesize_env_memory != 65536)
    panic("host: env.memory must be a 32-bit memory of 64 KiB pages");
  uint64_t start = (mem_brk() + PAGE_2M - 1) & ~(PAGE_2M - 1);
  uint64_t keep = (uint64_t)ncpus * STACK_SIZE + PAGE_2M;
  uint64_t avail = mem_top() > start + keep ? (mem_top() - start - keep) >> 16 : 0;
  uint64_t max = wasm2c_image_max_env_memory < avail ? wasm2c_image_max_env_memory : avail;
  if (max < wasm2c_image_min_env_memory)
    panic("host: the image needs %lu MiB of memory, RAM leaves %lu MiB (raise -m)",
          wasm2c_image_min_env_memory >> 4, avail >> 4);
  wasm_rt_allocate_memory_shared_at(&memory, kalloc(max << 16, PAGE_2M), wasm2c_image_min_env_memory, max);
  host_memory = &memory;
}

void host_init(void) {
  platform_init(boot_cmdline());
  wasm_rt_init();
  memory_init();
  struct cpu *c = this_cpu();
  int trap = k_setjmp(c->trap_jmp);
  if (trap) report_trap(c, trap);
  for (uint32_t i = 0; i < ncpus; i++) {
    aam[i] = (struct w2c_aam){i, ncpus, &cpus[i]};
    wasi[i] = (struct w2c_wasi__snapshot__preview1){&cpus[i]};
    inst[i] = kalloc(sizeof(w2c_image), 64);
    memset(inst[i], 0, sizeof(w2c_image));
    wasm2c_image_instantiate(inst[i], &aam[i], &env, &wasi[i]);
  }
}

void core_main(struct cpu *c) {
  uint64_t entry_us = boot_us();      // taken before printing: the serial line costs ~5 us a byte
  if (opt_verbose) {
    if (c->id == 0) {
      kprintf("host: %u cores, memory %lu pages (max %lu) at %p\n", ncpus, memory.pages, memory.max_pages, memory.data);
      boot_report();
    }
    kprintf("core %u: entry %lu us after kmain\n", c->id, entry_us);
  }
  int trap = k_setjmp(c->trap_jmp);
  if (trap) report_trap(c, trap);
  uint32_t status = w2c_image_aam_entry(inst[c->id]);
  if (c->id == 0) __atomic_store_n(&status0, status, __ATOMIC_RELAXED);
  if (__atomic_add_fetch(&returned, 1, __ATOMIC_ACQ_REL) == ncpus) machine_exit(__atomic_load_n(&status0, __ATOMIC_RELAXED));
  halt_forever();
}
