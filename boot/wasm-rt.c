// wasm-rt.c: the functions of wasm-rt.h: traps, memory growth, table allocation.
//
// Owns: the mapping of a trap to its core's jmp_buf; growth of the shared memory under its lock.
// Not: where the memory lives or how instances are made (host.c).
#include "wasm-rt.h"

#include "kernel.h"
#include "spinlock.h"

static bool initialized;

void wasm_rt_init(void) { initialized = true; }
bool wasm_rt_is_initialized(void) { return initialized; }

void wasm_rt_trap(wasm_rt_trap_t t) {
  struct cpu *c = this_cpu();
  c->wasm_depth = 0;                 // the frames that counted are gone
  k_longjmp(c->trap_jmp, (int)t);
}

const char *wasm_rt_strerror(wasm_rt_trap_t t) {
  switch (t) {
    case WASM_RT_TRAP_NONE: return "no trap";
    case WASM_RT_TRAP_OOB: return "out of bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable executed";
    case WASM_RT_TRAP_CALL_INDIRECT: return "indirect call: null or signature mismatch";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return "uncaught exception";
    case WASM_RT_TRAP_UNALIGNED: return "unaligned atomic access";
    case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted";
    case WASM_RT_TRAP_NULL_REF: return "null reference";
  }
  return "unknown trap";
}

void wasm_rt_allocate_memory_shared_at(wasm_rt_shared_memory_t *m, void *base, uint64_t initial, uint64_t max) {
  *m = (wasm_rt_shared_memory_t){.data = base, .pages = initial, .max_pages = max, .size = initial << 16};
}

uint64_t wasm_rt_grow_memory_shared(wasm_rt_shared_memory_t *m, uint64_t delta) {
  spin_lock((spinlock_t *)&m->lock);
  uint64_t old = m->pages;
  if (delta > m->max_pages - old) old = (uint64_t)-1;
  else __atomic_store_n(&m->size, (m->pages = old + delta) << 16, __ATOMIC_RELEASE);
  spin_unlock((spinlock_t *)&m->lock);
  return old;
}

uint64_t wasm_rt_grow_memory(wasm_rt_memory_t *m, uint64_t delta) {
  if (delta > m->max_pages - m->pages) return (uint64_t)-1;
  uint64_t old = m->pages;
  m->size = (m->pages += delta) << 16;
  return old;
}

// Tables are per instance and small; growth copies into a fresh block (the old one is not reused).
#define DEFINE_TABLE(type, null)                                                                     \
  void wasm_rt_allocate_##type##_table(wasm_rt_##type##_table_t *t, uint32_t n, uint32_t max) {    \
    t->data = n ? kalloc((uint64_t)n * sizeof *t->data, 16) : NULL;                                \
    for (uint32_t i = 0; i < n; i++) t->data[i] = null;                                            \
    t->size = n;                                                                                   \
    t->max_size = max;                                                                             \
  }                                                                                                \
  void wasm_rt_free_##type##_table(wasm_rt_##type##_table_t *t) { t->data = NULL, t->size = 0; }   \
  uint32_t wasm_rt_grow_##type##_table(wasm_rt_##type##_table_t *t, uint32_t delta,                \
                                       wasm_rt_##type##_t init) {                                  \
    uint32_t old = t->size;                                                                        \
    if (delta > t->max_size - old) return (uint32_t)-1;                                            \
    if (!delta) return old;                                                                        \
    wasm_rt_##type##_t *d = kalloc((uint64_t)(old + delta) * sizeof *d, 16);                       \
    if (old) memcpy(d, t->data, old * sizeof *d);                                                  \
    for (uint32_t i = old; i < old + delta; i++) d[i] = init;                                      \
    t->data = d;                                                                                   \
    t->size = old + delta;                                                                         \
    return old;                                                                                    \
  }
DEFINE_TABLE(funcref, wasm_rt_funcref_null_value)
DEFINE_TABLE(externref, wasm_rt_externref_null_value)
