#!/usr/bin/env bash
# Installs what the end-to-end test needs into $BIOSCOPE_E2E_DIR (default
# /tmp/bioscope-vscode-e2e), outside the repository: code-server 4.100.3 (VS Code 1.100.3; the
# last line that runs on Node 20) and playwright-core, plus Debian's chromium, ripgrep and the
# headers code-server's native modules build against. Takes about 3 minutes on 2 cores.
#
# code-server's own install script cannot run here: @vscode/ripgrep downloads its binary from
# GitHub. So everything is installed with --ignore-scripts, the native modules are rebuilt
# from source with `npm rebuild`, and Debian's rg is put where @vscode/ripgrep expects its binary.
set -euo pipefail
dir=${BIOSCOPE_E2E_DIR:-/tmp/bioscope-vscode-e2e}
if [ -x "$dir/node_modules/.bin/code-server" ] && [ -f "$dir/.ready" ]; then
  echo "$dir is ready"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! command -v chromium >/dev/null || ! command -v rg >/dev/null || ! dpkg -s libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq chromium ripgrep build-essential python3 libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev >/dev/null
fi
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || echo '{"private": true}' > package.json
export npm_config_yes=true npm_config_audit=false npm_config_fund=false
npm install --ignore-scripts code-server@4.100.3 playwright-core@1.65.1
npm rebuild argon2
vscode="$dir/node_modules/code-server/lib/vscode"
(
  cd "$vscode"
  npm install --omit=dev --ignore-scripts
  npm rebuild kerberos native-watchdog node-pty @parcel/watcher @vscode/deviceid @vscode/spdlog
  mkdir -p node_modules/@vscode/ripgrep/bin
  cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  # What code-server's postinstall.sh does after installing.
  rm -rf node_modules.asar && ln -s node_modules node_modules.asar
  ln -sf code-linux.sh bin/remote-cli/code-server
  ln -sf browser-linux.sh bin/helpers/browser.sh
  cd extensions && npm install --omit=dev --ignore-scripts
)
touch .ready
echo "$dir is ready"
