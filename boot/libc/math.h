// math.h: the functions wasm2c's code calls (floor, ceil, trunc, nearbyint, sqrt, fabs and the
// float versions) and the classification macros it uses. Implemented in libc.c without SSE4.1,
// which the default QEMU CPU model lacks.
#pragma once
#define NAN __builtin_nanf("")
#define INFINITY __builtin_inff()
#define isnan(x) __builtin_isnan(x)
#define isinf(x) __builtin_isinf(x)
#define signbit(x) __builtin_signbit(x)
double floor(double), ceil(double), trunc(double), nearbyint(double), rint(double), sqrt(double), fabs(double);
float floorf(float), ceilf(float), truncf(float), nearbyintf(float), rintf(float), sqrtf(float), fabsf(float);
double copysign(double, double);
float copysignf(float, float);
