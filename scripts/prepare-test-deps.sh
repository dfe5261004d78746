#!/usr/bin/env bash
# Builds or installs every external program the test suite runs, into the cache outside the
# repository (no-ops once cached). The tests would build them on demand too; doing it up front
# shows progress and keeps build time out of test timeouts.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { echo "[prepare] $*" >&2; }
timed() {
  local start=$SECONDS
  "$@" >/dev/null
  step "$* done in $((SECONDS - start))s"
}

if [[ -z "${KUBEBUILDER_ASSETS:-}" ]]; then
  timed bash scripts/build-control-plane.sh
else
  step "using kube-apiserver and etcd from KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
fi
timed bash scripts/build-tools.sh kubeseal
timed bash scripts/build-tools.sh sealed-secrets-integration
timed bash scripts/build-tools.sh sealed-secrets-controller
timed bash scripts/build-tools.sh sops
timed bash scripts/build-tools.sh helm
timed bash scripts/build-tools.sh kustomize
timed bash scripts/build-tools.sh vault
timed bash scripts/build-tools.sh health-check
timed bash scripts/install-age.sh
timed bash scripts/setup-moto.sh
