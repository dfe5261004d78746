#!/usr/bin/env bash
# Builds a test tool from its Go module into a cache outside the repository.
# Usage: scripts/build-tools.sh <tool>     (prints the binary's path on its last stdout line)
# Tools: kubeseal, kustomize (for `sealbridge check` tests), sealed-secrets-controller (the real Sealed Secrets controller, for
# `npm run bench:sealed` and test/differential/sealed-secret-shape.test.ts; keep it at kubeseal's
# version), sealed-secrets-integration (Sealed Secrets' own Ginkgo integration suite, compiled as a
# test binary; test/interop/sealed-secrets-upstream.test.ts runs it against sealbridge), sops, helm,
# vault, health-check (our test/health-check program: kstatus and Argo CD's Lua health scripts, with
# Argo CD's bundled scripts beside it), eso-controller (the real External Secrets Operator
# controller, for `npm run bench:external-secrets` only: never built by prepare-test-deps.sh).
# Add a tool by adding a line to the table below.
# Env: SEALBRIDGE_CACHE (default ~/.cache/sealbridge); <TOOL>_VERSION overrides a version,
#      e.g. KUBESEAL_VERSION=v0.27.1. The controller and the integration suite follow kubeseal's
#      version (KUBESEAL_VERSION) unless their own variable is set: the suite tests that kubeseal.
set -euo pipefail

tool="${1:-}"
log() { echo "[build-tools${tool:+ $tool}] $*" >&2; }
# shellcheck source=go-progress.sh
source "$(dirname "${BASH_SOURCE[0]}")/go-progress.sh"

# tool -> "go package|default version|binary name|how|pins"
#   how = install: `go install pkg@version` (the module has no local replace directives)
#   how = local: a program in this repository (pkg is its folder); the version is a hash of its
#         sources, so an edit rebuilds it
#   how = gotest: `go test -c` of a package inside the module (pkg is the module; pins holds the
#         package folder and the build tags, e.g. "./integration integration"), built in a copy of
#         the module's source so its own go.mod and go.sum pin every test dependency.
#   how = wrapper: a throwaway module that requires pkg@version and copies its non-local replace
#         lines; `pins` (module=version ...) replace the sibling modules the tool's own go.mod takes
#         from local folders (./sdk, ./api) with a published version. When a function
#         `patch_<tool>_<version>` (dots as _) exists, the tool's module source is copied next to the
#         wrapper, that patch is applied (the build fails loudly if it does not apply cleanly), and
#         the wrapper replaces the module with the patched copy.
# Vault: v1.21.4's go.mod requires vault/sdk v0.21.0 but builds against its in-tree ./sdk (a
# release-branch commit that is not published; the proxy has no pseudo-versions of it, and no sdk
# v0.20.x/v0.21.x patch release). Against sdk v0.20.0 it is too old (no
# TryRecordObservationWithRequest, RestorePolicy); against v0.21.0, three call sites differ, fixed by
# patch_vault_v1_21_4 below. The result is the real Vault v1.21.4 server from its Go module.
# Measured here (2 cores shared with other builds): module download ~10 min on an empty module cache
# (~616 MiB of zips for the 488 modules in the build); build ~21 min with an empty Go build cache and
# the modules already downloaded, ~45 s with a warm build cache; binary 348 MiB.
# Sealed Secrets controller v0.36.6 (`npm run bench:sealed`, the Secret-shape differential test): ~8 min with empty module and
# build caches (measured 501 s here, kube-apiserver building alongside on the same 2 cores), 12 s with
# a warm build cache; binary 47 MiB.
# Sealed Secrets integration suite v0.36.6: ~30 s with a warm Go build cache (the controller's
# dependencies), a few minutes cold; binary ~50 MiB.
# ESO controller v0.16.2 (the version issue 11's earlier measurement used; serves external-secrets.io/v1):
# its go.mod has one non-local replace (sprig => external-secrets/sprig), which `go install pkg@v`
# refuses, so it is built through the wrapper (no pins, no patch); the root package main.go is the
# controller (webhook and certcontroller are subcommands). Measured here: 1,013 s with most modules
# already in the module cache and other builds alongside (1,637 packages); binary 148 MiB.
# OpenBao cannot be used here: the Go module proxy answers 403 for github.com/openbao/openbao/v2 at
# every version, branch and commit (only api/v2 is served), so the Vault API in tests is HashiCorp Vault.
SEALED_SECRETS_RELEASE=v0.36.6
declare -A TOOLS=(
  [sops]="github.com/getsops/sops/v3/cmd/sops|v3.13.3|sops"
  [helm]="helm.sh/helm/v3/cmd/helm|v3.22.0|helm|install|"
  [kustomize]="sigs.k8s.io/kustomize/kustomize/v5|v5.8.2|kustomize|install|"
  [kubeseal]="github.com/bitnami-labs/sealed-secrets/cmd/kubeseal|$SEALED_SECRETS_RELEASE|kubeseal|install|"
  [sealed-secrets-controller]="github.com/bitnami-labs/sealed-secrets/cmd/controller|$SEALED_SECRETS_RELEASE|controller|install|"
  [sealed-secrets-integration]="github.com/bitnami-labs/sealed-secrets|$SEALED_SECRETS_RELEASE|integration.test|gotest|./integration integration"
  [vault]="github.com/hashicorp/vault|v1.21.4|vault|wrapper|github.com/hashicorp/vault/sdk=v0.21.0"
  [health-check]="test/health-check|source|health-check|local|"
  [eso-controller]="github.com/external-secrets/external-secrets|v0.16.2|external-secrets|wrapper|"
)
# health-check also needs Argo CD's bundled health scripts (resource_customizations/<group>/<kind>/
# health.lua) for the kinds sealbridge serves: they are copied from the argo-cd Go module (the module
# zip is ~165 MiB, downloaded once into the Go module cache) next to the binary, never into this
# repository. v3.5.7 is the newest release this Go (1.26) can download; v3.6 needs Go 1.27.
ARGOCD_VERSION="${ARGOCD_VERSION:-v3.5.7}"
ARGOCD_SCRIPTS=(bitnami.com/SealedSecret external-secrets.io/ExternalSecret external-secrets.io/SecretStore external-secrets.io/ClusterSecretStore)

if [[ -z "$tool" || -z "${TOOLS[$tool]:-}" ]]; then
  echo "usage: $0 <tool>   (known tools: ${!TOOLS[*]})" >&2
  exit 2
fi

IFS='|' read -r pkg default_version binary how pins <<<"${TOOLS[$tool]}"
version_var="$(echo "$tool" | tr '[:lower:]-' '[:upper:]_')_VERSION"
version="${!version_var:-}"
# The Sealed Secrets controller and suite go with the kubeseal under test.
if [[ -z "$version" && "$tool" == sealed-secrets-* ]]; then version="${KUBESEAL_VERSION:-}"; fi
version="${version:-$default_version}"
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ "$how" == "local" ]]; then
  version="src-$( { echo "$ARGOCD_VERSION ${ARGOCD_SCRIPTS[*]}"; cd "$repo_root/$pkg" && find . -type f | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -c1-16)"
fi
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

# Vault v1.21.4 against the published vault/sdk v0.21.0 (its required version; the in-tree ./sdk it
# was released with is not published). sdk v0.21.0 gave framework.Backend.ActivationFunc a third
# argument (the feature name) and keeps keysutil.LockManager.RestorePolicy returning only an error,
# while v1.21.4's code has the older callback and a RestorePolicy that also returns the restored key
# name. The patch adapts those three call sites and nothing else:
#   vault/identity_store.go: wrap activateDeduplication(ctx, req) in the 3-argument callback;
#   vault/logical_system_activation_flags.go: call ActivationFunc(ctx, nil, "") (the name is unused);
#   builtin/logical/transit/path_restore.go: RestorePolicy returns err only; the restore observation
#     records the requested key name (empty when restoring under the backup's own name).
# None of it is on the paths the tests use (KV, token, AppRole, kubernetes and JWT auth).
patch_vault_v1_21_4() {
  cat <<'PATCH'
--- a/vault/identity_store.go
+++ b/vault/identity_store.go
@@ -116,7 +116,7 @@
 		Paths:          iStore.paths(),
 		Invalidate:     iStore.Invalidate,
 		InitializeFunc: iStore.initialize,
-		ActivationFunc: iStore.activateDeduplication,
+		ActivationFunc: func(ctx context.Context, req *logical.Request, _ string) error { return iStore.activateDeduplication(ctx, req) },
 		PathsSpecial: &logical.Paths{
 			Unauthenticated: append([]string{
 				"oidc/.well-known/*",
--- a/vault/logical_system_activation_flags.go
+++ b/vault/logical_system_activation_flags.go
@@ -164,7 +164,7 @@
 		return nil
 	}
 
-	if err := b.idStoreBackend.ActivationFunc(ctx, nil); err != nil {
+	if err := b.idStoreBackend.ActivationFunc(ctx, nil, ""); err != nil {
 		b.logger.Error("activation flag error", "error", err)
 	}
 
--- a/builtin/logical/transit/path_restore.go
+++ b/builtin/logical/transit/path_restore.go
@@ -61,7 +61,8 @@
 		return nil, ErrInvalidKeyName
 	}
 
-	restoredKeyName, err := b.lm.RestorePolicy(ctx, req.Storage, keyName, backupB64, force)
+	err := b.lm.RestorePolicy(ctx, req.Storage, keyName, backupB64, force)
+	restoredKeyName := keyName
 	if err != nil {
 		return nil, err
 	}
PATCH
}

# A module whose go.mod replaces siblings with local folders cannot be `go install`ed: build it from
# a wrapper module that keeps its other replace lines and pins those siblings (see the table), and
# replaces the module itself with a patched copy when a patch function exists for this version.
build_wrapper() {
  local pkg="$1" version="$2" out="$3" wrap="$CACHE/tools/.$tool-$version.module" modfile pin dir
  local patchfn="patch_${tool}_$(echo "$version" | tr '.-' '__')" recipe
  declare -F "$patchfn" >/dev/null || patchfn=""
  # Rebuild the wrapper from scratch whenever its recipe (table entry or patch) changes.
  recipe=$({ echo "${TOOLS[$tool]} $version"; if [[ -n "$patchfn" ]]; then "$patchfn"; fi; } | sha256sum | cut -c1-16)
  if [[ -d "$wrap" && "$(cat "$wrap/.recipe" 2>/dev/null)" != "$recipe" ]]; then rm -rf "$wrap"; fi
  mkdir -p "$wrap"
  (
    cd "$wrap"
    if [[ ! -f go.sum ]]; then
      rm -f go.mod
      go mod init "sealbridge.local/$tool-build" >/dev/null 2>&1
      modfile=$(go mod download -json "$pkg@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
      {
        echo "require $pkg $version"
        grep -E '^replace .* => [^.][^ ]* v[0-9]' "$modfile" || true
        for pin in $pins; do echo "replace ${pin%%=*} => ${pin%%=*} ${pin#*=}"; done
      } >> go.mod
      log "downloading modules (go get $pkg@$version; about 10 minutes for Vault on a cold module cache)"
      go get "$pkg@$version" >&2
    fi
    if [[ -n "$patchfn" && ! -f src/.patched ]]; then
      log "patching a copy of $pkg@$version ($patchfn)"
      dir=$(go mod download -json "$pkg@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
      rm -rf src
      cp -r "$dir" src
      chmod -R u+w src
      "$patchfn" > src.patch
      if ! patch -d src -p1 --forward --batch --dry-run < src.patch >/dev/null; then
        patch -d src -p1 --forward --batch --dry-run < src.patch >&2 || true
        log "the patch in $patchfn no longer applies to $pkg@$version: update it (see the notes above it)"
        exit 4
      fi
      patch -d src -p1 --forward --batch < src.patch >&2
      go mod edit -replace "$pkg=./src"
      touch src/.patched
    fi
    echo "$recipe" > .recipe
    log "go build $pkg (Vault: ~45 s with a warm Go build cache, ~20 min with an empty one on 2 busy cores)"
    CGO_ENABLED=0 GOFLAGS=-buildvcs=false go_with_progress "[build-tools $tool]" build -trimpath -ldflags "-s -w" -o "$out" "$pkg"
  )
}

# Argo CD's bundled health scripts, copied from its Go module next to the health-check binary.
copy_argocd_scripts() {
  local out="$1" dir script
  log "go mod download github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION (for its bundled health scripts; ~165 MiB once)"
  dir=$(cd "$out" && go mod download -json "github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  if [[ -z "$dir" ]]; then log "could not download github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION"; exit 5; fi
  for script in "${ARGOCD_SCRIPTS[@]}"; do
    mkdir -p "$out/argocd/$script"
    cp "$dir/resource_customizations/$script/health.lua" "$out/argocd/$script/health.lua"
    chmod u+w "$out/argocd/$script/health.lua"
  done
  echo "$ARGOCD_VERSION" > "$out/argocd/VERSION"
}

# `go test -c` of one package of a module, in a writable copy of the module's source (the module
# cache is read-only) so the module's own go.mod and go.sum decide every dependency.
build_gotest() {
  local module="$1" version="$2" out="$3" package tags dir src="$staging/src"
  read -r package tags <<<"$pins"
  dir=$(go mod download -json "$module@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  if [[ -z "$dir" ]]; then
    log "go mod download $module@$version gave no source folder"
    exit 4
  fi
  cp -r "$dir" "$src"
  chmod -R u+w "$src"
  (cd "$src" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go test -c -tags "$tags" -trimpath -ldflags "-s -w" -o "$out" "$package" >&2)
  rm -rf "$src"
}

start=$(date +%s)
staging="$CACHE/tools/.$tool-$version.staging"
rm -rf "$staging"
mkdir -p "$staging"
if [[ "$how" == "gotest" ]]; then
  log "go test -c $pkg@$version ($pins; ~30 s with a warm Go build cache)"
  build_gotest "$pkg" "$version" "$staging/$binary"
elif [[ "$how" == "wrapper" ]]; then
  log "building $pkg@$version through a wrapper module (first build takes several minutes on 2 cores)"
  build_wrapper "$pkg" "$version" "$staging/$binary"
elif [[ "$how" == "local" ]]; then
  log "go build ./$pkg ($version; about 1 min with an empty build cache)"
  (cd "$repo_root/$pkg" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go_with_progress "[build-tools $tool]" build -trimpath -ldflags "-s -w" -o "$staging/$binary" .)
  copy_argocd_scripts "$staging"
else
  log "go install $pkg@$version (first build takes a few minutes on 2 cores)"
  # Build outside any module so the repo's go.mod (if one appears) has no effect.
  (cd "$staging" && GOBIN="$staging" CGO_ENABLED=0 GOFLAGS=-buildvcs=false GO111MODULE=on \
    go_with_progress "[build-tools $tool]" install -trimpath -ldflags "-s -w" "$pkg@$version")
fi
mkdir -p "$BIN"
if [[ -d "$staging/argocd" ]]; then rm -rf "$BIN/argocd"; mv "$staging/argocd" "$BIN/argocd"; fi
mv "$staging/$binary" "$BIN/$binary"
rm -rf "$staging"
log "built in $(( $(date +%s) - start ))s -> $BIN/$binary"
echo "$BIN/$binary"
