// virtio.c: the platform's device imports on bare metal (runtime/rt/platform.ts: dev_find,
// dev_read, dev_write, dev_addr, dev_route) over QEMU microvm's virtio-mmio slots, and the
// interrupt path from a device to the image.
//
// Owns: finding the devices (the 24 virtio-mmio slots at VIRTIO_MMIO_BASE + VIRTIO_REGS_SIZE × i,
// which microvm fills from slot 23 downwards in command-line order: handle 0 is the first device
// on the command line), register access (32-bit MMIO; the low 4 GiB are identity-mapped by
// entry.S), the bus address of image memory (identity: the wasm memory's own address), the IOAPIC
// redirection entry of each device's GSI, and the interrupt handler. Not: the driver (the image:
// runtime/dev/virtio.ts), what the image does with an interrupt (runtime/machine/irq.ts).
//
// Interrupt path (docs/ARCHITECTURE.md "Devices"):
//  1. dev_route(d, core) points the IOAPIC entry of d's GSI at core's LAPIC, vector
//     VEC_DEV_BASE + d, edge-triggered. Edge and not level: the image acknowledges the device
//     (INTERRUPT_ACK) later, between tasks; a level entry would fire again at every EOI until then,
//     or would have to be masked here and unmasked by the image. QEMU's IOAPIC raises an edge
//     for every completion the device signals, even while its line stays high.
//  2. The device completes; the interrupt reaches that core the next time it enables interrupts
//     (inside park's hlt: a busy core takes it when it next idles).
//  3. dev_interrupt, on that core: bit d of its FC_IRQ_PENDING (atomic or), a wake token for
//     itself (park returns), EOI (trap.c).
//  4. The image's core loop takes the bit between tasks and signals the device's machine.
// The IOAPIC's index/data pair is shared by every core: ioapic_lock serialises it.
#include "image.h"
#include "platform.h"
#include "spinlock.h"
#include "x86.h"

#define VIRTIO_MMIO_BASE 0xfeb00000ull
#define VIRTIO_SLOTS 24
#define IOAPIC_SEL 0x00
#define IOAPIC_WIN 0x10
#define IOAPIC_REDTBL 0x10            // entry n: low word at 0x10 + 2n, high word at 0x11 + 2n
#define MAGIC 0x74726976u             // "virt"

extern wasm_rt_shared_memory_t *host_memory;

static spinlock_t find_lock, ioapic_lock;
static uint32_t found;                // 0 until the slots were scanned; then 1
static uint32_t ndevs;
static volatile uint32_t *regs[VIRTIO_MAX_DEVICES];
static uint32_t slot_of[VIRTIO_MAX_DEVICES];

static inline uint32_t mmio_read(volatile uint32_t *base, uint32_t off) { return base[off / 4]; }
static inline void mmio_write(volatile uint32_t *base, uint32_t off, uint32_t v) { base[off / 4] = v; }

// The slots from 23 down, once: a version-2 device with a non-zero id gets the next handle.
static void scan(void) {
  spin_lock(&find_lock);
  if (!found) {
    for (int i = VIRTIO_SLOTS - 1; i >= 0 && ndevs < VIRTIO_MAX_DEVICES; i--) {
      volatile uint32_t *b = (volatile uint32_t *)(uintptr_t)(VIRTIO_MMIO_BASE + (uint64_t)i * VIRTIO_REGS_SIZE);
      if (mmio_read(b, VIRTIO_MAGIC) != MAGIC || mmio_read(b, VIRTIO_DEVICE_ID) == 0) continue;
      if (mmio_read(b, VIRTIO_VERSION) != 2) {
        kprintf("aam: virtio-mmio slot %d is a legacy (version %u) device; start QEMU with -global virtio-mmio.force-legacy=false\n",
                i, mmio_read(b, VIRTIO_VERSION));
        continue;
      }
      slot_of[ndevs] = (uint32_t)i;
      regs[ndevs++] = b;
      if (opt_verbose) kprintf("virtio: device %u: slot %d, id %u\n", ndevs - 1, i, mmio_read(b, VIRTIO_DEVICE_ID));
    }
    __atomic_store_n(&found, 1, __ATOMIC_RELEASE);
  }
  spin_unlock(&find_lock);
}

u32 w2c_aam_dev_find(struct w2c_aam *a, u32 kind, u32 index) {
  (void)a;
  if (!__atomic_load_n(&found, __ATOMIC_ACQUIRE)) scan();
  uint32_t k = 0;
  for (uint32_t d = 0; d < ndevs; d++)
    if (mmio_read(regs[d], VIRTIO_DEVICE_ID) == kind && k++ == index) return d;
  return (u32)-1;
}

static int valid(u32 dev, u32 reg) {
  return __atomic_load_n(&found, __ATOMIC_ACQUIRE) && dev < ndevs && reg < VIRTIO_REGS_SIZE && (reg & 3) == 0;
}

u32 w2c_aam_dev_read(struct w2c_aam *a, u32 dev, u32 reg) {
  (void)a;
  return valid(dev, reg) ? mmio_read(regs[dev], reg) : 0;
}

void w2c_aam_dev_write(struct w2c_aam *a, u32 dev, u32 reg, u32 value) {
  (void)a;
  if (valid(dev, reg)) mmio_write(regs[dev], reg, value);
}

f64 w2c_aam_dev_addr(struct w2c_aam *a, u32 at) {
  (void)a;
  return (f64)(uintptr_t)(host_memory->data + at);
}

// The GSI of the device in slot i: microvm wires slot i to GSI base + i, the base being the first
// GSI of the second IOAPIC when there is one (24: microvm with ACPI, as aam boot starts it, so
// verified by tests/block), else 16 (not verified: aam boot never starts microvm without it).
static uint32_t gsi_of(uint32_t slot) {
  uint32_t base = 16;
  for (uint32_t i = 0; i < nioapics; i++)
    if (ioapics[i].gsi_base == 24) base = 24;
  return base + slot;
}

static void ioapic_write(uint32_t addr, uint32_t reg, uint32_t v) {
  volatile uint32_t *io = (volatile uint32_t *)(uintptr_t)addr;
  io[IOAPIC_SEL / 4] = reg;
  io[IOAPIC_WIN / 4] = v;
}

// Step 1.
void w2c_aam_dev_route(struct w2c_aam *a, u32 dev, u32 core) {
  (void)a;
  if (!__atomic_load_n(&found, __ATOMIC_ACQUIRE) || dev >= ndevs || core >= ncpus) return;
  uint32_t gsi = gsi_of(slot_of[dev]);
  const struct ioapic *io = 0;
  for (uint32_t i = 0; i < nioapics; i++)
    if (ioapics[i].gsi_base <= gsi && (!io || ioapics[i].gsi_base > io->gsi_base)) io = &ioapics[i];
  if (!io) {
    kprintf("aam: virtio device %u (GSI %u): no IOAPIC serves it; its interrupts are lost\n", dev, gsi);
    return;
  }
  uint32_t pin = gsi - io->gsi_base;
  spin_lock(&ioapic_lock);
  ioapic_write(io->addr, IOAPIC_REDTBL + 2 * pin + 1, cpus[core].apic_id << 24);
  ioapic_write(io->addr, IOAPIC_REDTBL + 2 * pin, VEC_DEV_BASE + dev);   // fixed, physical, edge, high, unmasked
  spin_unlock(&ioapic_lock);
  if (opt_verbose) kprintf("virtio: device %u (slot %u, GSI %u, IOAPIC pin %u) -> core %u\n", dev, slot_of[dev], gsi, pin, core);
}

// Step 3, in trap.c's handler on the core the interrupt reached (interrupts off).
void dev_interrupt(uint32_t dev) {
  struct cpu *c = this_cpu();
  uint64_t addr = CORE_BASE + (uint64_t)c->id * CORE_REC_SIZE + FC_IRQ_PENDING;
  if (host_memory && addr + 4 <= __atomic_load_n(&host_memory->size, __ATOMIC_ACQUIRE))
    __atomic_fetch_or((uint32_t *)(host_memory->data + addr), 1u << dev, __ATOMIC_SEQ_CST);
  __atomic_store_n(&c->token, 1, __ATOMIC_SEQ_CST);
}
