// platform.c: the platform interface (runtime/rt/platform.ts) on bare metal: every import of the image.
//
// Owns: the aam imports (core_id, core_count, now_ns, park, wake, exit, fatal), the WASI subset
// (fd_write, fd_read, args_*, environ_*, clock_time_get, random_get, proc_exit), the command line split
// (arguments after `--`; the environment from the options `env=NAME=VALUE` before it).
// Not: instantiation or the entry loop (host.c), devices (serial.c, apic.c, clock.c).
// Signatures come from the generated image.h, so a mismatch with the image fails to compile.
//
// Park/wake protocol (binary semaphore per core; struct cpu.token, .parked):
//  wake(k):  1. token[k] = 1                       (seq_cst store)
//            2. if k is not the caller and parked[k]: IPI k on VEC_WAKE
//  park(t):  1. if exchange(token, 0) was 1: return 1   (a wake posted before park is not lost)
//            2. parked = 1                          (seq_cst store), then exchange(token, 0) again:
//               was 1 -> parked = 0, return 1
//            3. past the deadline -> parked = 0, return 0
//            4. arm the LAPIC timer for the rest of the timeout; sti; hlt (sti's one-instruction
//               shadow means an interrupt pending since step 2 still ends this hlt); cli; go to 2
//  Race: wake's step 1 before park's step 2 -> park sees the token; park's store in step 2 before
//  wake's step 2 -> wake sees parked and sends the IPI, which ends the hlt (or is pending at sti).
//  Both are seq_cst, so one of the two always holds (store-load ordering, Dekker). Without the
//  `parked` test every wake would cost an IPI; without the re-check in step 2 a wake between step 1
//  and hlt would sleep until the timeout. A stale IPI or timer interrupt only makes a later hlt
//  return early, and step 2 loops: spurious returns stay inside park.
#include "platform.h"

#include "image.h"
#include "x86.h"

#define WASI_ESUCCESS 0
#define WASI_EBADF 8
#define WASI_EFAULT 21
#define WASI_EINVAL 28

extern wasm_rt_shared_memory_t *host_memory;
void host_note_task(struct cpu *c);

// With the `stats` option, every import checks whether a task is running (host.c: first task).
#define NOTE(cpu) (opt_stats ? host_note_task(cpu) : (void)0)

// The image's memory at [addr, addr+len), or NULL when that leaves the memory.
static uint8_t *mem_at(uint32_t addr, uint64_t len) {
  if ((uint64_t)addr + len > __atomic_load_n(&host_memory->size, __ATOMIC_ACQUIRE)) return NULL;
  return host_memory->data + addr;
}
static uint32_t store_u32(uint32_t addr, uint32_t v) {
  uint8_t *p = mem_at(addr, 4);
  if (p) memcpy(p, &v, 4);
  return p ? WASI_ESUCCESS : WASI_EFAULT;
}

// ---- arguments: the words after `--` on the command line, or every word without `--` ----
#define ARGS_MAX 64
static char args_buf[1024];          // argv strings, NUL-terminated, back to back
static uint32_t args_len, argc;
static uint32_t argv_off[ARGS_MAX];
static int have_rdrand;

static int hexval(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

// ---- environment: the kernel options `env=NAME=VALUE` (before `--`), encoded as arguments ----
#define ENV_MAX 32
static char env_buf[1024];
static uint32_t env_len, envc;
static uint32_t env_off[ENV_MAX];

// One word into a string table; %XX is the byte XX (tools/boot/boot.ts encodes spaces, `%` and
// non-ASCII so). A word that does not fit is dropped (boot.ts refuses such command lines first).
static void add_word(char *buf, uint32_t cap, uint32_t *len, uint32_t *count, uint32_t max, uint32_t *off, const char *s, uint32_t n) {
  if (*count == max || *len + n + 1 > cap) return;
  off[(*count)++] = *len;
  for (uint32_t i = 0; i < n; i++) {
    int hi = s[i] == '%' && i + 2 < n ? hexval(s[i + 1]) : -1, lo = hi >= 0 ? hexval(s[i + 2]) : -1;
    if (lo >= 0) { buf[(*len)++] = (char)(hi << 4 | lo); i += 2; }
    else buf[(*len)++] = s[i];
  }
  buf[(*len)++] = 0;
}
static void add_arg(const char *s, uint32_t n) { add_word(args_buf, sizeof args_buf, &args_len, &argc, ARGS_MAX, argv_off, s, n); }
static void add_env(const char *s, uint32_t n) { add_word(env_buf, sizeof env_buf, &env_len, &envc, ENV_MAX, env_off, s, n); }

void platform_init(const char *cmdline) {
  enum { WORDS_MAX = ARGS_MAX + ENV_MAX + 16 };   // the arguments, the environment and the other options
  const char *words[WORDS_MAX];
  uint32_t lens[WORDS_MAX], n = 0, dashes = WORDS_MAX;
  for (const char *p = cmdline; *p && n < WORDS_MAX;) {
    while (*p == ' ') p++;
    if (!*p) break;
    words[n] = p;
    while (*p && *p != ' ') p++;
    lens[n] = (uint32_t)(p - words[n]);
    if (dashes == WORDS_MAX && lens[n] == 2 && words[n][0] == '-' && words[n][1] == '-') dashes = n;
    n++;
  }
  uint32_t first = dashes == WORDS_MAX ? 0 : dashes + 1;  // words before `--` are kernel options (main.c)
  add_arg("aam", 3);                 // argv[0], as a WASI program expects
  for (uint32_t i = 0; i < first; i++)
    if (lens[i] > 4 && !memcmp(words[i], "env=", 4)) add_env(words[i] + 4, lens[i] - 4);
  for (uint32_t i = first; i < n; i++) add_arg(words[i], lens[i]);
  uint32_t r[4];
  cpuid(1, 0, r);
  have_rdrand = (r[2] >> 30) & 1;
}

// ---- module "aam" ----
u32 *w2c_aam_core_id(struct w2c_aam *a) { return &a->core_id; }
u32 *w2c_aam_core_count(struct w2c_aam *a) { return &a->core_count; }

f64 w2c_aam_now_ns(struct w2c_aam *a) {
  NOTE(a->cpu);
  trace_poll(a->cpu);                // --trace: a busy core drains its ring when half full
  return (f64)clock_ns();
}

u32 w2c_aam_park(struct w2c_aam *a, f64 timeout_ns) {
  struct cpu *c = a->cpu;
  NOTE(c);
  c->parks++;
  if (__atomic_exchange_n(&c->token, 0, __ATOMIC_SEQ_CST)) return 1;
  if (timeout_ns == 0) return 0;
  // No timeout: negative, NaN, or beyond what a u64 of ns holds (584 years).
  uint64_t deadline = timeout_ns >= 0 && timeout_ns < 1.8e19 ? clock_ns() + (uint64_t)timeout_ns : 0;
  uint32_t got = 0;
  trace_drain();                     // --trace: an idle core streams the rings (trace.c)
  for (;;) {
    __atomic_store_n(&c->parked, 1, __ATOMIC_SEQ_CST);
    if (__atomic_exchange_n(&c->token, 0, __ATOMIC_SEQ_CST)) { got = 1; break; }
    uint64_t now = clock_ns();
    if (deadline && now >= deadline) break;
    if (deadline) lapic_timer_oneshot(deadline - now);
    uint64_t t0 = rdtsc();
    __atomic_store_n(&c->hlt_since, t0, __ATOMIC_RELAXED);
    sti_hlt();
    __atomic_store_n(&c->hlt_since, 0, __ATOMIC_RELAXED);
    c->hlts++, c->halted_tsc += rdtsc() - t0;
  }
  __atomic_store_n(&c->parked, 0, __ATOMIC_RELAXED);
  if (deadline) lapic_timer_cancel();
  return got;
}

void w2c_aam_wake(struct w2c_aam *a, u32 core) {
  NOTE(a->cpu);
  if (core >= ncpus) return;         // no such core: nothing to wake
  struct cpu *t = &cpus[core];
  __atomic_store_n(&t->token, 1, __ATOMIC_SEQ_CST);
  if (t != a->cpu && __atomic_load_n(&t->parked, __ATOMIC_SEQ_CST)) lapic_ipi(t->apic_id, VEC_WAKE);
}

// An exit status is 0..255: the image refuses others itself (runtime/sys/sys.ts exitWith); this
// is the same refusal for whatever else reaches the import.
static void exit_checked(uint32_t core, u32 code) {
  if ((int32_t)code < 0 || code > 255) {
    kprintf("aam: exit(%d) on core %u: an exit status is 0..255; the system ends with status %d\n", (int32_t)code, core, EXIT_TRAP);
    code = EXIT_TRAP;
  }
  machine_exit(code);
}

void w2c_aam_exit(struct w2c_aam *a, u32 code) {
  NOTE(a->cpu);
  exit_checked(a->core_id, code);
}

// UTF-16LE at [addr, addr+len) to UTF-8 at out (at most n-1 bytes); unpaired surrogates become '?'.
static void utf16_to_utf8(char *out, size_t n, uint32_t addr, uint32_t len) {
  const uint8_t *p = mem_at(addr, len);
  size_t o = 0;
  if (!p) len = 0;
  for (uint32_t i = 0; i + 1 < len && o + 4 < n; i += 2) {
    uint32_t u = p[i] | p[i + 1] << 8;
    if (u >= 0xd800 && u < 0xdc00 && i + 3 < len) {
      uint32_t lo = p[i + 2] | p[i + 3] << 8;
      if (lo >= 0xdc00 && lo < 0xe000) u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00), i += 2;
    }
    if (u >= 0xd800 && u < 0xe000) u = '?';
    if (u < 0x80) out[o++] = (char)u;
    else if (u < 0x800) out[o++] = (char)(0xc0 | u >> 6), out[o++] = (char)(0x80 | (u & 0x3f));
    else if (u < 0x10000)
      out[o++] = (char)(0xe0 | u >> 12), out[o++] = (char)(0x80 | ((u >> 6) & 0x3f)), out[o++] = (char)(0x80 | (u & 0x3f));
    else
      out[o++] = (char)(0xf0 | u >> 18), out[o++] = (char)(0x80 | ((u >> 12) & 0x3f)),
      out[o++] = (char)(0x80 | ((u >> 6) & 0x3f)), out[o++] = (char)(0x80 | (u & 0x3f));
  }
  out[o] = 0;
}

static char fatal_buf[MAX_CORES][384];

void w2c_aam_fatal(struct w2c_aam *a, u32 msg, u32 msg_len, u32 file, u32 file_len, u32 line, u32 col) {
  char m[192], f[160];
  utf16_to_utf8(m, sizeof m, msg, msg_len);
  utf16_to_utf8(f, sizeof f, file, file_len);
  if (file_len)                      // fail() has no location: the message alone, no " at :0:0"
    kformat(fatal_buf[a->core_id], sizeof fatal_buf[0], "%s at %s:%u:%u", m, f, line, col);
  else
    kformat(fatal_buf[a->core_id], sizeof fatal_buf[0], "%s", m);
  a->cpu->fatal_msg = fatal_buf[a->core_id];
}

// ---- module "wasi_snapshot_preview1" ----
typedef struct w2c_wasi__snapshot__preview1 wasi_t;

u32 w2c_wasi__snapshot__preview1_fd_write(wasi_t *w, u32 fd, u32 iovs, u32 iovs_len, u32 nwritten) {
  NOTE(w->cpu);
  if (fd != 1 && fd != 2) return WASI_EBADF;
  if (fd == 1 && !iovs_len) console_flush(w->cpu->id);   // stdoutWrite's flush
  const uint8_t *v = mem_at(iovs, (uint64_t)iovs_len * 8);
  if (!v) return WASI_EFAULT;
  uint32_t total = 0;
  for (uint32_t i = 0; i < iovs_len; i++) {
    uint32_t buf, len;
    memcpy(&buf, v + i * 8, 4);
    memcpy(&len, v + i * 8 + 4, 4);
    const uint8_t *p = mem_at(buf, len);
    if (!p) return WASI_EFAULT;
    console_write(w->cpu->id, (int)fd, (const char *)p, len);
    total += len;
  }
  return store_u32(nwritten, total);
}

// fd 0 only (stdin.c); fills the first non-empty iovec with what one read gives, as a read(2) may.
u32 w2c_wasi__snapshot__preview1_fd_read(wasi_t *w, u32 fd, u32 iovs, u32 iovs_len, u32 nread) {
  NOTE(w->cpu);
  if (fd != 0) return WASI_EBADF;
  const uint8_t *v = mem_at(iovs, (uint64_t)iovs_len * 8);
  if (!v) return WASI_EFAULT;
  uint32_t got = 0;
  for (uint32_t i = 0; i < iovs_len; i++) {
    uint32_t buf, len;
    memcpy(&buf, v + i * 8, 4);
    memcpy(&len, v + i * 8 + 4, 4);
    uint8_t *p = mem_at(buf, len);
    if (!p) return WASI_EFAULT;
    if (!len) continue;
    got = stdin_read(p, len);
    break;
  }
  return store_u32(nread, got);
}

u32 w2c_wasi__snapshot__preview1_args_sizes_get(wasi_t *w, u32 argc_out, u32 size_out) {
  (void)w;
  u32 e = store_u32(argc_out, argc);
  return e ? e : store_u32(size_out, args_len);
}

u32 w2c_wasi__snapshot__preview1_args_get(wasi_t *w, u32 argv, u32 buf) {
  (void)w;
  uint8_t *b = mem_at(buf, args_len);
  if (!b || !mem_at(argv, (uint64_t)argc * 4)) return WASI_EFAULT;
  memcpy(b, args_buf, args_len);
  for (uint32_t i = 0; i < argc; i++) store_u32(argv + i * 4, buf + argv_off[i]);
  return WASI_ESUCCESS;
}

u32 w2c_wasi__snapshot__preview1_environ_sizes_get(wasi_t *w, u32 count_out, u32 size_out) {
  (void)w;
  u32 e = store_u32(count_out, envc);
  return e ? e : store_u32(size_out, env_len);
}

u32 w2c_wasi__snapshot__preview1_environ_get(wasi_t *w, u32 env, u32 buf) {
  (void)w;
  uint8_t *b = mem_at(buf, env_len);
  if (!b || !mem_at(env, (uint64_t)envc * 4)) return WASI_EFAULT;
  memcpy(b, env_buf, env_len);
  for (uint32_t i = 0; i < envc; i++) store_u32(env + i * 4, buf + env_off[i]);
  return WASI_ESUCCESS;
}

// Clocks 0 (realtime), 1 (monotonic), 2, 3 (CPU time) all read the TSC clock. There is no RTC
// (microvm rtc=off), so "realtime" counts from boot, not from 1970.
u32 w2c_wasi__snapshot__preview1_clock_time_get(wasi_t *w, u32 id, u64 precision, u32 time_out) {
  (void)w, (void)precision;
  if (id > 3) return WASI_EINVAL;
  uint8_t *p = mem_at(time_out, 8);
  if (!p) return WASI_EFAULT;
  uint64_t t = clock_ns();
  memcpy(p, &t, 8);
  return WASI_ESUCCESS;
}

static uint64_t random64(struct cpu *c) {
  if (have_rdrand) {
    uint64_t v;
    unsigned char ok;
    for (int tries = 0; tries < 10; tries++) {
      __asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
      if (ok) return v;
    }
  }
  if (!c->rng) c->rng = rdtsc() ^ (0x9e3779b97f4a7c15ull * (c->id + 1)) ^ 1;  // xorshift64*, per core
  c->rng ^= c->rng >> 12, c->rng ^= c->rng << 25, c->rng ^= c->rng >> 27;
  return c->rng * 0x2545f4914f6cdd1dull;
}

u32 w2c_wasi__snapshot__preview1_random_get(wasi_t *w, u32 buf, u32 len) {
  uint8_t *p = mem_at(buf, len);
  if (!p) return WASI_EFAULT;
  for (uint32_t i = 0; i < len; i += 8) {
    uint64_t r = random64(w->cpu);
    memcpy(p + i, &r, len - i < 8 ? len - i : 8);
  }
  return WASI_ESUCCESS;
}

void w2c_wasi__snapshot__preview1_proc_exit(wasi_t *w, u32 code) {
  exit_checked(w->cpu->id, code);
}
