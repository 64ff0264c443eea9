/* zlib_glue.c: the tasks of the zlib machine (zlib.idl) over the real zlib 1.3.1, compiled to wasm32
 * with its own memory (foreign.json; tools/build/foreign.ts builds it).
 *
 * Owns: the stream table (handles 1..ZLIB_MAX_STREAMS), the mapping of formats and levels onto
 * zlib's window bits, the count of bytes zlib holds (its allocator goes through count_alloc), and
 * turning zlib's errors into failed calls with zlib's own messages. Not: zlib (unpatched sources
 * from the pinned package), copying or checking arguments (the kernel did that).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "zlib.h"
#include "aam_foreign.h"
#include "zlib_igen.h"

struct stream { z_stream z; int mode; int ended; };
static struct stream *streams[ZLIB_MAX_STREAMS + 1];   /* [0] unused: handles start at 1 */
static uint32_t open_streams, held_bytes;

/* zlib's allocator: a size word in front of each block, so that frees can be counted. */
static voidpf count_alloc(voidpf opaque, uInt items, uInt size) {
  (void)opaque;
  uint64_t n = (uint64_t)items * size;
  if (n > 0x7fffffff) return Z_NULL;
  uint32_t *p = malloc((size_t)n + 8);
  if (!p) return Z_NULL;
  p[0] = (uint32_t)n;
  held_bytes += (uint32_t)n;
  return p + 2;
}
static void count_free(voidpf opaque, voidpf q) {
  (void)opaque;
  uint32_t *p = (uint32_t *)q - 2;
  held_bytes -= p[0];
  free(p);
}

static int window_bits(int format, int mode) {
  switch (format) {
    case ZLIB_FORMAT_ZLIB: return 15;
    case ZLIB_FORMAT_GZIP: return 15 + 16;
    case ZLIB_FORMAT_RAW: return -15;
  }
  (void)mode;
  return 0;
}

static const char *format_name(int format) {
  return format == ZLIB_FORMAT_ZLIB ? "zlib" : format == ZLIB_FORMAT_GZIP ? "gzip" : "raw";
}

static struct stream *find(int32_t h) {
  return h >= 1 && h <= ZLIB_MAX_STREAMS ? streams[h] : NULL;
}

AAM_TASK(zlib_open) int zlib_open(struct zlib_open_request *r) {
  int wb = window_bits(r->format, r->mode);
  if (r->mode != ZLIB_DEFLATE && r->mode != ZLIB_INFLATE) return aam_fail("mode %d is neither deflate (0) nor inflate (1)", (int)r->mode);
  if (!wb) return aam_fail("format %d is not zlib (0), gzip (1) or raw (2)", (int)r->format);
  if (r->mode == ZLIB_DEFLATE && (r->level < -1 || r->level > 9)) return aam_fail("level %d: zlib takes -1 (default) or 0..9", (int)r->level);
  int h = 1;
  while (h <= ZLIB_MAX_STREAMS && streams[h]) h++;
  if (h > ZLIB_MAX_STREAMS) return aam_fail("too many open streams (%d)", ZLIB_MAX_STREAMS);
  struct stream *s = count_alloc(NULL, 1, sizeof *s);
  if (!s) return aam_fail("insufficient memory");
  memset(s, 0, sizeof *s);
  s->z.zalloc = count_alloc;
  s->z.zfree = count_free;
  s->mode = r->mode;
  int ret = r->mode == ZLIB_DEFLATE ? deflateInit2(&s->z, r->level, Z_DEFLATED, wb, 8, Z_DEFAULT_STRATEGY)
                                    : inflateInit2(&s->z, wb);
  if (ret != Z_OK) {
    const char *m = s->z.msg ? s->z.msg : zError(ret);
    count_free(NULL, s);
    return aam_fail("%s %s: %s", r->mode == ZLIB_DEFLATE ? "deflateInit2" : "inflateInit2", format_name(r->format), m);
  }
  streams[h] = s;
  open_streams++;
  *AAM_RESULT(r, int32_t) = h;
  return 0;
}

AAM_TASK(zlib_push) int zlib_push(struct zlib_push_request *r) {
  struct stream *s = find(r->stream);
  if (!s) return aam_fail("no open stream %d", (int)r->stream);
  if (r->flush != ZLIB_NO_FLUSH && r->flush != ZLIB_SYNC_FLUSH && r->flush != ZLIB_FINISH) return aam_fail("flush %d is not 0, 2 or 4", (int)r->flush);
  s->z.next_in = (Bytef *)r->src;
  s->z.avail_in = r->n;
  s->z.next_out = r->dst;
  s->z.avail_out = r->cap;
  int ret;
  if (s->mode == ZLIB_DEFLATE) ret = deflate(&s->z, r->flush);
  else {
    ret = s->ended ? (r->n ? Z_DATA_ERROR : Z_STREAM_END) : inflate(&s->z, r->flush == ZLIB_FINISH ? Z_NO_FLUSH : r->flush);
    if (s->ended && r->n) { s->z.msg = "trailing data after the end of the stream"; }
    if (ret == Z_STREAM_END) s->ended = 1;
    /* inflate's own name for input that stops before the stream's end: Z_BUF_ERROR with every byte
       taken and room left; it has no message for it, so the glue gives one. */
    if (r->flush == ZLIB_FINISH && !s->ended && s->z.avail_in == 0 && s->z.avail_out > 0 && (ret == Z_BUF_ERROR || ret == Z_OK))
      return aam_fail("inflate: unexpected end of input (the %s stream is truncated)", "compressed");
  }
  r->progress->consumed = r->n - s->z.avail_in;
  r->progress->produced = r->cap - s->z.avail_out;
  if (ret == Z_NEED_DICT) return aam_fail("inflate: a preset dictionary is needed");
  if (ret == Z_DATA_ERROR || ret == Z_STREAM_ERROR || ret == Z_MEM_ERROR) {
    const char *m = s->z.msg ? s->z.msg : zError(ret);
    return aam_fail("%s: %s", s->mode == ZLIB_DEFLATE ? "deflate" : "inflate", m);
  }
  *AAM_RESULT(r, int32_t) = ret;
  return 0;
}

AAM_TASK(zlib_close) int zlib_close(struct zlib_close_request *r) {
  struct stream *s = find(r->stream);
  if (!s) return aam_fail("no open stream %d", (int)r->stream);
  if (s->mode == ZLIB_DEFLATE) deflateEnd(&s->z);
  else inflateEnd(&s->z);
  streams[r->stream] = NULL;
  count_free(NULL, s);
  open_streams--;
  *AAM_RESULT(r, int32_t) = 0;
  return 0;
}

AAM_TASK(zlib_counts) int zlib_counts(struct zlib_counts_request *r) {
  r->counts->streams = open_streams;
  r->counts->bytes = held_bytes;
  *AAM_RESULT(r, int32_t) = 0;
  return 0;
}

/* A bug inside the library, on purpose: how 1 writes far past the memory (out of bounds), 2
   executes unreachable, 3 calls through a null function pointer. */
AAM_TASK(zlib_crash) int zlib_crash(struct zlib_crash_request *r) {
  void (*volatile nowhere)(void) = 0;
  if (r->how == 1) *(volatile uint32_t *)(uintptr_t)0xfffffff0u = 1;
  if (r->how == 2) __builtin_trap();
  if (r->how == 3) nowhere();
  return 0;
}
