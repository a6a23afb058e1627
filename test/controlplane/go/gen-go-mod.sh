#!/usr/bin/env bash
# Regenerates go.mod/go.sum of the wrapper module for one Kubernetes version.
# k8s.io/kubernetes pins its staging modules at v0.0.0 with local replaces that do not apply to
# dependents, so we replace each one with the published v0.X.Y matching v1.X.Y.
set -euo pipefail
cd "$(dirname "$0")"
K8S_VERSION="${1:?usage: gen-go-mod.sh v1.X.Y}"
STAGING_VERSION="v0.${K8S_VERSION#v1.}"
export GOWORK=off GOFLAGS=-mod=mod
rm -f go.mod go.sum
go mod init tenantsync.io/controlplane >/dev/null 2>&1
gomod="$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
go mod edit -require="k8s.io/kubernetes@${K8S_VERSION}"
for m in $(awk '/^\tk8s.io\/[^ ]+ v0.0.0$/ {print $1}' "$gomod"); do
  go mod edit -replace="${m}=${m}@${STAGING_VERSION}"
done
go get -tool k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl
etcd_version="$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
go get -tool "go.etcd.io/etcd/server/v3@${etcd_version}"
echo "wrapper module pinned to k8s ${K8S_VERSION}, etcd ${etcd_version}"
