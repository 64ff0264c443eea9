/* aam_foreign.h: what the C glue of a foreign machine (aams/NAME/NAME_glue.c) may use.
 *
 * Owns: the calling convention between the runtime's foreign dispatch
 * (runtime/service/foreign.ts) and a foreign module's task functions. Not: the transport or the
 * checks (the kernel did them before the record reached this memory).
 *
 * A task `T` of machine `M` (its IDL) is the export `M_T`:
 *     AAM_TASK(M_T) int M_T(struct M_T_request *req)
 * `req` is the call record copied into this module's memory: the request's fields, with every
 * pointer parameter pointing to a copy of the caller's bytes in this memory (out buffers zeroed),
 * then the result at AAM_RESULT(req, type). Return 0, and the result and every out buffer go
 * back to the caller; return aam_fail("…") and the call fails with that message (the machine
 * goes on). A trap ends the machine (docs/ARCHITECTURE.md "Foreign machines").
 */
#ifndef AAM_FOREIGN_H
#define AAM_FOREIGN_H
#include <stddef.h>

#define AAM_TASK(name) __attribute__((export_name(#name)))
/* The result of a call record: after the request, aligned to the result's type. */
#define AAM_RESULT(req, T) ((T *)((char *)(req) + ((sizeof *(req) + _Alignof(T) - 1) & ~(_Alignof(T) - 1))))

/* Fail the running call with a message (printf format); returns 1 for `return aam_fail(...)`. */
int aam_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
