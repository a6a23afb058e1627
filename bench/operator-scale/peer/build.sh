#!/usr/bin/env bash
# Builds the controller-runtime peer of `npm run bench -- operator-scale` from the Go module beside this
# script into ~/.cache/tenant-sync/operator-scale-peer-<hash of go.mod, go.sum, *.go>/bin/peer, once.
# Prints the binary's path on the last line of stdout; progress goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
cache_root="${TENANTSYNC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tenant-sync}"
cd "$here"
version="$(cat go.mod go.sum ./*.go | sha256sum | cut -c1-12)"
bin="$cache_root/operator-scale-peer-${version}/bin"
if [[ -x "$bin/peer" ]]; then
  echo "[operator-scale] peer ${version} cached at $bin/peer" >&2
else
  mkdir -p "$bin"
  echo "[operator-scale] building the controller-runtime peer ${version} (a few minutes on 2 cores the first time)..." >&2
  start=$SECONDS
  go build -trimpath -ldflags "-s -w" -o "$bin/peer.tmp" .
  mv "$bin/peer.tmp" "$bin/peer"
  echo "[operator-scale] built the peer in $((SECONDS - start))s" >&2
fi
echo "$bin/peer"
