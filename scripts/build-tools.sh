#!/usr/bin/env bash
# Builds a test tool from its Go module into a cache outside the repository.
# Usage: scripts/build-tools.sh <tool>     (prints the binary's path on its last stdout line)
# Tools: kubeseal. Add a tool by adding a line to the table below.
# Env: SEALBRIDGE_CACHE (default ~/.cache/sealbridge); <TOOL>_VERSION overrides a version,
#      e.g. KUBESEAL_VERSION=v0.27.1.
set -euo pipefail

tool="${1:-}"
log() { echo "[build-tools${tool:+ $tool}] $*" >&2; }

# tool -> "go package|default version|binary name"
declare -A TOOLS=(
  [sops]="github.com/getsops/sops/v3/cmd/sops|v3.13.3|sops"
  [kubeseal]="github.com/bitnami-labs/sealed-secrets/cmd/kubeseal|v0.36.6|kubeseal"
)

if [[ -z "$tool" || -z "${TOOLS[$tool]:-}" ]]; then
  echo "usage: $0 <tool>   (known tools: ${!TOOLS[*]})" >&2
  exit 2
fi

IFS='|' read -r pkg default_version binary <<<"${TOOLS[$tool]}"
version_var="$(echo "$tool" | tr '[:lower:]-' '[:upper:]_')_VERSION"
version="${!version_var:-$default_version}"
CACHE="${SEALBRIDGE_CACHE:-$HOME/.cache/sealbridge}"
BIN="$CACHE/tools/$tool-$version/bin"

if [[ -x "$BIN/$binary" ]]; then
  echo "$BIN/$binary"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  log "Go is not installed: install Go 1.26 or newer so $tool can be built from $pkg@$version."
  exit 3
fi

# Serialise concurrent builds of the same tool (parallel test files may ask at once).
mkdir -p "$CACHE/tools"
exec 9>"$CACHE/tools/.$tool-$version.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [[ -x "$BIN/$binary" ]]; then
  echo "$BIN/$binary"
  exit 0
fi

start=$(date +%s)
staging="$CACHE/tools/.$tool-$version.staging"
rm -rf "$staging"
mkdir -p "$staging"
log "go install $pkg@$version (first build takes a few minutes on 2 cores)"
# Build outside any module so the repo's go.mod (if one appears) has no effect.
(cd "$staging" && GOBIN="$staging" CGO_ENABLED=0 GOFLAGS=-buildvcs=false GO111MODULE=on \
  go install -trimpath -ldflags "-s -w" "$pkg@$version" >&2)
mkdir -p "$BIN"
mv "$staging/$binary" "$BIN/$binary"
rm -rf "$staging"
log "built in $(( $(date +%s) - start ))s -> $BIN/$binary"
echo "$BIN/$binary"
