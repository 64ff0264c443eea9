// jmp.h: setjmp/longjmp for the kernel (jmp.S); wasm traps unwind through them to the core's entry loop.
//
// Owns: the jmp_buf layout (rbx, rbp, r12-r15, rsp, rip). Not: signal masks or FP state (none here).
#pragma once
typedef unsigned long jmp_buf[8];
int k_setjmp(jmp_buf env) __attribute__((returns_twice));
void __attribute__((noreturn)) k_longjmp(jmp_buf env, int val);
