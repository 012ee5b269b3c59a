#!/usr/bin/env bash
# Installs what the build and the tests need on a Debian/Ubuntu machine, once (idempotent):
# the PROJ library (projections) and libclang (its Rust bindings are generated at build time);
# for the tests, a real SMTP server (Debian's python3-aiosmtpd, run by tests/smtp_server.py
# with the system's /usr/bin/python3) and openssl (its self-signed certificates).
set -euo pipefail

have_libclang() {
  ls /usr/lib/llvm-*/lib/libclang*.so* /usr/lib/x86_64-linux-gnu/libclang*.so* >/dev/null 2>&1
}

have_aiosmtpd() {
  [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1
}

if pkg-config --exists proj 2>/dev/null && have_libclang && have_aiosmtpd && command -v openssl >/dev/null; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PACKAGES=(libproj-dev libclang-dev pkg-config python3-aiosmtpd openssl)
echo "setup: installing ${PACKAGES[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends "${PACKAGES[@]}" >/dev/null; then
  $SUDO apt-get update >/dev/null
  $SUDO apt-get install -y --no-install-recommends "${PACKAGES[@]}" >/dev/null
fi
