#!/usr/bin/env bash
# Regenerates go.mod/go.sum of gitops-check (plus gopher-lua, Argo CD's Lua, and cli-utils' kstatus) at the newest Flux API modules that build with Go 1.26
# (newer ones need Go 1.27; pass versions to override: gen-go-mod.sh <kustomize> <source> <helm>).
set -euo pipefail
cd "$(dirname "$0")"
export GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN=local
rm -f go.mod go.sum
go mod init tenantsync.io/gitops-check >/dev/null 2>&1
go mod edit -go=1.26.8
go get "github.com/fluxcd/kustomize-controller/api@${1:-v1.9.0}" "github.com/fluxcd/source-controller/api@${2:-v1.9.0}" \
  "github.com/fluxcd/helm-controller/api@${3:-v1.5.0}" sigs.k8s.io/yaml k8s.io/apimachinery github.com/yuin/gopher-lua \
  sigs.k8s.io/cli-utils@v0.37.2 k8s.io/api
go mod tidy
echo "gitops-check pinned to Flux kustomize-controller/api ${1:-v1.9.0}, source-controller/api ${2:-v1.9.0}, helm-controller/api ${3:-v1.5.0}"
