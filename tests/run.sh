#!/usr/bin/env bash
# Runs every test of the workspace: unit tests, the CLI tests and the end-to-end suite (which
# drives the real `tandem` binary and stock npm Yjs clients). Installs the Node test clients first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d tests/node/node_modules ]]; then
  npm ci --prefix tests/node --no-audit --no-fund
fi
exec cargo test --workspace "$@"
