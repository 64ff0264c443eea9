// alloca.h: wasm2c uses alloca for multi-value results; gcc's builtin needs no library.
#pragma once
#define alloca __builtin_alloca
