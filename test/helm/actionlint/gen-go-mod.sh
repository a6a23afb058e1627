#!/usr/bin/env bash
# Regenerates go.mod/go.sum of the actionlint wrapper module (default: the newest actionlint release).
# actionlint checks the GitHub Actions workflows in .github/workflows (test/unit/ship/workflows.test.ts).
set -euo pipefail
cd "$(dirname "$0")"
export GOWORK=off GOFLAGS=-mod=mod
ACTIONLINT_VERSION="${1:-$(go list -m -versions github.com/rhysd/actionlint | tr ' ' '\n' | grep -E '^v[0-9]+\.[0-9]+\.[0-9]+$' | tail -1)}"
rm -f go.mod go.sum
go mod init tenantsync.io/actionlint >/dev/null 2>&1
go mod edit -go=1.26.8
go get -tool "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
echo "wrapper module pinned to actionlint ${ACTIONLINT_VERSION}"
