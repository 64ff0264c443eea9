// host.c: the system image on bare metal: the shared memory, one instance per core, the entry loop.
//
// Owns: the env.memory object, the per-core instances and import records, the end-of-run rule.
// Not: the imports (platform.c) or the runtime the generated code calls (wasm-rt.c).
//
// Host protocol (runtime/rt/platform.ts): every core calls the export aam_entry() once. The machine
// ends when a core calls exit (status of its choice), when a core traps outside a task (EXIT_TRAP,
// after a report naming the core, the trap and the message of aam.fatal if any), or when every core
// has returned (status = what core 0 returned).
//
// Task traps, the rule of tools/host/worker.ts (docs/ARCHITECTURE.md §10): when a core traps
// while its FC_CURRENT word (abi.h, from runtime/abi.json: in the core's record) is non-zero, its
// FC_LOCKS word is zero and the image exports aam_resume, the host writes the trap's kind into
// FC_TRAP and re-enters the image through aam_resume() twice: the first call fails the task and
// reports it (core, task function, machine, reason), the second completes its future and goes
// back to the scheduler.
// A trap while the core holds a system lock stops the machine, naming the lock (an AssemblyScript
// string whose address is in FC_LOCK_NAME).
//
// Instances are made by the boot core, all before any core runs: wasm2c's instantiate copies the
// active data segments, and a late instantiation would overwrite data that running cores changed.
#include "image.h"
#include "platform.h"
#include "x86.h"
#include "foreign.h"

wasm_rt_shared_memory_t *host_memory;
static wasm_rt_shared_memory_t memory;
static struct w2c_env env = {&memory};
static struct w2c_aam aam[MAX_CORES];
static struct w2c_wasi__snapshot__preview1 wasi[MAX_CORES];
static w2c_image *inst[MAX_CORES];
static uint32_t returned;            // cores whose aam_entry returned (atomic add)
static uint32_t status0;             // what core 0 returned; published before its add to `returned`
static uint64_t entry_tsc[MAX_CORES];  // when each core first entered the image (stats)
static uint64_t first_task_tsc;      // first platform call made from inside a task (stats; cmpxchg 0→t)

// An image without the framework (tests/boot/count.wat) has no aam_resume: every trap is fatal.
u32 w2c_image_aam_resume(w2c_image *) __attribute__((weak));
// Only in an image built with --trace: publishes this core's trace ring (its last events).
void w2c_image_aam_trace_flush(w2c_image *) __attribute__((weak));
static uint8_t flushing[MAX_CORES];  // 1 while core i runs aam_trace_flush (a trap in it is not retried)
// Only in an image with the framework: the nested call of an inline join (w2c_aam_run_inline).
void w2c_image_aam_inline(w2c_image *, u32, u32, u32) __attribute__((weak));

wasm_rt_shared_memory_t *w2c_env_memory(struct w2c_env *e) { return e->memory; }

// Non-zero when a task is running on core c (its FC_CURRENT word), read as the Node host reads it.
static uint32_t core_word(struct cpu *c, uint64_t off);
static uint32_t current_task(struct cpu *c) { return core_word(c, FC_CURRENT); }

// A word of core c's record, 0 if the memory is not there yet.
static uint32_t core_word(struct cpu *c, uint64_t off) {
  uint64_t addr = CORE_BASE + (uint64_t)c->id * CORE_REC_SIZE + off;
  if (!host_memory || addr + 4 > __atomic_load_n(&host_memory->size, __ATOMIC_ACQUIRE)) return 0;
  return __atomic_load_n((uint32_t *)(host_memory->data + addr), __ATOMIC_ACQUIRE);
}

static void set_core_word(struct cpu *c, uint64_t off, uint32_t v) {
  uint64_t addr = CORE_BASE + (uint64_t)c->id * CORE_REC_SIZE + off;
  if (host_memory && addr + 4 <= __atomic_load_n(&host_memory->size, __ATOMIC_ACQUIRE))
    __atomic_store_n((uint32_t *)(host_memory->data + addr), v, __ATOMIC_RELEASE);
}

// wasm2c's trap code as runtime/abi.json enum trap (the image turns it into the task's error text).
uint32_t host_trap_kind(wasm_rt_trap_t t) {
  switch (t) {
    case WASM_RT_TRAP_UNREACHABLE: return TRAP_UNREACHABLE;
    case WASM_RT_TRAP_OOB: return TRAP_OOB;
    case WASM_RT_TRAP_DIV_BY_ZERO: return TRAP_DIV_ZERO;
    case WASM_RT_TRAP_INT_OVERFLOW: return TRAP_INT_OVERFLOW;
    case WASM_RT_TRAP_INVALID_CONVERSION: return TRAP_CONVERSION;
    case WASM_RT_TRAP_CALL_INDIRECT: return TRAP_INDIRECT;
    case WASM_RT_TRAP_UNALIGNED: return TRAP_UNALIGNED;
    case WASM_RT_TRAP_EXHAUSTION: return TRAP_STACK;
    default: return TRAP_OTHER;
  }
}

// The name of the system lock core c holds, into buf (ASCII; "" when it holds none).
static const char *lock_held(struct cpu *c, char *buf, uint32_t size) {
  buf[0] = 0;
  if (!core_word(c, FC_LOCKS)) return buf;
  uint64_t p = core_word(c, FC_LOCK_NAME);
  if (p < 4 || p + 4 > host_memory->size) return buf;
  uint32_t bytes = *(uint32_t *)(host_memory->data + p - OBJ_HEADER + OBJ_RT_SIZE);   // byte length
  uint32_t n = 0;
  for (uint32_t i = 0; i + 1 < bytes && n + 1 < size && p + i + 2 <= host_memory->size; i += 2) {
    uint16_t ch = *(uint16_t *)(host_memory->data + p + i);
    buf[n++] = ch < 128 ? (char)ch : '?';
  }
  buf[n] = 0;
  return buf;
}

// platform.c calls this on every import while `stats` is on: the first call from inside a task
// marks "first task running".
void host_note_task(struct cpu *c) {
  if (__atomic_load_n(&first_task_tsc, __ATOMIC_RELAXED) || !current_task(c)) return;
  uint64_t zero = 0;
  __atomic_compare_exchange_n(&first_task_tsc, &zero, rdtsc(), false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static void __attribute__((noreturn)) report_trap(struct cpu *c, int trap) {
  const char *msg = c->fatal_msg;
  char lock[64];
  lock_held(c, lock, sizeof lock);
  trace_trap(c->id, 1);              // --trace: the rings so far, then the host's flight recorder
  kprintf("aam: trap on core %u: %s%s%s%s%s%s\n", c->id, wasm_rt_strerror((wasm_rt_trap_t)trap), msg ? ": " : "", msg ? msg : "",
          lock[0] ? " (while holding the " : "", lock, lock[0] ? " lock: the system stops)" : "");
  machine_exit(EXIT_TRAP);
}

static uint64_t tsc_us(uint64_t from, uint64_t to) { return to > from ? (to - from) * 1000000u / tsc_hz : 0; }

// `stats` kernel option, printed by machine_exit: boot times, and per core how often it parked and
// halted and for how long (the "idle cores do not spin" figures).
void host_stats_report(void) {
  uint64_t now = rdtsc(), last_entry = 0;
  for (uint32_t i = 0; i < ncpus; i++) last_entry = entry_tsc[i] > last_entry ? entry_tsc[i] : last_entry;
  uint64_t first = __atomic_load_n(&first_task_tsc, __ATOMIC_RELAXED);
  kprintf("aam boot stats: cores %u, kmain to every core in aam_entry %lu us, kmain to first task %lu us, "
          "kmain to exit %lu us\n", ncpus, last_entry ? tsc_us(boot_tsc(), last_entry) : 0,
          first ? tsc_us(boot_tsc(), first) : 0, tsc_us(boot_tsc(), now));
  for (uint32_t i = 0; i < ncpus; i++) {
    struct cpu *c = &cpus[i];
    uint64_t since = __atomic_load_n(&c->hlt_since, __ATOMIC_RELAXED);  // a hlt still going on counts too
    uint64_t up = tsc_us(entry_tsc[i], now), halted = (c->halted_tsc + (since && since < now ? now - since : 0)) * 1000000u / tsc_hz;
    uint64_t irqs = 0, at = CORE_BASE + (uint64_t)i * CORE_REC_SIZE + FC_IRQS;   // FC_IRQS: interrupts the image took
    if (host_memory && at + 8 <= host_memory->size) memcpy(&irqs, host_memory->data + at, 8);
    kprintf("aam boot stats: core %u: parks %lu, hlt %lu, halted %lu us of %lu us (%lu%%), irqs %lu\n", i, c->parks, c->hlts,
            halted, up, up ? halted * 100 / up : 0, irqs);
  }
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

// --trace: publish core c's trace ring before the host reads it (trace_trap drains it); once: the
// flush itself may trap.
static void flush_trace(struct cpu *c) {
  if (w2c_image_aam_trace_flush && !flushing[c->id]) {
    flushing[c->id] = 1;
    w2c_image_aam_trace_flush(inst[c->id]);
  }
  flushing[c->id] = 0;
}

// The task running on core c trapped and the rule lets it fail alone: tell the image what it was;
// aam_resume then fails the task and writes the report (runtime/boot.ts recover). The rings go out
// first (--trace: aam boot prints the flight recorder; a failing main ends the system in this call).
static void fail_task(struct cpu *c, int trap) {
  set_core_word(c, FC_TRAP, host_trap_kind((wasm_rt_trap_t)trap));
  c->fatal_msg = NULL;
  trace_trap(c->id, 0);
  w2c_image_aam_resume(inst[c->id]);
}

// aam.run_inline (runtime/rt/platform.ts): task j runs task t on its stack (runtime/sched/sched.ts
// inline join), inside a catch frame of its own. A trap while t is the running task and no lock
// is held fails t alone, by the rule of core_main below, and returns to j; any other trap goes on
// to the frame outside (core_main, or an outer run_inline), as if this one were not there.
void w2c_aam_run_inline(struct w2c_aam *a, u32 t, u32 j) {
  struct cpu *c = a->cpu;
  w2c_image *in = inst[c->id];
  jmp_buf saved;
  memcpy(saved, c->trap_jmp, sizeof saved);
  uint32_t depth = c->wasm_depth;
  int trap = k_setjmp(c->trap_jmp);
  if (!trap) {
    w2c_image_aam_inline(in, 0, t, j);
    memcpy(c->trap_jmp, saved, sizeof saved);
    return;
  }
  memcpy(c->trap_jmp, saved, sizeof saved);          // a trap from here on is the outer frame's
  c->wasm_depth = depth;
  if (current_task(c) != t || core_word(c, FC_LOCKS)) k_longjmp(c->trap_jmp, trap);
  flush_trace(c);
  fail_task(c, trap);                                // fails t and reports it
  w2c_image_aam_inline(in, 1, t, j);                 // completes t; back in j
}

void host_init(void) {
  platform_init(boot_cmdline());
  stdin_init();                      // stdin.c: the ring of `stdinring`, before the image takes the RAM
  stdout_ring_init();                // serial.c: the ring of `stdoutring`
  wasm_rt_init();
  trace_init();                      // before memory_init: its RAM log comes out of what the image could reserve
  foreign_init(ncpus);               // likewise: the foreign modules' memories and instances (boot/foreign.c)
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
  entry_tsc[c->id] = rdtsc();
  u32 (*volatile enter)(w2c_image *) = w2c_image_aam_entry;  // volatile: changed between setjmp returns
  int trap = k_setjmp(c->trap_jmp);
  if (trap) {
    flush_trace(c);
    if (!w2c_image_aam_resume || !current_task(c) || core_word(c, FC_LOCKS)) report_trap(c, trap);
    fail_task(c, trap);                   // the first aam_resume; the second completes the task's
    enter = w2c_image_aam_resume;         // future and serves again
  }
  uint32_t status = enter(inst[c->id]);
  if (c->id == 0) __atomic_store_n(&status0, status, __ATOMIC_RELAXED);
  if (__atomic_add_fetch(&returned, 1, __ATOMIC_ACQ_REL) == ncpus) machine_exit(__atomic_load_n(&status0, __ATOMIC_RELAXED));
  halt_forever();
}
