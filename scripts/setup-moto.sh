#!/usr/bin/env bash
# Creates (first time) and caches a Python virtualenv with moto[server], the AWS API emulator the
# integration tests and benchmark run against, outside the repository.
# Usage: scripts/setup-moto.sh   (prints the path of moto_server on its last stdout line)
# Env: SEALBRIDGE_CACHE (default ~/.cache/sealbridge), MOTO_VERSION, PYTHON (default python3).
set -euo pipefail

MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
PYTHON="${PYTHON:-python3}"
CACHE="${SEALBRIDGE_CACHE:-$HOME/.cache/sealbridge}"
VENV="$CACHE/tools/moto-$MOTO_VERSION"
log() { echo "[setup-moto] $*" >&2; }

if [[ -f "$VENV/.complete" ]]; then
  echo "$VENV/bin/moto_server"
  exit 0
fi
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  log "$PYTHON not found: install Python 3.9 or newer with venv and pip."
  exit 3
fi
mkdir -p "$CACHE/tools"
exec 9>"$CACHE/tools/.moto-$MOTO_VERSION.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [[ -f "$VENV/.complete" ]]; then
  echo "$VENV/bin/moto_server"
  exit 0
fi

start=$(date +%s)
# A virtualenv records its own path in its scripts, so it is built in place; `.complete` marks a
# finished install (an interrupted one is removed and redone).
rm -rf "$VENV"
log "creating a virtualenv with moto[server]==$MOTO_VERSION"
"$PYTHON" -m venv "$VENV" >&2
"$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
touch "$VENV/.complete"
log "installed in $(( $(date +%s) - start ))s -> $VENV/bin/moto_server"
echo "$VENV/bin/moto_server"
