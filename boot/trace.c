// trace.c: the QEMU host's trace collector. Drains every core's trace ring (runtime/trace.ts) into
// frames that go to a RAM log or out over COM3, which QEMU writes to a file (tools/boot/boot.ts
// bootTraced).
//
// Owns: the consumer half of the ring protocol on bare metal (runtime/trace.ts steps 1 and 3), the
// trace port and the RAM log, the frame format below, trace_lock. Not: decoding, spreading inexact
// timestamps or names (tools/host/trace.ts does that for both hosts, after QEMU exits).
//
// Active only for an image built with --trace (the builder passes AAM_TRACE=1; the ring's word in
// the core record, FC_TRACE_RING, and every layout below are abi.h's) and only when COM3 exists (probed like COM2); otherwise every entry point returns
// at once and the rings fill up, counting their losses.
//
// When the rings are drained (any core may drain every ring; trace_lock makes it one consumer):
//  1. a core about to halt in park (platform.c), before its hlt: an idle core does the copying;
//  2. a core whose own ring is half full, at its next clock read (now_ns; a core recording task
//     events reads the clock at least every 64 ring slots), so a core that never parks does not
//     lose events;
//  3. before a trap report (host.c), followed by a TRAP frame: the host prints its flight recorder;
//  4. at machine_exit: everything, up to what each core wrote (runtime/trace.ts step 4), then the
//     MEM frames (the records the host's names and --stats come from) and the END frame. The lock is tried for 30 s, then taken anyway, as the console
//     does: a core that stopped while draining must not stop the exit.
// A full ring drops events and counts them in its LOST word (runtime/trace.ts step 2): every EVENTS
// frame carries that count, so a loss reaches the host even when no event does.
//
// Where the frames go. Under TCG every byte written to a UART costs ~5 us (measured: 1 MiB in 4.9 s,
// one write(2) per byte in QEMU), and single-threaded TCG stops every core meanwhile: streaming
// 2 MB of events made a 2.5 s run take 13 s. So with the `tracelog` kernel option (bootTraced sets
// it and gives QEMU a memory-backend file as guest RAM) a drain is a memcpy into a RAM log, and at
// exit one LOG frame on COM3 tells the host where in its memory file the log is. When the log is
// full, the rest goes to COM3 itself: the host reads the log, then the rest of the COM3 stream, as
// one stream of frames. Without `tracelog` every frame goes to COM3.
//
// Rejected: draining on a periodic LAPIC tick (the kernel has none: cores run wasm with interrupts
// off, so a tick could only run when a core parks, which step 1 already covers); a byte-by-byte
// uart_put on COM3 (one LSR read per byte doubles the port I/O): the 16-byte FIFO is filled with
// `rep outsb` after one LSR read; isa-debugcon (no LSR) measured only 1.4x faster than that.
//
// The frames (header TF_*, kinds TF_KIND_*, payloads) are drawn in abi.h, from runtime/abi.json:
// tools/boot/boot.ts decodes them with the same numbers.
#include <string.h>

#include "platform.h"
#include "spinlock.h"
#include "x86.h"

#define COM3 0x3e8
#define LOG_MAX (256ull << 20)         // the RAM log: at most this, and at most 1/4 of free RAM

#ifndef AAM_TRACE
#define AAM_TRACE 0                    // the image was built without --trace
#endif
#define SLOT TRACE_SLOT                // HEAD, TAIL and CAP count slots (abi.h: ring header R_*)

extern wasm_rt_shared_memory_t *host_memory;

static spinlock_t trace_lock;          // one consumer at a time: guards COM3, the log, `ring`, `sent_lost`
static int trace_on;                   // a traced image and COM3 present (set once by trace_init)
static uint32_t ring[MAX_CORES];       // each core's ring address, once it has published one
static uint32_t sent_lost[MAX_CORES];  // LOST as last sent
static uint32_t ended;                 // 1: a core is writing the END frame, 2: it went out
static uint8_t *log_buf;               // the RAM log (`tracelog`): log_len of log_cap bytes used;
static uint64_t log_len, log_cap;      // log_cap drops to 0 once it is full (COM3 from then on)

static uint8_t *mem_at(uint64_t addr, uint64_t len) {
  if (addr + len > __atomic_load_n(&host_memory->size, __ATOMIC_ACQUIRE)) return NULL;
  return host_memory->data + addr;
}
static uint32_t *word(uint64_t addr) { return (uint32_t *)mem_at(addr, 4); }

void trace_init(void) {
  if (!AAM_TRACE || !uart_present(COM3)) return;
  uart_init(COM3);
  trace_on = 1;
  if (!opt_tracelog) return;
  uint64_t free = mem_top() > mem_brk() ? mem_top() - mem_brk() : 0;
  log_cap = free / 4 < LOG_MAX ? free / 4 & ~0xfffull : LOG_MAX;
  log_buf = log_cap ? kalloc(log_cap, 4096) : NULL;
}

// Fill the FIFO 16 bytes at a time; QEMU empties it into the file before the next LSR read says so.
static void port_write(const void *buf, size_t n) {
  const uint8_t *p = buf;
  while (n) {
    size_t k = n < 16 ? n : 16;
    n -= k;
    while (!(inb(COM3 + 5) & 0x20)) pause();
    __asm__ volatile("rep outsb" : "+S"(p), "+c"(k) : "d"(COM3) : "memory");
  }
}

// Every frame's bytes: to the RAM log while it has room, then to COM3 (the host joins the two).
static void out(const void *p, size_t n) {
  if (log_len + n <= log_cap) {
    memcpy(log_buf + log_len, p, n);
    log_len += n;
    return;
  }
  log_cap = 0;
  port_write(p, n);
}

static void header(uint8_t h[TF_HEADER], uint16_t kind, uint16_t core, uint32_t len, uint32_t arg) {
  uint32_t magic = TF_MAGIC_VALUE;
  memcpy(h + TF_MAGIC, &magic, 4), memcpy(h + TF_KIND, &kind, 2), memcpy(h + TF_CORE, &core, 2);
  memcpy(h + TF_LEN, &len, 4), memcpy(h + TF_ARG, &arg, 4);
}

static void frame(uint16_t kind, uint16_t core, uint32_t len, uint32_t arg) {
  uint8_t h[TF_HEADER];
  header(h, kind, core, len, arg);
  out(h, sizeof h);
}

// Step 3 of the ring protocol for core k (trace_lock held); `last`: step 4, at exit: up to what
// the core wrote (SHADOW), published or not, and its pending close as a record of its own. The
// other cores may still run: wasm2c's stores to shared memory are volatile (kept in program
// order) and x86 keeps stores in order, so the slots before SHADOW's count are there.
static void drain_core(uint32_t k, int last) {
  if (!ring[k]) {
    uint32_t *w = word(CORE_BASE + (uint64_t)k * CORE_REC_SIZE + FC_TRACE_RING);
    uint32_t r = w ? __atomic_load_n(w, __ATOMIC_ACQUIRE) : 0;
    uint32_t *cap = r ? word(r + RING_CAP) : NULL;
    if (!cap || !*cap || (*cap & (*cap - 1)) || !mem_at(r, RING_HEADER + (uint64_t)*cap * SLOT)) return;
    ring[k] = r;
  }
  uint8_t *r = host_memory->data + ring[k];
  uint32_t head = __atomic_load_n((uint32_t *)(r + RING_HEAD), __ATOMIC_ACQUIRE);
  uint32_t tail = *(uint32_t *)(r + RING_TAIL), cap = *(uint32_t *)(r + RING_CAP);
  uint32_t lost = __atomic_load_n((uint32_t *)(r + RING_LOST), __ATOMIC_RELAXED);
  uint32_t pending = 0;
  if (last) {
    uint64_t sh = __atomic_load_n((uint64_t *)(r + RING_SHADOW), __ATOMIC_ACQUIRE);
    uint32_t written = (uint32_t)sh;
    if (written - tail <= cap && written - head <= cap) head = written;
    pending = (uint32_t)(sh >> 32);
    if (pending != TC_CLOSE_END && pending != TC_CLOSE_BLOCK) pending = 0;
  }
  uint32_t n = head - tail;
  if (!n && !pending && lost == sent_lost[k]) return;
  if (n > cap) n = cap, tail = head - cap;        // cannot happen with a well-behaved producer
  frame(TF_KIND_EVENTS, (uint16_t)k, n * SLOT + (pending ? SLOT : 0), lost);
  uint32_t at = tail & (cap - 1), first = n < cap - at ? n : cap - at;
  out(r + RING_HEADER + (uint64_t)at * SLOT, (uint64_t)first * SLOT);
  out(r + RING_HEADER, (uint64_t)(n - first) * SLOT);
  if (pending) {
    uint64_t close = TC_COMPACT | (uint64_t)(pending == TC_CLOSE_END ? EV_TASK_END : EV_TASK_BLOCK) << TC_TYPE_SHIFT;
    out(&close, SLOT);
  }
  __atomic_store_n((uint32_t *)(r + RING_TAIL), head, __ATOMIC_RELEASE);
  sent_lost[k] = lost;
}

static void drain_all(int last) {
  for (uint32_t k = 0; k < ncpus; k++) drain_core(k, last);
}

void trace_drain(void) {
  if (!trace_on || !spin_trylock(&trace_lock)) return;   // busy: the holder drains every ring
  drain_all(0);
  spin_unlock(&trace_lock);
}

// Step 2 of the drain list: this core's own ring, read without the lock (it is the producer).
void trace_poll(struct cpu *c) {
  if (!trace_on) return;
  uint32_t *w = word(CORE_BASE + (uint64_t)c->id * CORE_REC_SIZE + FC_TRACE_RING);
  uint32_t r = w ? __atomic_load_n(w, __ATOMIC_ACQUIRE) : 0;
  uint8_t *h = r ? mem_at(r, RING_HEADER) : NULL;
  if (h && *(uint32_t *)(h + RING_HEAD) - __atomic_load_n((uint32_t *)(h + RING_TAIL), __ATOMIC_RELAXED) >= *(uint32_t *)(h + RING_CAP) / 2)
    trace_drain();
}

// Take the lock, or after 30 s go on without it (its holder stopped). Not shorter: a drain over COM3
// alone can take seconds (~5 us a byte).
static int lock_bounded(void) {
  for (uint64_t until = clock_ns() + 30000000000ull; clock_ns() < until;) {
    if (spin_trylock(&trace_lock)) return 1;
    pause();
  }
  return 0;
}

void trace_trap(uint32_t core, int fatal) {
  if (!trace_on) return;
  int locked = lock_bounded();
  drain_all(0);
  frame(TF_KIND_TRAP, (uint16_t)core, 0, (uint32_t)fatal);
  if (locked) spin_unlock(&trace_lock);
}

static void dump(uint64_t addr, uint64_t len) {
  if (!mem_at(addr, len)) return;
  frame(TF_KIND_MEM, 0, (uint32_t)len, (uint32_t)addr);
  out(host_memory->data + addr, len);
}

// The records the host reads after the run (tools/host/stats.ts, from the same abi.h numbers): the
// SCB, framework words and core records, the Machine Manager's machine table, each machine record
// and its name (an AssemblyScript string: object header, then OBJ_RT_SIZE bytes), every heap
// arena's per-core blocks.
static void dump_records(void) {
  dump(SCB, CORE_BASE + (uint64_t)ncpus * CORE_REC_SIZE - SCB);
  uint32_t *g = word(FW_MANAGER), *nm = g && *g ? word(*g + MGR_NMACH) : NULL;
  if (nm && *nm <= 4096) {
    dump(*g, MGR_MACH + 4ull * *nm);
    for (uint32_t i = 0; i < *nm; i++) {
      uint32_t *m = word(*g + MGR_MACH + 4ull * i), *s = m ? word(*m + M_NAME) : NULL;
      if (!s) continue;
      dump(*m, MACHINE_SIZE);
      uint32_t *len = *s >= OBJ_HEADER ? word(*s - OBJ_HEADER + OBJ_RT_SIZE) : NULL;
      if (len && *len <= 4096) dump(*s - OBJ_HEADER, (uint64_t)OBJ_HEADER + *len);
    }
  }
  uint32_t *na = word(FW_NARENAS);
  for (uint32_t a = 0; na && a < *na && a < 256; a++) {
    uint32_t *base = word(FW_ARENAS + 4ull * a);
    if (base && *base) dump(*base, (uint64_t)ncpus * ARENA_STRIDE);
  }
}

// A second core exiting meanwhile waits (bounded) for the first to finish: its isa-debug-exit
// would end QEMU in the middle of the END frame.
void trace_exit(uint32_t code) {
  if (!trace_on) return;
  if (__atomic_exchange_n(&ended, 1, __ATOMIC_ACQ_REL)) {
    for (uint64_t until = clock_ns() + 30000000000ull; __atomic_load_n(&ended, __ATOMIC_ACQUIRE) != 2 && clock_ns() < until;) pause();
    return;
  }
  int locked = lock_bounded();
  drain_all(1);
  dump_records();
  double now = (double)clock_ns();
  frame(TF_KIND_END, 0, 8, code);
  out(&now, 8);
  if (log_buf) {                       // where the log is, on COM3 itself (the identity map: virtual = physical)
    uint8_t h[TF_HEADER];
    uint64_t where[2] = {(uint64_t)(uintptr_t)log_buf, log_len};
    header(h, TF_KIND_LOG, 0, sizeof where, 0);
    port_write(h, sizeof h);
    port_write(where, sizeof where);
  }
  if (locked) spin_unlock(&trace_lock);
  __atomic_store_n(&ended, 2, __ATOMIC_RELEASE);
}
