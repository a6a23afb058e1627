#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager and kubectl from the Go wrapper module in ./go
# into a cache outside the repo (default ~/.cache/tenant-sync/k8s-<version>/bin), once per version.
# Prints the bin directory on the last line of stdout. Progress goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/go"
export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0
k8s_version="$(go list -m -f '{{.Version}}' k8s.io/kubernetes)"
etcd_version="$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
cache_root="${TENANTSYNC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tenant-sync}"
bin="$cache_root/k8s-${k8s_version}/bin"
mkdir -p "$bin"
minor="${k8s_version#v1.}"; minor="${minor%%.*}"
ver_flags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ver_flags+=" -X ${pkg}.gitVersion=${k8s_version} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor} -X ${pkg}.gitTreeState=clean"
done
build() { # name package ldflags
  local name="$1" pkg="$2" ldflags="$3"
  if [[ -x "$bin/$name" ]]; then echo "[controlplane] $name cached at $bin/$name" >&2; return; fi
  echo "[controlplane] building $name ($pkg) — the first build takes several minutes on 2 cores..." >&2
  local start=$SECONDS
  go build -trimpath -ldflags "-s -w $ldflags" -o "$bin/$name.tmp" "$pkg"
  mv "$bin/$name.tmp" "$bin/$name"
  echo "[controlplane] built $name in $((SECONDS - start))s" >&2
}
echo "[controlplane] Kubernetes ${k8s_version}, etcd ${etcd_version}; cache ${bin}" >&2
build etcd go.etcd.io/etcd/server/v3 "-X go.etcd.io/etcd/api/v3/version.Version=${etcd_version#v}"
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$ver_flags"
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$ver_flags"
build kubectl k8s.io/kubernetes/cmd/kubectl "$ver_flags"
echo "$bin"
