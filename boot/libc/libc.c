// libc.c: the few C library functions a freestanding kernel plus wasm2c's code need.
//
// Owns: mem*, strlen, and the rounding functions of math.h. Not: anything with global state.
// Rounding uses the 2^52 trick (adding and subtracting 2^52 rounds to an integer in the current
// rounding mode, round-to-nearest-even); floor/ceil/trunc correct that result by one where needed.
#include <math.h>
#include <stdint.h>
#include <string.h>

void *memcpy(void *restrict d, const void *restrict s, size_t n) {
  void *r = d;
  __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n)::"memory");
  return r;
}
void *memmove(void *d, const void *s, size_t n) {
  unsigned char *dp = d;
  const unsigned char *sp = s;
  if (dp <= sp || dp >= sp + n) return memcpy(d, s, n);
  unsigned char *de = dp + n - 1;         // overlap with d above s: copy backwards
  const unsigned char *se = sp + n - 1;
  __asm__ volatile("std; rep movsb; cld" : "+D"(de), "+S"(se), "+c"(n)::"memory");
  return d;
}
void *memset(void *d, int c, size_t n) {
  void *r = d;
  __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
  return r;
}
int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i]) return x[i] - y[i];
  return 0;
}
size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

double fabs(double x) { return __builtin_fabs(x); }
float fabsf(float x) { return __builtin_fabsf(x); }
double copysign(double x, double y) { return __builtin_copysign(x, y); }
float copysignf(float x, float y) { return __builtin_copysignf(x, y); }
double sqrt(double x) { __asm__("sqrtsd %1, %0" : "=x"(x) : "x"(x)); return x; }
float sqrtf(float x) { __asm__("sqrtss %1, %0" : "=x"(x) : "x"(x)); return x; }

double rint(double x) {
  const double big = 4503599627370496.0;  // 2^52: from here on every double is an integer
  volatile double t;                      // volatile: the compiler must not fold (x+big)-big to x
  if (!(__builtin_fabs(x) < big)) return x;  // also NaN and infinities
  t = __builtin_fabs(x) + big;
  return copysign(t - big, x);            // copysign keeps -0.0 for -0.4
}
float rintf(float x) {
  const float big = 8388608.0f;           // 2^23
  volatile float t;
  if (!(__builtin_fabsf(x) < big)) return x;
  t = __builtin_fabsf(x) + big;
  return copysignf(t - big, x);
}
double nearbyint(double x) { return rint(x); }
float nearbyintf(float x) { return rintf(x); }
double floor(double x) { double r = rint(x); return r > x ? r - 1.0 : r; }
float floorf(float x) { float r = rintf(x); return r > x ? r - 1.0f : r; }
double ceil(double x) { double r = rint(x); return r < x ? copysign(r + 1.0, x) : r; }
float ceilf(float x) { float r = rintf(x); return r < x ? copysignf(r + 1.0f, x) : r; }
double trunc(double x) { return x < 0 ? ceil(x) : floor(x); }
float truncf(float x) { return x < 0 ? ceilf(x) : floorf(x); }
