#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager and kubectl from the Go wrapper module in ./go
# into a cache outside the repo (default ~/.cache/tenant-sync/k8s-<version>/bin), once per version.
# Prints the bin directory on the last line of stdout. Progress goes to stderr.
#
# Environment: TENANTSYNC_CACHE_DIR (binary cache root), GOMODCACHE/GOCACHE (Go's caches, default
# ~/go/pkg/mod and ~/.cache/go-build: cache them in CI), GOTOOLCHAIN (default auto: a Go older than
# go.mod's go line is replaced by a toolchain from the Go module proxy).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/go"

if ! command -v go >/dev/null 2>&1; then
  if [[ -x /usr/local/go/bin/go ]]; then export PATH="/usr/local/go/bin:$PATH"
  else echo "[controlplane] no Go toolchain on PATH: install Go (https://go.dev/dl) to build the test control plane" >&2; exit 1; fi
fi
# readonly: a build never rewrites go.mod/go.sum of the checkout; buildvcs off: no git stamping.
export GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

k8s_version="$(go list -m -f '{{.Version}}' k8s.io/kubernetes)"
etcd_version="$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
cache_root="${TENANTSYNC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tenant-sync}"
bin="$cache_root/k8s-${k8s_version}/bin"
mkdir -p "$bin"

# One build at a time per version: a test run and `npm run cluster:up` may both get here.
exec 9>"$bin/.build.lock"
if ! flock -n 9; then
  echo "[controlplane] another build of ${k8s_version} is running; waiting for it..." >&2
  flock 9
fi

minor="${k8s_version#v1.}"; minor="${minor%%.*}"
ver_flags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ver_flags+=" -X ${pkg}.gitVersion=${k8s_version} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor} -X ${pkg}.gitTreeState=clean"
done

# go build -v names each package it compiles; show a count every 100 instead of thousands of lines.
progress() { # name
  local line packages=0 downloads=0 start=$SECONDS
  while IFS= read -r line; do
    if [[ "$line" == "go: downloading "* ]]; then
      downloads=$((downloads + 1))
      (( downloads % 50 == 0 )) && echo "[controlplane]   $1: $downloads modules downloaded ($((SECONDS - start))s)" >&2
    elif [[ "$line" =~ ^[^\ \#]+$ ]]; then
      packages=$((packages + 1))
      (( packages % 100 == 0 )) && echo "[controlplane]   $1: $packages packages compiled ($((SECONDS - start))s)" >&2
    else
      echo "$line" >&2
    fi
  done
  echo "[controlplane]   $1: $packages packages compiled, $downloads modules downloaded" >&2
}

build() { # name package ldflags
  local name="$1" pkg="$2" ldflags="$3"
  if [[ -x "$bin/$name" ]]; then echo "[controlplane] $name cached at $bin/$name" >&2; return; fi
  echo "[controlplane] building $name ($pkg) — the first build takes several minutes on 2 cores..." >&2
  local start=$SECONDS
  if ! go build -v -trimpath -ldflags "-s -w $ldflags" -o "$bin/$name.tmp.$$" "$pkg" 2>&1 | progress "$name"; then
    rm -f "$bin/$name.tmp.$$"
    echo "[controlplane] building $name failed (output above)" >&2
    exit 1
  fi
  mv "$bin/$name.tmp.$$" "$bin/$name"
  echo "[controlplane] built $name in $((SECONDS - start))s" >&2
}

echo "[controlplane] Kubernetes ${k8s_version}, etcd ${etcd_version}, $(go version | cut -d' ' -f3); cache ${bin}" >&2
total_start=$SECONDS
build etcd go.etcd.io/etcd/server/v3 "-X go.etcd.io/etcd/api/v3/version.Version=${etcd_version#v}"
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$ver_flags"
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$ver_flags"
build kubectl k8s.io/kubernetes/cmd/kubectl "$ver_flags"
echo "[controlplane] binaries ready in $((SECONDS - total_start))s" >&2
echo "$bin"
