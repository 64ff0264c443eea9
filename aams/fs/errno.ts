// errno.ts: the POSIX error codes the file system reports, their names and texts.
// Owns: the numbers (Linux's, which most hosts and C libraries share) and the words of each
// failed call's message (machine.ts builds the message). Not: where an error is decided.
//
// Inside the file system every operation returns 0 / a count, or a negative code below; only the
// machine's handler turns one into a failed call, after the volume's mutex is released and every
// temporary is freed (a failed call traps its task: trapping deeper would leave the mutex held).

export const ENOENT: i32 = 2;
export const EIO: i32 = 5;
export const EBADF: i32 = 9;
export const EBUSY: i32 = 16;
export const EEXIST: i32 = 17;
export const EXDEV: i32 = 18;
export const ENOTDIR: i32 = 20;
export const EISDIR: i32 = 21;
export const EINVAL: i32 = 22;
export const EMFILE: i32 = 24;
export const EFBIG: i32 = 27;
export const ENOSPC: i32 = 28;
export const EROFS: i32 = 30;
export const ENAMETOOLONG: i32 = 36;
export const ENOTEMPTY: i32 = 39;
export const ENODEV: i32 = 19;

/** "ENOENT" for 2 (or "E?"). */
export function errnoName(e: i32): string {
  switch (e) {
    case ENOENT: return "ENOENT";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENODEV: return "ENODEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case EFBIG: return "EFBIG";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOTEMPTY: return "ENOTEMPTY";
  }
  return "E?";
}

/** The usual text of code `e` ("no such file or directory"). */
export function errnoText(e: i32): string {
  switch (e) {
    case ENOENT: return "no such file or directory";
    case EIO: return "input/output error";
    case EBADF: return "bad file descriptor";
    case EBUSY: return "resource busy";
    case EEXIST: return "file exists";
    case EXDEV: return "not on this volume";
    case ENODEV: return "no device attached";
    case ENOTDIR: return "not a directory";
    case EISDIR: return "is a directory";
    case EINVAL: return "invalid argument";
    case EMFILE: return "too many open files";
    case EFBIG: return "file too large (FAT files end below 4 GiB)";
    case ENOSPC: return "no space left on the volume";
    case EROFS: return "read-only volume";
    case ENAMETOOLONG: return "file name too long";
    case ENOTEMPTY: return "directory not empty";
  }
  return "unknown error";
}

/** The code a failed call's error names ("fs.open /A: ENOENT: …" → 2), or 0. For clients;
 *  allocates nothing. */
export function fsErrno(error: string): i32 {
  let i = error.indexOf(": E");
  if (i < 0) return 0;
  for (let e = 1; e < 64; e++) {
    let name = errnoName(e), n = name.length, ok = i + 2 + n < error.length;
    for (let k = 0; ok && k < n; k++) ok = error.charCodeAt(i + 2 + k) == name.charCodeAt(k);
    if (ok && error.charCodeAt(i + 2 + n) == 58 /* : */) return e;
  }
  return 0;
}
