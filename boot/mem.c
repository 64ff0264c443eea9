// mem.c: physical memory: what PVH tells us (RAM map, command line, RSDP) and a bump allocator.
//
// Owns: the boot information (struct hvm_start_info), the allocation of everything that is made once
// and never freed (AP stacks, wasm tables and instances, the wasm linear memory).
// Not: paging (entry.S maps the low 4 GiB once, identity) or any free().
//
// Physical layout after boot:
//   0x8000     AP trampoline (smp.c copies it there)
//   1 MiB      kernel image (text, data, bss with the page tables and the boot core's stack)
//   _end       kalloc: AP stacks, wasm tables, instance records ...   (grows up)
//   ...        the wasm linear memory: one 2 MiB-aligned block, handed out by wasm-rt.c
//   mem_top    end of the RAM block that holds the kernel
#include "kernel.h"
#include "spinlock.h"

struct hvm_start_info {
  uint32_t magic;                    // 0x336ec578
  uint32_t version;
  uint32_t flags;
  uint32_t nr_modules;
  uint64_t modlist_paddr;
  uint64_t cmdline_paddr;
  uint64_t rsdp_paddr;
  uint64_t memmap_paddr;             // version >= 1
  uint32_t memmap_entries;
  uint32_t reserved;
};
struct hvm_memmap_entry { uint64_t addr, size; uint32_t type, reserved; };
#define HVM_START_MAGIC 0x336ec578
#define E820_RAM 1

extern char _end[];
static spinlock_t brk_lock;          // guards brk
static uint64_t brk, top;
static const char *cmdline = "";
static uint64_t rsdp;

void mem_init(uint32_t start_info) {
  const struct hvm_start_info *si = (const void *)(uintptr_t)start_info;
  brk = (uint64_t)(uintptr_t)_end;
  if (si->magic != HVM_START_MAGIC) panic("mem_init: no PVH start info (magic %x)", si->magic);
  if (si->cmdline_paddr) cmdline = (const char *)(uintptr_t)si->cmdline_paddr;
  rsdp = si->rsdp_paddr;
  // The RAM block that holds the kernel; stop at 4 GiB, the end of the identity map.
  if (si->version >= 1 && si->memmap_paddr) {
    const struct hvm_memmap_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
    for (uint32_t i = 0; i < si->memmap_entries; i++)
      if (e[i].type == E820_RAM && e[i].addr <= brk && brk < e[i].addr + e[i].size) top = e[i].addr + e[i].size;
  }
  if (top > (4ull << 30)) top = 4ull << 30;
  if (!top) panic("mem_init: no RAM map in the PVH start info");
}

void *kalloc(uint64_t size, uint64_t align) {
  spin_lock(&brk_lock);
  uint64_t p = (brk + align - 1) & ~(align - 1);
  if (p + size > top) panic("kalloc: out of memory (%lu bytes wanted, %lu left)", size, top - brk);
  brk = p + size;
  spin_unlock(&brk_lock);
  return (void *)(uintptr_t)p;
}

uint64_t mem_top(void) { return top; }
uint64_t mem_brk(void) { return brk; }
const char *boot_cmdline(void) { return cmdline; }
uint64_t boot_rsdp(void) { return rsdp; }
