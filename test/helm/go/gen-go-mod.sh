#!/usr/bin/env bash
# Regenerates go.mod/go.sum of the helm wrapper module for one helm release (default: the newest v4).
# The wrapper only pins helm.sh/helm/v4 as a Go tool, so `build.sh` can build it reproducibly offline-cached.
set -euo pipefail
cd "$(dirname "$0")"
export GOWORK=off GOFLAGS=-mod=mod
HELM_VERSION="${1:-$(go list -m -versions helm.sh/helm/v4 | tr ' ' '\n' | grep -E '^v[0-9]+\.[0-9]+\.[0-9]+$' | tail -1)}"
rm -f go.mod go.sum
go mod init tenantsync.io/helm >/dev/null 2>&1
go mod edit -go=1.26.8
go get -tool "helm.sh/helm/v4/cmd/helm@${HELM_VERSION}"
echo "wrapper module pinned to helm ${HELM_VERSION}"
