#!/usr/bin/env bash
# Builds the ship tests' tools from the Go modules beside this script into a cache outside the repo, once
# per version: helm from ./go (~/.cache/tenant-sync/helm-<version>/bin/helm), promtool from ./promtool,
# and gitops-check (our strict decoder of Flux manifests, kstatus and CRD exporter) from ./gitops-check,
# versioned by a hash of its go.mod, go.sum and *.go, with the third-party CRDs it exports beside bin/.
# and actionlint (the release workflows' linter) from ./actionlint.
# Argument: helm (default), promtool, gitops-check, actionlint or all.
# Prints the bin directory of the last tool built on the last line of stdout. Progress goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
what="${1:-helm}"
export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
cache_root="${TENANTSYNC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tenant-sync}"

build() { # name module-dir main-module|"" main-package ldflags-fn
  local name="$1" dir="$2" module="$3" pkg="$4" ldflags_fn="$5"
  cd "$here/$dir"
  local version
  if [[ -n "$module" ]]; then version="$(go list -m -f '{{.Version}}' "$module")"
  else version="$(cat go.mod go.sum *.go | sha256sum | cut -c1-12)"; fi
  local bin="$cache_root/${name}-${version}/bin"
  mkdir -p "$bin"
  # One build at a time per tool and version (as test/controlplane/build.sh does): the test projects' global
  # setups and CI may all get here; a waiter then finds the tool built.
  exec 9>"$bin/.build.lock"
  if ! flock -n 9; then
    echo "[ship-tools] another build of $name ${version} is running; waiting for it..." >&2
    flock 9
  fi
  if [[ -x "$bin/$name" ]]; then
    echo "[ship-tools] $name ${version} cached at $bin/$name" >&2
  else
    echo "[ship-tools] building $name ${version} ($pkg) — the first build takes a few minutes on 2 cores..." >&2
    local start=$SECONDS
    go build -trimpath -ldflags "-s -w $("$ldflags_fn" "$version")" -o "$bin/$name.tmp" "$pkg"
    mv "$bin/$name.tmp" "$bin/$name"
    echo "[ship-tools] built $name ${version} in $((SECONDS - start))s" >&2
  fi
  exec 9>&-
  last_bin="$bin"
}
helm_ldflags() { local v=helm.sh/helm/v4/internal/version; echo "-X $v.version=$1 -X $v.gitTreeState=clean"; }
# Prometheus module v0.X.Y is Prometheus release 3.X.Y.
promtool_ldflags() { echo "-X github.com/prometheus/common/version.Version=3.${1#v0.3} -X github.com/prometheus/common/version.Branch=release"; }

none_ldflags() { :; }
actionlint_ldflags() { echo "-X github.com/rhysd/actionlint.version=$1"; }
# gitops-check, then the CRDs Argo CD, Flux and the Prometheus Operator ship, exported from their Go modules
# into <cache>/gitops-check-<hash>/crds (`gitops-check crds`; a no-op when they are there).
build_gitops_check() {
  build gitops-check gitops-check "" . none_ldflags
  "$last_bin/gitops-check" crds >/dev/null
  echo "[ship-tools] gitops-check CRDs in $(dirname "$last_bin")/crds" >&2
}

last_bin=""
case "$what" in
  helm) build helm go helm.sh/helm/v4 helm.sh/helm/v4/cmd/helm helm_ldflags ;;
  promtool) build promtool promtool github.com/prometheus/prometheus github.com/prometheus/prometheus/cmd/promtool promtool_ldflags ;;
  gitops-check) build_gitops_check ;;
  actionlint) build actionlint actionlint github.com/rhysd/actionlint github.com/rhysd/actionlint/cmd/actionlint actionlint_ldflags ;;
  all)
    build actionlint actionlint github.com/rhysd/actionlint github.com/rhysd/actionlint/cmd/actionlint actionlint_ldflags
    build_gitops_check
    build promtool promtool github.com/prometheus/prometheus github.com/prometheus/prometheus/cmd/promtool promtool_ldflags
    build helm go helm.sh/helm/v4 helm.sh/helm/v4/cmd/helm helm_ldflags ;;
  *) echo "usage: build.sh [helm|promtool|gitops-check|actionlint|all]" >&2; exit 2 ;;
esac
echo "$last_bin"
