#!/usr/bin/env bash
# Builds the bioscope wheel into OUT (default target/wheels): the native module (PyO3, abi3,
# Python >= 3.9) with the default model and the name lexicon inside (bioscope/data, about
# 63 MB). Needs maturin (pip install maturin==1.16.0; MATURIN names another one).
#   bash server/python/build.sh [OUT]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-${CARGO_TARGET_DIR:-$root/target}/wheels}
data="$here/python/bioscope/data"
rm -rf "$data"
mkdir -p "$data"
cp -r "$root/models/bioscope-union" "$data/bioscope-union"
cp -r "$root/models/lexicon" "$data/lexicon"
cp "$root/models/NOTICE" "$data/NOTICE"
"${MATURIN:-maturin}" build --release --locked --manifest-path "$here/Cargo.toml" --out "$out"
