#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3, the last release on Node 20) into
# clients/vscode/.code-server/ for the real-VS-Code test (e2e/vscode.mjs), idempotently, with the
# workarounds of /work/shared/notes/editor-clients.md (no root check, no kerberos headers problem,
# ripgrep from Debian instead of a GitHub download, node-gyp builds against /usr/include/node).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
top="$here/.code-server"
bin="$top/node_modules/.bin/code-server"
if [[ -x "$bin" && -f "$top/.done" ]]; then
  echo "code-server already installed in $top"
  exit 0
fi
start=$(date +%s)
if ! dpkg -s libkrb5-dev ripgrep pkg-config >/dev/null 2>&1; then
  # A fresh machine may have no package lists yet.
  apt-get install -y -qq libkrb5-dev ripgrep pkg-config ||
    { apt-get update -qq && apt-get install -y -qq libkrb5-dev ripgrep pkg-config; }
fi
mkdir -p "$top"
cd "$top"
[[ -f package.json ]] || echo '{"name":"tandem-code-server","private":true}' > package.json
export npm_config_nodedir=/usr
npm install --no-save --ignore-scripts code-server@4.100.3
cd node_modules/code-server/lib/vscode
npm install --omit=dev --ignore-scripts
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf /usr/bin/rg node_modules/@vscode/ripgrep/bin/rg
npm_config_yes=true npm rebuild --foreground-scripts
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sf code-linux.sh code-server)
(cd bin/helpers && ln -sf browser-linux.sh browser.sh)
(cd extensions && npm_config_yes=true npm install --omit=dev)
cd "$top"
npm rebuild argon2
touch "$top/.done"
echo "code-server installed in $top in $(( $(date +%s) - start )) s"
