#!/bin/sh
# run.sh: boot a kernel ELF (from build.sh) under QEMU and exit with the code the machine chose.
#
#   boot/run.sh [-smp N] [-m SIZE] OUT.elf [kernel options] [-- image arguments]
#
# The rest of the line becomes the kernel command line (`-append`). The machine's exit(code) arrives
# as QEMU status code<<1|1 and is decoded here; an even status (reset, triple fault) exits 125.
# Same QEMU flags as qemu.mjs: COM1 is the image's stdout, COM2 (kernel messages, fd 2) goes to stderr.
set -u
smp=1 mem=1G
while [ $# -gt 0 ]; do
  case "$1" in
    -smp) smp="$2"; shift 2 ;;
    -m) mem="$2"; shift 2 ;;
    *) break ;;
  esac
done
if [ $# -lt 1 ]; then
  echo "usage: boot/run.sh [-smp N] [-m SIZE] OUT.elf [kernel options] [-- image arguments]" >&2
  exit 2
fi
elf="$1"
shift
qemu-system-x86_64 -accel tcg,thread=multi \
  -M microvm,x-option-roms=off,rtc=off -nodefaults -no-reboot -display none \
  -serial stdio -chardev file,id=err,path=/dev/stderr,append=on -device isa-serial,chardev=err,iobase=0x2f8,irq=3 \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  -smp "$smp" -m "$mem" -kernel "$elf" -append "$*"
status=$?
if [ $((status % 2)) = 1 ]; then exit $(((status - 1) / 2)); fi
echo "run.sh: the machine stopped without an exit code (QEMU status $status)" >&2
exit 125
