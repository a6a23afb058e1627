#!/usr/bin/env bash
# Runs a command with Node.js 24: used by the package scripts (`npm test`, `npm run local`, …) so that on a
# machine whose node is older they install Node 24 once (.ci/node24.sh) instead of failing with a stack trace.
set -euo pipefail
if [[ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 24 ]]; then
  # shellcheck source=node24.sh
  source "$(dirname "$0")/node24.sh" || {
    echo "tenant-sync needs Node.js 24 and could not install it: install Node.js 24 (https://nodejs.org), then run npm ci again" >&2
    exit 1
  }
fi
exec "$@"
