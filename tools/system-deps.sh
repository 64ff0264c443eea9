#!/bin/sh
# system-deps.sh: install every system package `make test` needs; the Makefile's `system-deps`.
#
# Owns: the packages outside boot/ (spin, for the protocol model in kernel/model/). Runs
# boot/deps.sh first for the QEMU host's. Idempotent and silent when every tool is present; as
# root it runs apt-get (with one `apt-get update` if the first install fails).
# Not: npm packages (they come from package.json through `npm ci`).
set -eu

here=$(dirname "$0")
sh "$here/../boot/deps.sh"

# tool name -> Debian package
missing=""
need() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need spin spin
need gcc gcc                  # spin's verifier (pan.c) is compiled C

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
