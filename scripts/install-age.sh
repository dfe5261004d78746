#!/usr/bin/env bash
# Installs the real `age` CLI (and age-keygen) from the distribution's package when missing; the
# interop tests run it. Prints the path of `age` on its last stdout line.
# Debian 12's package is age 1.1.1 (X25519, scrypt, SSH recipients; no post-quantum age1pq1 keys,
# which came with age 1.3.0 — the sops binary built from Go modules covers those).
set -euo pipefail
log() { echo "[install-age] $*" >&2; }

if command -v age >/dev/null 2>&1 && command -v age-keygen >/dev/null 2>&1; then
  command -v age
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  log "age is not installed and apt-get is not available: install age (https://age-encryption.org) and re-run."
  exit 3
fi
sudo=""
if [[ "$(id -u)" != "0" ]]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else log "not root and no sudo: install age by hand"; exit 3; fi
fi
start=$(date +%s)
# One installer at a time (parallel test files may ask at once).
exec 9>"${TMPDIR:-/tmp}/.sealbridge-install-age.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if ! command -v age >/dev/null 2>&1; then
  log "apt-get install age"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq age >&2
fi
log "age $(age --version) ready in $(( $(date +%s) - start ))s"
command -v age
