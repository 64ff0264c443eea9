// platform.h: the import instances that wasm2c's generated code passes to the platform functions.
//
// wasm2c names an import module M's instance `struct w2c_M` (with '_' doubled: wasi_snapshot_preview1
// becomes w2c_wasi__snapshot__preview1) and passes a pointer to it as the first argument of every
// import from M. The embedder defines these structs; here: one aam and one WASI instance per core
// (so an import knows its core without asking the CPU), one env for the shared memory.
#pragma once
#include "kernel.h"
#include "wasm-rt.h"

struct w2c_aam {
  uint32_t core_id, core_count;      // the immutable globals aam.core_id, aam.core_count
  struct cpu *cpu;
};
struct w2c_wasi__snapshot__preview1 {
  struct cpu *cpu;
};
struct w2c_env {
  wasm_rt_shared_memory_t *memory;
};

void platform_init(const char *cmdline);  // split the arguments off the command line, pick the random source
