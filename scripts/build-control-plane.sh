#!/usr/bin/env bash
# Builds kube-apiserver and etcd from Go modules into a cache outside the repository.
# Usage: scripts/build-control-plane.sh   (prints the bin directory on its last line)
# Env: SEALBRIDGE_CACHE (default ~/.cache/sealbridge), KUBE_VERSION, ETCD_VERSION.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.8}"
CACHE="${SEALBRIDGE_CACHE:-$HOME/.cache/sealbridge}"
BIN="$CACHE/control-plane/kube-$KUBE_VERSION-etcd-$ETCD_VERSION/bin"

log() { echo "[control-plane] $*" >&2; }
# shellcheck source=go-progress.sh
source "$(dirname "${BASH_SOURCE[0]}")/go-progress.sh"

if [[ -x "$BIN/kube-apiserver" && -x "$BIN/etcd" ]]; then
  echo "$BIN"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  log "Go is not installed and KUBEBUILDER_ASSETS is not set."
  log "Either install Go (1.26 or newer) so kube-apiserver and etcd can be built, or set"
  log "KUBEBUILDER_ASSETS to a folder that holds kube-apiserver and etcd binaries."
  exit 3
fi

WORK="$CACHE/control-plane/build-$KUBE_VERSION-$ETCD_VERSION"
mkdir -p "$WORK/apiserver" "$WORK/etcd" "$BIN"
start=$(date +%s)

# --- kube-apiserver: k8s.io/kubernetes as a dependency, staging modules replaced by their tags ---
cd "$WORK/apiserver"
staging_version="v0.${KUBE_VERSION#v1.}"
if [[ ! -f go.sum ]]; then
  log "resolving k8s.io/kubernetes@$KUBE_VERSION (staging modules at $staging_version)"
  rm -f go.mod
  go mod init sealbridge.local/apiserver-build >/dev/null 2>&1
  modfile=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo "replace ("
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/[a-z0-9-]*$#\1#p' "$modfile" | while read -r m; do
      echo "  $m => $m $staging_version"
    done
    echo ")"
  } >> go.mod
  cat > tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver/app"
GO
  log "downloading modules (go mod tidy)"
  # Staging modules that are not published for this tag fail tidy; drop their replace lines then.
  for attempt in 1 2 3 4 5 6; do
    if out=$(go mod tidy 2>&1); then break; fi
    missing=$(echo "$out" | grep -o 'k8s.io/[a-z0-9-]*@'"$staging_version"': invalid version' | sed 's/@.*//' | sort -u || true)
    if [[ -z "$missing" ]]; then echo "$out" >&2; exit 1; fi
    for m in $missing; do log "no $m@$staging_version published; dropping its replace"; sed -i "\#^  $m => #d" go.mod; done
  done
fi
major=$(echo "$KUBE_VERSION" | sed 's/^v\([0-9]*\)\..*/\1/')
minor=$(echo "$KUBE_VERSION" | sed 's/^v[0-9]*\.\([0-9]*\)\..*/\1/')
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=$major -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
log "building kube-apiserver $KUBE_VERSION (about 4 min on 2 idle cores with an empty build cache; progress below)"
CGO_ENABLED=0 go_with_progress "[control-plane] kube-apiserver:" build -trimpath -ldflags "$ldflags" -o "$BIN/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
mv "$BIN/kube-apiserver.tmp" "$BIN/kube-apiserver"
log "kube-apiserver built after $(( $(date +%s) - start ))s"

# --- etcd: a small wrapper module around the server's etcdmain ---
cd "$WORK/etcd"
if [[ ! -f go.sum ]]; then
  rm -f go.mod
  go mod init sealbridge.local/etcd-build >/dev/null 2>&1
  cat > main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
  go mod tidy >&2
fi
log "building etcd $ETCD_VERSION"
CGO_ENABLED=0 go_with_progress "[control-plane] etcd:" build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" .
mv "$BIN/etcd.tmp" "$BIN/etcd"
log "control plane built in $(( $(date +%s) - start ))s -> $BIN"
echo "$BIN"
