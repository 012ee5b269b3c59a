#!/usr/bin/env bash
# Installs what the build needs on a Debian/Ubuntu machine, once (idempotent):
# the PROJ library (projections) and libclang (its Rust bindings are generated at build time).
set -euo pipefail

have_libclang() {
  ls /usr/lib/llvm-*/lib/libclang*.so* /usr/lib/x86_64-linux-gnu/libclang*.so* >/dev/null 2>&1
}

if pkg-config --exists proj 2>/dev/null && have_libclang; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PACKAGES=(libproj-dev libclang-dev pkg-config)
echo "setup: installing ${PACKAGES[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends "${PACKAGES[@]}" >/dev/null; then
  $SUDO apt-get update >/dev/null
  $SUDO apt-get install -y --no-install-recommends "${PACKAGES[@]}" >/dev/null
fi
