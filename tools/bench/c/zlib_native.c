/* zlib_native.c: the native baseline of the zlib machine (tools/bench/zlib.ts): the same zlib
 * 1.3.1 sources as aams/zlib, compiled with gcc -O2, deflating (level 6, zlib format) and
 * inflating the file it is given, in 64 KiB pieces as the machine's client pushes them.
 * Usage: zlib_native FILE ROUNDS; prints one line per round: deflate ns, inflate ns. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "zlib.h"

static double ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: zlib_native FILE ROUNDS\n"); return 2; }
  FILE *f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 1; }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *src = malloc(n), *packed = malloc(compressBound(n)), *back = malloc(n);
  if (fread(src, 1, n, f) != (size_t)n) { fprintf(stderr, "%s: short read\n", argv[1]); return 1; }
  fclose(f);
  for (int r = 0; r < atoi(argv[2]); r++) {
    double t0 = ns();
    z_stream d = {0};
    deflateInit(&d, 6);
    d.next_out = packed;
    d.avail_out = compressBound(n);
    for (long off = 0; off < n; off += 65536) {
      d.next_in = src + off;
      d.avail_in = n - off < 65536 ? n - off : 65536;
      deflate(&d, off + 65536 >= n ? Z_FINISH : Z_NO_FLUSH);
    }
    long plen = d.total_out;
    deflateEnd(&d);
    double t1 = ns();
    z_stream i = {0};
    inflateInit(&i);
    i.next_out = back;
    i.avail_out = n;
    for (long off = 0; off < plen; off += 65536) {
      i.next_in = packed + off;
      i.avail_in = plen - off < 65536 ? plen - off : 65536;
      inflate(&i, Z_NO_FLUSH);
    }
    long got = i.total_out;
    inflateEnd(&i);
    double t2 = ns();
    if (got != n) { fprintf(stderr, "round trip lost bytes: %ld of %ld\n", got, n); return 1; }
    printf("%.0f %.0f\n", t1 - t0, t2 - t1);
  }
  return 0;
}
