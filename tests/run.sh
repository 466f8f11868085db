#!/usr/bin/env bash
# Runs every test of the workspace: the web client's unit tests (Vitest), then unit tests, the
# CLI tests and the end-to-end suite (which drives the real `tandem` binary, stock npm Yjs
# clients, real Neovim with the plugin and, for the web client, Debian's Chromium through
# playwright-core, and the VS Code extension in code-server). Installs the Node packages, builds
# the web client, installs Chromium and Neovim from Debian's packages and code-server from npm
# when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d tests/node/node_modules ]]; then
  npm ci --prefix tests/node --no-audit --no-fund
fi
if [[ ! -d clients/web/node_modules ]]; then
  npm ci --prefix clients/web --no-audit --no-fund
fi
if [[ ! -d clients/vscode/node_modules ]]; then
  npm ci --prefix clients/vscode --no-audit --no-fund
fi
if [[ ! -x /usr/bin/chromium ]]; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq chromium
  else
    echo "the browser tests need Debian's Chromium at /usr/bin/chromium: sudo apt-get install chromium" >&2
    exit 1
  fi
fi
# The Neovim plugin's tests drive real `nvim` (Debian 12's 0.7.2 or later).
if ! command -v nvim >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq neovim
  else
    echo "the Neovim tests need nvim: sudo apt-get install neovim" >&2
    exit 1
  fi
fi
npm run build --prefix clients/web
npm test --prefix clients/web
nvim --headless -u NONE --noplugin -c "set rtp+=clients/nvim" -c "luafile clients/nvim/tests/run_unit.lua"
# Real VS Code for the extension's end-to-end test: code-server 4.100.3 from npm, installed once
# into clients/vscode/.code-server (about 1-2.5 min); the test must then run.
bash clients/vscode/e2e/install-code-server.sh
export TANDEM_VSCODE_E2E=1
exec cargo test --workspace "$@"
