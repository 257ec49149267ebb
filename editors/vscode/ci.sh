#!/usr/bin/env bash
# CI for the VS Code extension: install the locked dependencies, typecheck, run the unit tests,
# package the .vsix (printing its size), then run the end-to-end test in a real VS Code when the
# server is built. Works on a fresh Debian machine: installs Node.js with apt-get
# when npm is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

bash ../../.ci/ensure-node

# --ignore-scripts: no install script is needed (esbuild's binary comes as an optional package),
# and none may reach the network.
npm ci --ignore-scripts --no-audit --no-fund
npm run --silent lint
npm test
npm run --silent package
size=$(wc -c < dist/bioscope.vsix)
echo "packaged dist/bioscope.vsix: ${size} bytes ($(( (size + 1023) / 1024 )) KiB)"
# The .vsix holds the bundle, not node_modules.
if [ "$size" -gt 1048576 ]; then
  echo "the .vsix is over 1 MiB: is node_modules in it? (see .vscodeignore)" >&2
  exit 1
fi

# End to end in a real VS Code (code-server + headless Chromium) when the release server and
# ONNX Runtime are there (after `cargo test --release` and .ci/setup); about 3 minutes the
# first time (setup), 20 s after. BIOSCOPE_VSCODE_E2E=0 skips it.
repo=$(cd ../.. && pwd)
ort=${ORT_DYLIB_PATH:-$repo/.assets/onnxruntime/libonnxruntime.so.1.31.1}
if [ "${BIOSCOPE_VSCODE_E2E:-1}" = 0 ]; then
  echo "end-to-end test skipped (BIOSCOPE_VSCODE_E2E=0)"
elif [ -x "$repo/target/release/bioscope" ] && [ -f "$ort" ]; then
  bash e2e/setup.sh
  ORT_DYLIB_PATH=$ort node --import tsx e2e/run.mjs
else
  echo "end-to-end test skipped: needs $repo/target/release/bioscope and $ort"
fi
