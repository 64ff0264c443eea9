// assert.h: wasm2c's generated code asserts a few things; a failed assert stops the machine.
#pragma once
void __attribute__((noreturn)) panic(const char *fmt, ...);
#define assert(x) ((x) ? (void)0 : panic("assertion failed: %s (%s:%d)", #x, __FILE__, __LINE__))
