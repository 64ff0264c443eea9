#!/bin/sh
# system-deps.sh: install every system package `make test` needs; the Makefile's `system-deps`.
#
# Owns: the one list of Debian packages the project uses outside npm: QEMU, gcc and binutils for
# the bare-metal host (boot/), spin for the protocol model (runtime/machine/model/),
# chromium for the trace viewer's tests (tests/trace), clang/lld/wasi-libc for the foreign
# machines (C libraries built to wasm32, aams/), and the real tools the machines' tests talk to
# (lzop, pigz, zlib-flate from qpdf, openssl, sqlite3; dosfstools and mtools for aam mkdisk and
# the file system's tests), and the Linux peers of the network tests and `aam bench net` (ip and
# tc from iproute2, ping, OpenBSD nc, curl; tests/net, tools/bench/net.ts). Idempotent and silent
# when every tool is present; as root it runs apt-get (with one `apt-get update` if the first
# install fails). boot/deps.sh calls this.
# Not: npm packages (they come from package.json through `npm ci`).
set -eu

# tool name -> Debian package
missing=""
need() { command -v "$1" >/dev/null 2>&1 || case "$missing" in *" $2"*) ;; *) missing="$missing $2" ;; esac; }
need qemu-system-x86_64 qemu-system-x86
need gcc gcc                  # the QEMU host's kernel, and spin's verifier (pan.c)
need ld binutils
need objcopy binutils
need spin spin
need chromium chromium        # the trace viewer's browser tests (tests/trace, playwright-core)
need_file() { [ -e "$1" ] || case "$missing" in *" $2"*) ;; *) missing="$missing $2" ;; esac; }
need clang-19 clang-19        # foreign machines: C to wasm32 (aams/, tools/build/foreign)
need wasm-ld-19 lld-19
need_file /usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a libclang-rt-19-dev-wasm32
need_file /usr/lib/wasm32-wasi/libc.a wasi-libc
need lzop lzop                # real peers of the machines' tests
need pigz pigz
need zlib-flate qpdf
need openssl openssl
need sqlite3 sqlite3
need_file /usr/sbin/mkfs.fat dosfstools   # aam mkdisk and the fs tests (aams/fs): mkfs.fat, fsck.fat
need_file /usr/sbin/fsck.fat dosfstools
need mcopy mtools             # aam mkdisk --from, and the fs tests' mtype/mdir
need ip iproute2              # the network tests (tests/net): namespaces, taps, tc netem
need tc iproute2
need ping iputils-ping        # ... and Linux's own stack as the peer: ping, nc, curl
need nc netcat-openbsd
need curl curl
need python3 python3          # tests/net/peer.py and impair.py: hand-built frames (AF_PACKET), a lossy wire

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "tools/system-deps.sh: missing packages:$missing (run as root, or install them)" >&2
  exit 1
fi
echo "tools/system-deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get install -y -qq --no-install-recommends $missing >/dev/null; }
if ! apt_install 2>/dev/null; then
  apt-get update -qq >/dev/null
  apt_install
fi
