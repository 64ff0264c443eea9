// string.h: the part of <string.h> the kernel and wasm2c's code use (libc.c). Freestanding: no libc.
#pragma once
#include <stddef.h>
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
