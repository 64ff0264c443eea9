// entry.S: the boot core's path from the PVH entry (32-bit protected mode, paging off) to kmain in long mode.
//
// Owns: the PVH ELF note, the page tables (identity map of the low 4 GiB in 2 MiB pages), the GDT,
// and the boot core's stack. The APs reuse the page tables and the GDT (trampoline.S).
// Not: the IDT (trap.c), the AP start (trampoline.S, smp.c).
//
// PVH contract (Xen's hvm_start_info ABI, which QEMU follows for `-kernel` with this note): entry in
// 32-bit flat protected mode, paging off, %ebx = physical address of struct hvm_start_info.
// GDTR, IDTR and segment registers other than cs/ds/es/ss are undefined, so we load our own first.

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PWT 0x8
#define PTE_PCD 0x10
#define PTE_PS 0x80

        .section .note.pvh, "a", @note
        .align 4
        .long 4                      // name size ("Xen\0")
        .long 4                      // descriptor size
        .long XEN_ELFNOTE_PHYS32_ENTRY
        .asciz "Xen"
        .long pvh_start

        .section .text.entry, "ax"
        .code32
        .globl pvh_start
pvh_start:
        cli
        cld
        mov %ebx, %esi               // keep the start_info address across the setup

        lgdt gdt_ptr
        mov $0x10, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %ss

        // Zero .bss (our page tables and stack live there).
        mov $__bss_start, %edi
        mov $__bss_end, %ecx
        sub %edi, %ecx
        xor %eax, %eax
        rep stosb

        // PML4[0] -> PDPT; PDPT[i] -> PD i (i = 0..3); PD i maps [i GiB, i+1 GiB) in 2 MiB pages.
        // The last GiB holds the LAPIC, IOAPIC and virtio-mmio windows: uncached.
        movl $(pdpt + PTE_P + PTE_W), pml4
        mov $0, %ecx
1:      mov %ecx, %eax
        shl $12, %eax
        add $(pd + PTE_P + PTE_W), %eax
        mov %eax, pdpt(,%ecx,8)
        inc %ecx
        cmp $4, %ecx
        jne 1b
        mov $0, %ecx                 // entry index 0 .. 2047 over the four PDs
2:      mov %ecx, %eax
        shl $21, %eax                // low 32 bits of the 2 MiB frame address
        mov %ecx, %edx
        shr $11, %edx                // bits 32+ (0 below 4 GiB)
        or $(PTE_P + PTE_W + PTE_PS), %eax
        cmp $1536, %ecx
        jb 3f
        or $(PTE_PCD + PTE_PWT), %eax
3:      mov %eax, pd(,%ecx,8)
        mov %edx, pd+4(,%ecx,8)
        inc %ecx
        cmp $2048, %ecx
        jne 2b

        // Long mode: PAE + SSE in CR4, CR3, EFER.LME, then paging. SSE because wasm2c's code uses it.
        mov %cr4, %eax
        or $(CR4_PAE + CR4_OSFXSR + CR4_OSXMMEXCPT), %eax
        mov %eax, %cr4
        mov $pml4, %eax
        mov %eax, %cr3
        mov $MSR_EFER, %ecx
        rdmsr
        or $EFER_LME, %eax
        wrmsr
        mov %cr0, %eax
        and $~CR0_EM, %eax
        or $(CR0_PE + CR0_MP + CR0_PG), %eax
        mov %eax, %cr0
        ljmp $0x08, $long_mode

        .code64
long_mode:
        mov $0x10, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %ss
        xor %eax, %eax
        mov %ax, %fs
        mov %ax, %gs
        lea boot_stack_top(%rip), %rsp
        mov %esi, %edi               // kmain(start_info), zero-extended
        xor %ebp, %ebp
        call kmain
        cli
4:      hlt
        jmp 4b

        // GDT: null, 0x08 64-bit code, 0x10 flat data. The APs load the copy in trampoline.S.
        .section .data
        .align 16
        .globl gdt, gdt_ptr
gdt:    .quad 0
        .quad 0x00af9a000000ffff
        .quad 0x00cf92000000ffff
gdt_end:
gdt_ptr:
        .word gdt_end - gdt - 1
        .quad gdt                    // read as 32-bit base by the 32-bit lgdt, 64-bit later

        .section .bss
        .align 4096
        .globl pml4
pml4:   .space 4096
pdpt:   .space 4096
pd:     .space 4 * 4096
        .align 16
        .globl boot_stack_top
boot_stack:
        .space 256 * 1024            // = STACK_SIZE in kernel.h
boot_stack_top:
        .section .note.GNU-stack,"",@progbits
