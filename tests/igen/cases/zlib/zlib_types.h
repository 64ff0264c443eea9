/* A regular C header: igen reads its types and constants. */
#ifndef ZLIB_TYPES_H
#define ZLIB_TYPES_H

#include <stdint.h>
#include <stddef.h>

#define ZLIB_MAX_WINDOW_BITS 15
#define ZLIB_DICT_BYTES (1u << ZLIB_MAX_WINDOW_BITS)

typedef int32_t zlib_status_t;   /* 0 ok, < 0 an error */

enum zlib_level {
    ZLIB_FAST = 1,
    ZLIB_DEFAULT = 6,
    ZLIB_BEST = 9,
};

struct zlib_stats {
    uint64_t bytes_in;
    uint64_t bytes_out;
    uint32_t calls;
    double ratio;
};

/* Not used by the interface, so igen does not mind the union. */
union zlib_any { int i; float f; };

int zlib_version(void);

#endif
