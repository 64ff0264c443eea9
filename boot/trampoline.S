// trampoline.S: where an AP starts after SIPI: 16-bit real mode at TRAMP_BASE, straight to long mode.
//
// Owns: the AP's path to C: GDT copy, CR4/CR3/EFER/CR0 as entry.S sets them, a stack, ap_main(ticket).
// Not: choosing stacks or core ids (smp.c fills ap_stack_base; main.c maps the LAPIC id to a core).
// smp.c copies [trampoline_start, trampoline_end) to TRAMP_BASE, so code and data here are addressed
// as TRAMP_BASE + (label - trampoline_start); kernel symbols are reached by absolute address (never
// %rip-relative: this code does not run where it was linked).

#define TRAMP_BASE 0x8000            // = smp.c; SIPI vector 0x08
#define REL(x) (x - trampoline_start)
#define ABS(x) (TRAMP_BASE + x - trampoline_start)

        .section .text
        .globl trampoline_start, trampoline_end
        .code16
trampoline_start:
        cli
        cld
        mov %cs, %ax                 // cs = TRAMP_BASE >> 4
        mov %ax, %ds
        lgdtl REL(tgdt_ptr)
        mov %cr4, %eax
        or $((1 << 5) + (1 << 9) + (1 << 10)), %eax   // PAE, OSFXSR, OSXMMEXCPT
        mov %eax, %cr4
        mov $pml4, %eax
        mov %eax, %cr3
        mov $0xc0000080, %ecx        // EFER.LME
        rdmsr
        or $(1 << 8), %eax
        wrmsr
        mov %cr0, %eax               // PE + PG at once: real mode to long mode in one step
        and $~(1 << 2), %eax         // EM off
        or $((1 << 0) + (1 << 1) + (1 << 31)), %eax   // PE, MP, PG
        mov %eax, %cr0
        ljmpl $0x08, $ABS(tramp64)

        .code64
tramp64:
        mov $0x10, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %ss
        xor %eax, %eax
        mov %ax, %fs
        mov %ax, %gs
        mov $1, %eax
        lock xadd %eax, ap_ticket    // my ticket: 0, 1, 2 ... in order of arrival
        mov %eax, %edi
        lea 1(%rax), %rcx
        imul $(256 * 1024), %rcx     // STACK_SIZE
        add ap_stack_base, %rcx
        mov %rcx, %rsp
        xor %ebp, %ebp
        movabs $ap_main, %rax
        call *%rax
1:      cli
        hlt
        jmp 1b

        .align 16
tgdt:   .quad 0
        .quad 0x00af9a000000ffff     // 0x08 64-bit code
        .quad 0x00cf92000000ffff     // 0x10 data
tgdt_ptr:
        .word tgdt_ptr - tgdt - 1
        .long ABS(tgdt)
trampoline_end:

        .section .data
        .align 8
        .globl ap_ticket, ap_stack_base
ap_ticket:      .long 0
        .align 8
ap_stack_base:  .quad 0
        .section .note.GNU-stack,"",@progbits
