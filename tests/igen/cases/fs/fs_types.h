#pragma once
#include <stdint.h>

#define FS_NAME_MAX 255
#define FS_PATH_MAX (4 * (FS_NAME_MAX + 1))
#define FS_MODE(kind, perm) (((kind) << 12) | (perm))

typedef int32_t fs_fd_t;       /* a file descriptor: a semantic type, not a bare int */
typedef uint32_t fs_mode_t;

enum fs_kind { FS_FILE = 1, FS_DIR = 2, FS_LINK = 3 };

struct fs_stat {
    uint64_t size;
    uint64_t mtime_ns;
    fs_mode_t mode;
    enum fs_kind kind;
    char name[FS_NAME_MAX + 1];
};

struct fs_dirent;              /* only ever behind a pointer */

/* A C API in the same header: igen skips prototypes and inline functions. */
int fs_open_native(const char *path, int flags, ...);
static inline int fs_is_dir(const struct fs_stat *st) { return st->kind == FS_DIR; }
typedef void (*fs_callback_t)(struct fs_dirent *entry, void *arg);
struct fs_ops { fs_callback_t on_entry; union { int i; } u; };   /* unused by the interface */

_Static_assert(sizeof(struct fs_stat) == 280, "wasm32 layout");
