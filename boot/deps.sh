#!/bin/sh
# deps.sh: install the system packages the bare-metal boot needs (QEMU, gcc, binutils).
#
# Owns: the list of Debian packages for boot/ and its tests. Idempotent and silent when every
# tool is present; as root it runs apt-get (with one `apt-get update` if the first install fails).
# Not: npm packages (wabt, uvu come from package.json through `npm ci`).
set -eu

# tool name -> Debian package
missing=""
need() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need qemu-system-x86_64 qemu-system-x86
need gcc gcc
need ld binutils
need objcopy binutils

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "boot/deps.sh: missing packages:$missing (run as root, or install them)" >&2
  exit 1
fi
echo "boot/deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get install -y -qq --no-install-recommends $missing >/dev/null; }
if ! apt_install 2>/dev/null; then
  apt-get update -qq >/dev/null
  apt_install
fi
