#!/usr/bin/env bash
# The Python package's tests: builds the wheel, installs it with pip into a new virtual
# environment (its onnxruntime dependency from PyPI) and runs pytest there, with no
# ORT_DYLIB_PATH: the package finds ONNX Runtime itself.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
venv="$target/python-venv"
wheels="$target/wheels"
rm -rf "$venv" "$wheels"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check maturin==1.16.0 pytest==8.3.5 \
  spacy==3.8.18 "ray[data]==2.60.0"
MATURIN="$venv/bin/maturin" bash "$here/build.sh" "$wheels"
wheel=$(ls "$wheels"/bioscope-*.whl)
"$venv/bin/pip" install --quiet --disable-pip-version-check "$wheel[arrow,spacy,ray]"
cd "$here/tests"
# The CLI built by the test command (cargo test --release), for the equality test.
export BIOSCOPE_CLI="$target/release/bioscope"
env -u ORT_DYLIB_PATH -u BIOSCOPE_MODEL -u BIOSCOPE_LEXICON "$venv/bin/python" -m pytest -q -p no:cacheprovider .
