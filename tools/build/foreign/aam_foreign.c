/* aam_foreign.c: the exports every foreign module carries besides its tasks (runtime/service/foreign.ts
 * calls them): memory for call records, and the message of a failed call.
 *
 * Owns: aam_foreign_alloc/free (the module's own malloc: records live in its memory), aam_fail and
 * aam_foreign_error. Not: the tasks (the machine's *_glue.c).
 * Every export takes one i32 and returns one (the hosts call them all the same way).
 * Calls into one module are serialised by the runtime, so one static message buffer is enough.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "aam_foreign.h"

static char message[512];

int aam_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  return 1;
}

__attribute__((export_name("aam_foreign_error"))) const char *aam_foreign_error(int unused) { (void)unused; return message; }
__attribute__((export_name("aam_foreign_alloc"))) void *aam_foreign_alloc(size_t n) { return malloc(n); }
__attribute__((export_name("aam_foreign_free"))) int aam_foreign_free(void *p) { free(p); return 0; }
