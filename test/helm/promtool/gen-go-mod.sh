#!/usr/bin/env bash
# Regenerates go.mod/go.sum of the promtool wrapper module (default: the newest Prometheus release module).
# promtool checks the chart's PrometheusRule and runs its alert unit tests (test/helm/alerts/*.test.yaml).
set -euo pipefail
cd "$(dirname "$0")"
export GOWORK=off GOFLAGS=-mod=mod
PROM_VERSION="${1:-$(go list -m -versions github.com/prometheus/prometheus | tr ' ' '\n' | grep -E '^v0\.[0-9]+\.[0-9]+$' | tail -1)}"
rm -f go.mod go.sum
go mod init tenantsync.io/promtool >/dev/null 2>&1
go mod edit -go=1.26.8
go get -tool "github.com/prometheus/prometheus/cmd/promtool@${PROM_VERSION}"
echo "wrapper module pinned to prometheus ${PROM_VERSION}"
