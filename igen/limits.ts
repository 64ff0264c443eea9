// limits.ts: the bounds that keep igen from crashing or hanging on any input.
//
// Owns: every size, depth and count limit igen enforces, in one place so the fuzz test and the
// docs can name them. Not: the checks themselves (each phase checks the limit it can exceed).
//
// Each limit is far above what a real interface needs; passing one is a located error, never a
// JavaScript stack overflow or an out-of-memory.

export const MAX_FILE_BYTES = 1 << 20; // one source file (IDL or header)
export const MAX_FILES = 256; // distinct files read in one run
export const MAX_INCLUDE_DEPTH = 32; // nested #include
export const MAX_TOKENS = 1 << 20; // tokens after preprocessing
export const MAX_MACRO_EXPANSIONS = 1 << 15; // macro invocations expanded in one run
export const MAX_MACRO_DEPTH = 64; // macro arguments nested inside macro arguments
export const MAX_NESTING = 128; // parser recursion: declarators, parentheses, nested structs
export const MAX_TYPE_DEPTH = 256; // pointers, arrays, typedefs and by-value structs in one type
export const MAX_ERRORS = 50; // errors reported for one IDL file; the rest are dropped
export const MAX_TYPE_BYTES = 0x7fffffff; // sizeof of any type must fit in an i32
export const MAX_TASKS = 64; // tasks of one machine: its task table has 64 method slots (runtime/machine/record.ts MAX_METHODS)
