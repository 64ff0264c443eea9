// serial.c: the console: COM1 (stdout) and COM2 (stderr), 16550 UARTs behind one lock, with a line
// buffer per core and stream; or stdout into a ring in RAM (`stdoutring`).
//
// Owns: the UARTs, console_lock, the per-core line buffers, kprintf, the stdout ring.
// Not: WASI fd semantics (platform.c turns fd_write into console_write).
//
// Streams: image fd 1 goes to COM1, image fd 2 and every kernel message (kprintf: reports, traps,
// stats) to COM2, so a host can keep the program's stdout apart from diagnostics, as the Node host
// does. QEMU connects COM2 only when asked (`-device isa-serial,iobase=0x2f8`, qemu.mjs); without
// it (probed through the scratch register) everything goes to COM1.
// Lines never mix: kernel messages go out whole under console_lock; image output is collected per
// core and stream until '\n' (or a full buffer) and then goes out whole under the same lock.
//
// The stdout ring (kernel option `stdoutring`, which `aam boot` sets; runtime/abi.json record
// stdout_ring): a UART costs 2–5 µs a byte under TCG (one QEMU exit and one write(2) each), so
// stdout goes into a ring in guest RAM instead, which aam boot reads from its guest RAM file.
//  1. At boot the ring is allocated and its address printed on COM2: "aam: stdout ring at 0x…".
//  2. A flush copies the bytes at DATA + HEAD mod size while HEAD − TAIL < size, then stores HEAD
//     (release). A full ring waits for the host (polls TAIL, halting between polls), holding
//     console_lock: output keeps its order, and the host drains it all the while QEMU runs.
//  3. The host copies out [TAIL, HEAD) and then stores TAIL; after QEMU exits it takes the rest.
#include <string.h>

#include "kernel.h"
#include "spinlock.h"
#include "x86.h"

#define COM1 0x3f8
#define COM2 0x2f8
#define LINE_MAX 512

static spinlock_t console_lock;      // guards the UARTs and every flush of `lines`
static uint16_t err_port = COM1;     // COM2 when present
static uint8_t *out_ring;            // `stdoutring`: stdout goes here, not to COM1
int serial_crlf = 1;                 // '\n' goes out as "\r\n" (terminals); 0 with the `lf` option
static struct {
  char buf[LINE_MAX];                // owned by its core; read by console_flush_all at exit
  uint32_t len;
} lines[MAX_CORES][2];               // [core][0: stdout, 1: stderr]

void uart_init(uint16_t port) {
  outb(port + 1, 0x00);              // no UART interrupts: we poll
  outb(port + 3, 0x80);              // DLAB on: divisor 1 = 115200 baud
  outb(port + 0, 0x01);
  outb(port + 1, 0x00);
  outb(port + 3, 0x03);              // 8N1
  outb(port + 2, 0xc7);              // FIFO on, cleared
  outb(port + 4, 0x03);              // DTR, RTS
}

int uart_present(uint16_t port) {
  outb(port + 7, 0x5a);              // scratch register: reads back only if the UART exists
  return inb(port + 7) == 0x5a;
}

void serial_init(void) {
  uart_init(COM1);
  if (uart_present(COM2)) uart_init(COM2), err_port = COM2;
}

static void uart_put(uint16_t port, char c) {
  while (!(inb(port + 5) & 0x20)) __asm__ volatile("pause");  // transmit holding register empty
  outb(port, (uint8_t)c);
}

static void uart_write_to(uint16_t port, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\n' && serial_crlf) uart_put(port, '\r');
    uart_put(port, s[i]);
  }
}
static void uart_write(const char *s, size_t n) { uart_write_to(err_port, s, n); }

static uint16_t port_of(int stream) { return stream ? err_port : COM1; }

void stdout_ring_init(void) {
  if (!opt_stdoutring) return;
  out_ring = kalloc(SO_DATA + STDOUT_RING_SIZE, 4096);
  memset(out_ring, 0, SO_DATA);
  kprintf("aam: stdout ring at 0x%lx\n", (uint64_t)(uintptr_t)out_ring);   // step 1
}

static void ring_put(const char *s, size_t n) {                          // step 2, under console_lock
  uint32_t *headp = (uint32_t *)(out_ring + SO_HEAD), *tailp = (uint32_t *)(out_ring + SO_TAIL);
  uint32_t head = *headp;
  uint64_t t0 = clock_ns();
  while (n) {
    uint32_t room = STDOUT_RING_SIZE - (head - __atomic_load_n(tailp, __ATOMIC_ACQUIRE));
    if (!room) {
      if (clock_ns() - t0 < 200000) pause(); else halt_ns(200000);
      continue;
    }
    uint32_t at = head & (STDOUT_RING_SIZE - 1), k = STDOUT_RING_SIZE - at;
    if (k > room) k = room;
    if (k > n) k = (uint32_t)n;
    memcpy(out_ring + SO_DATA + at, s, k);
    head += k, s += k, n -= k;
    __atomic_store_n(headp, head, __ATOMIC_RELEASE);
    t0 = clock_ns();
  }
}

static void stream_write(int stream, const char *s, size_t n) {
  if (!stream && out_ring) ring_put(s, n);
  else uart_write_to(port_of(stream), s, n);
}

static void flush_line(uint32_t core, int stream) {
  spin_lock(&console_lock);
  stream_write(stream, lines[core][stream].buf, lines[core][stream].len);
  spin_unlock(&console_lock);
  lines[core][stream].len = 0;
}

void console_write(uint32_t core, int fd, const char *s, size_t n) {
  int st = fd == 2;
  for (size_t i = 0; i < n; i++) {
    lines[core][st].buf[lines[core][st].len++] = s[i];
    if (s[i] == '\n' || lines[core][st].len == LINE_MAX) flush_line(core, st);
  }
}

// At exit: print every core's unfinished line; on the stream that kernel messages share it gets a
// newline, stdout on COM1 stays the bytes the program wrote (as on Node). A core that holds the lock forever (it faulted while
// printing) must not stop the exit, so after ~100 ms of trying we print without the lock.
void console_flush_all(void) {
  int locked = 0;
  for (uint32_t spins = 0; spins < 1000000 && !(locked = spin_trylock(&console_lock)); spins++) pause();
  for (uint32_t c = 0; c < MAX_CORES; c++)
    for (int st = 0; st < 2; st++)
      if (lines[c][st].len) {
        stream_write(st, lines[c][st].buf, lines[c][st].len);
        if (st || (!out_ring && err_port == COM1)) uart_write_to(port_of(st), "\n", 1);  // kernel lines follow there
        lines[c][st].len = 0;
      }
  if (locked) spin_unlock(&console_lock);
}

// ---- kprintf: %s %c %d %u %x %p, with l/ll and a zero-padded width ----

struct out { char *p, *end; };
static void put(struct out *o, char c) { if (o->p < o->end) *o->p++ = c; }

static void put_num(struct out *o, uint64_t v, unsigned base, int width, char pad, int neg) {
  char tmp[24];
  int n = 0;
  do { tmp[n++] = "0123456789abcdef"[v % base]; v /= base; } while (v);
  if (neg) tmp[n++] = '-';
  while (width-- > n) put(o, pad);
  while (n) put(o, tmp[--n]);
}

int ksnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
  struct out o = {buf, buf + size - 1};
  for (; *fmt; fmt++) {
    if (*fmt != '%') { put(&o, *fmt); continue; }
    char pad = ' ';
    int width = 0, lng = 0;
    if (*++fmt == '0') pad = '0', fmt++;
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    while (*fmt == 'l') lng++, fmt++;
    switch (*fmt) {
      case 's': { const char *s = va_arg(ap, const char *); while (s && *s) put(&o, *s++); break; }
      case 'c': put(&o, (char)va_arg(ap, int)); break;
      case 'd': {
        int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
        put_num(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad, v < 0);
        break;
      }
      case 'u': put_num(&o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width, pad, 0); break;
      case 'x': put_num(&o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad, 0); break;
      case 'p': put(&o, '0'); put(&o, 'x'); put_num(&o, (uint64_t)va_arg(ap, void *), 16, 0, ' ', 0); break;
      case '%': put(&o, '%'); break;
      default: put(&o, '?'); break;
    }
  }
  *o.p = 0;
  return (int)(o.p - buf);
}

int kformat(char *buf, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = ksnprintf(buf, n, fmt, ap);
  va_end(ap);
  return r;
}

void kprintf(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = ksnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  spin_lock(&console_lock);
  uart_write(buf, (size_t)n);
  spin_unlock(&console_lock);
}
