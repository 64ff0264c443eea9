// vectors.S: the 256 interrupt entry stubs and the common path into trap_dispatch (trap.c).
//
// Each stub pushes an error code (0 where the CPU pushes none) and its vector, then the common path
// saves every general register, calls trap_dispatch(struct trapframe *) and returns with iretq.
// FP/SSE state is not saved: interrupts are enabled only inside park's hlt (no FP state live), and
// exceptions never return.
        .text
        .globl vector_table
        .altmacro

.macro stub n
        .align 16
vector\n:
.if (\n == 8) || (\n >= 10 && \n <= 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
.else
        pushq $0
.endif
        pushq $\n
        jmp trap_common
.endm

        .set i, 0
.rept 256
        stub %i
        .set i, i + 1
.endr

trap_common:
        push %rax
        push %rbx
        push %rcx
        push %rdx
        push %rsi
        push %rdi
        push %rbp
        push %r8
        push %r9
        push %r10
        push %r11
        push %r12
        push %r13
        push %r14
        push %r15
        mov %rsp, %rdi
        cld
        call trap_dispatch
        pop %r15
        pop %r14
        pop %r13
        pop %r12
        pop %r11
        pop %r10
        pop %r9
        pop %r8
        pop %rbp
        pop %rdi
        pop %rsi
        pop %rdx
        pop %rcx
        pop %rbx
        pop %rax
        add $16, %rsp                // vector and error code
        iretq

.macro addr n
        .quad vector\n
.endm
        .section .rodata
        .align 8
vector_table:
        .set i, 0
.rept 256
        addr %i
        .set i, i + 1
.endr
        .section .note.GNU-stack,"",@progbits
