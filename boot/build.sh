#!/bin/sh
# build.sh: build a bootable kernel ELF, with a wasm system image translated by wasm2c or without one.
#
#   boot/build.sh IMAGE.wasm|IMAGE.wat -o OUT.elf    the image runs on every core (host.c, platform.c)
#   boot/build.sh --bare -o OUT.elf                   boot, bring up every core, print timing, exit 0
#   -D NAME=VALUE                                     passed to the kernel's C files (tools/boot/ gives
#                                                     AAM_TRACE=1 for a --trace image; the layout is abi.h's)
#
# Owns: the compiler and linker flags, the wasm2c invocation. Intermediate files go to OUT.elf.d/.
# Needs gcc and binutils (boot/deps.sh) and wabt from npm (node_modules/.bin/wasm2c, `npm ci`).
set -eu

BOOT=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BOOT")
BIN="$ROOT/node_modules/.bin"
image="" out="" defs=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift 2 ;;
    -D) defs="$defs -D$2"; shift 2 ;;
    --bare) image=--bare; shift ;;
    -*) echo "build.sh: unknown option $1" >&2; exit 2 ;;
    *) image="$1"; shift ;;
  esac
done
if [ -z "$image" ] || [ -z "$out" ]; then
  echo "usage: boot/build.sh IMAGE.wasm|IMAGE.wat|--bare -o OUT.elf" >&2
  exit 2
fi
work="$out.d"
rm -rf "$work"
mkdir -p "$work"

# Freestanding: no libc headers (-nostdinc; gcc's own stdint/stdatomic/stdarg stay), our libc/ instead.
# No red zone: exceptions and the wake IPI land on the interrupted stack.
CC=${CC:-gcc}
CFLAGS="-std=gnu11 -O2 -g -ffreestanding -fno-stack-protector -fno-pic -fno-pie -mno-red-zone
  -fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns -fcf-protection=none
  -nostdinc -isystem $($CC -print-file-name=include) -I$BOOT/libc -I$BOOT -I$work
  -Werror=implicit-function-declaration -Werror=incompatible-pointer-types -Werror=int-conversion"
WARN="-Wall -Wextra"
KERNEL="entry.S trampoline.S vectors.S jmp.S main.c mem.c serial.c trap.c acpi.c apic.c clock.c smp.c libc/libc.c"

if [ "$image" = --bare ]; then
  srcs="$KERNEL bare.c"
else
  if [ ! -x "$BIN/wasm2c" ]; then
    echo "build.sh: $BIN/wasm2c is missing: run \`npm ci\` in $ROOT" >&2
    exit 1
  fi
  case "$image" in
    *.wat) "$BIN/wat2wasm" --enable-threads "$image" -o "$work/image.wasm" ;;
    *) cp "$image" "$work/image.wasm" ;;
  esac
  # -n image: every generated symbol is w2c_image_* / wasm2c_image_*, whatever the file is called.
  "$BIN/wasm2c" --enable-threads -n image "$work/image.wasm" -o "$work/image.c"
  srcs="$KERNEL host.c platform.c stdin.c trace.c wasm-rt.c"
fi

objs="" pids=""
for s in $srcs; do
  o="$work/$(basename "$s" | sed 's/\.[cS]$/.o/')"
  objs="$objs $o"
  # shellcheck disable=SC2086
  $CC $CFLAGS $WARN $defs -c "$BOOT/$s" -o "$o" &
  pids="$pids $!"
done
if [ "$image" != --bare ]; then
  # The generated code is not ours: compile it without our warnings (the -Werror= ones still apply).
  # shellcheck disable=SC2086
  $CC $CFLAGS -c "$work/image.c" -o "$work/image.o" &
  pids="$pids $!"
  objs="$objs $work/image.o"
fi
for p in $pids; do wait "$p"; done
# shellcheck disable=SC2086
ld -nostdlib -static -T "$BOOT/kernel.ld" -z max-page-size=4096 -z noexecstack --build-id=none \
  -o "$out" $objs "$($CC -print-libgcc-file-name)"
