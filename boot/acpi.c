// acpi.c: how many cores there are and their LAPIC ids, and where the IOAPICs are, from the ACPI
// MADT.
//
// Owns: finding the RSDP (from PVH's start info, else the BIOS area scan), walking the RSDT/XSDT,
// filling cpus[].apic_id and ncpus with the boot core first, and ioapics[] (address, first GSI)
// for device interrupts (virtio.c). Not: any other ACPI table.
// The MADT lists the cores that `-smp N` created; entries marked neither enabled nor online-capable
// are skipped.
#include <string.h>

#include "kernel.h"

struct rsdp { char sig[8]; uint8_t sum; char oem[6]; uint8_t rev; uint32_t rsdt; uint32_t len; uint64_t xsdt; } __attribute__((packed));
struct sdt { char sig[4]; uint32_t len; uint8_t rev, sum; char oem[6], oem_table[8]; uint32_t oem_rev, creator, creator_rev; } __attribute__((packed));
struct madt { struct sdt h; uint32_t lapic_addr, flags; uint8_t entries[]; } __attribute__((packed));

struct cpu cpus[MAX_CORES];
uint32_t ncpus;
struct ioapic ioapics[MAX_IOAPICS];
uint32_t nioapics;

static const struct rsdp *find_rsdp(void) {
  if (boot_rsdp()) return (const struct rsdp *)(uintptr_t)boot_rsdp();
  for (uintptr_t p = 0xe0000; p < 0x100000; p += 16)
    if (!memcmp((const void *)p, "RSD PTR ", 8)) return (const struct rsdp *)p;
  return 0;
}

static const struct madt *find_madt(const struct rsdp *r) {
  int wide = r->rev >= 2 && r->xsdt;
  const struct sdt *root = (const struct sdt *)(uintptr_t)(wide ? r->xsdt : r->rsdt);
  uint32_t n = (root->len - sizeof *root) / (wide ? 8 : 4);
  const uint8_t *ptrs = (const uint8_t *)(root + 1);
  for (uint32_t i = 0; i < n; i++) {
    uint64_t a = 0;
    memcpy(&a, ptrs + i * (wide ? 8 : 4), wide ? 8 : 4);
    const struct sdt *t = (const struct sdt *)(uintptr_t)a;
    if (!memcmp(t->sig, "APIC", 4)) return (const struct madt *)t;
  }
  return 0;
}

static void add_cpu(uint32_t apic_id) {
  if (ncpus == MAX_CORES) {
    kprintf("acpi: more than %u cores, ignoring LAPIC %u\n", MAX_CORES, apic_id);
    return;
  }
  cpus[ncpus++].apic_id = apic_id;
}

void acpi_init(void) {
  const struct rsdp *r = find_rsdp();
  const struct madt *m = r ? find_madt(r) : 0;
  uint32_t self = lapic_id();
  ncpus = 0;
  add_cpu(self);                     // the boot core is core 0
  if (!m) {
    kprintf("acpi: no MADT, running on the boot core only\n");
    return;
  }
  for (const uint8_t *e = m->entries; e < (const uint8_t *)m + m->h.len; e += e[1]) {
    if (e[1] < 2) break;
    uint32_t id, flags;
    if (e[0] == 0) {                 // processor local APIC: acpi id, apic id, flags
      id = e[3];
      memcpy(&flags, e + 4, 4);
    } else if (e[0] == 9) {          // processor local x2APIC: reserved, x2apic id, flags, uid
      memcpy(&id, e + 4, 4);
      memcpy(&flags, e + 8, 4);
    } else if (e[0] == 1 && nioapics < MAX_IOAPICS) {   // I/O APIC: id, reserved, address, GSI base
      memcpy(&ioapics[nioapics].addr, e + 4, 4);
      memcpy(&ioapics[nioapics].gsi_base, e + 8, 4);
      nioapics++;
      continue;
    } else {
      continue;
    }
    if ((flags & 3) && id != self) add_cpu(id);
  }
}
