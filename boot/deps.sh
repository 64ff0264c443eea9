#!/bin/sh
# deps.sh: install the system packages the bare-metal boot needs (QEMU, gcc, binutils). The
# list and the apt-get logic live in tools/system-deps.sh, which installs everything `make test`
# needs; this name stays for boot/'s own instructions.
set -eu
exec sh "$(dirname "$0")/../tools/system-deps.sh"
