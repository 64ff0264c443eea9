// foreign.c: the platform imports of foreign machines on bare metal (runtime/rt/platform.ts:
// foreign_open, foreign_fn, foreign_call, foreign_copy) over the modules this kernel carries.
//
// Owns: finding a module and an export by name, calling an export with a trap caught (a trap of
// wasm2c's code longjmps to the core's trap_jmp: for the length of the call that is this file's
// own, so a trap in the module returns -(1 + kind) to the image instead of failing its task),
// bounds-checked copies between the image's memory and a module's. Not: serialising calls (the
// image: runtime/service/foreign.ts), the modules themselves (their generated wrappers).
#include "image.h"                   // the signatures of the imports, when the image uses them
#include "foreign.h"
#include "platform.h"
#include "abi.h"
#include "x86.h"

extern wasm_rt_shared_memory_t *host_memory;
uint32_t host_trap_kind(wasm_rt_trap_t t);   // host.c: wasm2c's trap as enum trap

void foreign_init(uint32_t ncpus) {
  for (const struct foreign_module *const *m = foreign_modules; *m; m++) (*m)->instantiate(ncpus);
}

void foreign_memory(wasm_rt_memory_t *m, uint64_t initial, uint64_t max) {
  *m = (wasm_rt_memory_t){.data = kalloc(max << 16, PAGE_2M), .pages = initial, .max_pages = max, .size = initial << 16};
}

void *foreign_zalloc(uint64_t size) {
  void *p = kalloc(size, 64);
  memset(p, 0, size);
  return p;
}

uint32_t foreign_wasi_clock(wasm_rt_memory_t *m, uint32_t id, uint32_t out) {
  if (id > 3) return 28;                     // WASI EINVAL
  if ((uint64_t)out + 8 > m->size) return 21;  // EFAULT
  uint64_t t = clock_ns();
  memcpy(m->data + out, &t, 8);
  return 0;
}

uint32_t foreign_wasi_random(wasm_rt_memory_t *m, uint32_t buf, uint32_t len) {
  if ((uint64_t)buf + len > m->size) return 21;
  static uint64_t x;                         // xorshift seeded from the TSC (not for secrets)
  if (!x) x = rdtsc() | 1;
  for (uint32_t i = 0; i < len; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    m->data[buf + i] = (uint8_t)x;
  }
  return 0;
}

uint32_t foreign_wasi_zeros(wasm_rt_memory_t *m, uint32_t a, uint32_t b) {
  if ((uint64_t)a + 4 > m->size || (uint64_t)b + 4 > m->size) return 21;
  memset(m->data + a, 0, 4);
  memset(m->data + b, 0, 4);
  return 0;
}

// The image's UTF-16 name at [p, p+len) as ASCII into out; 0 if it is not in the image's memory.
static int name_at(char *out, uint32_t size, uint32_t p, uint32_t len) {
  if ((uint64_t)p + len > host_memory->size || len / 2 + 1 > size) return 0;
  for (uint32_t i = 0; i < len / 2; i++) {
    uint16_t ch = *(uint16_t *)(host_memory->data + p + 2 * i);
    out[i] = ch < 128 ? (char)ch : '?';
  }
  out[len / 2] = 0;
  return 1;
}

static int same(const char *a, const char *b) {
  size_t n = strlen(a);
  return n == strlen(b) && !memcmp(a, b, n);
}

static const struct foreign_module *module_at(uint32_t id) {
  for (uint32_t i = 0; foreign_modules[i]; i++) if (i == id) return foreign_modules[i];
  return NULL;
}

u32 w2c_aam_foreign_open(struct w2c_aam *a, u32 name, u32 len) {
  (void)a;
  char n[64];
  if (!name_at(n, sizeof n, name, len)) return (u32)-1;
  for (uint32_t i = 0; foreign_modules[i]; i++) if (same(foreign_modules[i]->name, n)) return i;
  return (u32)-1;
}

u32 w2c_aam_foreign_fn(struct w2c_aam *a, u32 module, u32 name, u32 len) {
  (void)a;
  const struct foreign_module *m = module_at(module);
  char n[96];
  if (!m || !name_at(n, sizeof n, name, len)) return (u32)-1;
  for (uint32_t i = 0; i < m->nfns; i++) if (same(m->fn_names[i], n)) return i;
  return (u32)-1;
}

u32 w2c_aam_foreign_call(struct w2c_aam *a, u32 module, u32 fn, u32 arg) {
  struct cpu *c = a->cpu;
  const struct foreign_module *m = module_at(module);
  if (!m || fn >= m->nfns) return (u32)-(1 + TRAP_INDIRECT);
  jmp_buf saved;
  memcpy(saved, c->trap_jmp, sizeof saved);
  volatile u32 r;
  int trap = k_setjmp(c->trap_jmp);
  if (!trap) r = m->call(c->id, fn, arg);
  else r = (u32)-(1 + (int)host_trap_kind((wasm_rt_trap_t)trap));
  memcpy(c->trap_jmp, saved, sizeof saved);
  c->fatal_msg = NULL;
  return r;
}

u32 w2c_aam_foreign_copy(struct w2c_aam *a, u32 module, u32 to_module, u32 at, u32 module_at_, u32 len) {
  (void)a;
  const struct foreign_module *m = module_at(module);
  if (!m || (uint64_t)module_at_ + len > m->memory->size || (uint64_t)at + len > host_memory->size) return (u32)-1;
  if (to_module) memcpy(m->memory->data + module_at_, host_memory->data + at, len);
  else memcpy(host_memory->data + at, m->memory->data + module_at_, len);
  return 0;
}
