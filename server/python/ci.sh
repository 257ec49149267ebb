#!/usr/bin/env bash
# The Python package's tests: builds the wheel, installs it with pip into a new virtual
# environment (its onnxruntime dependency from PyPI) and runs pytest there, with no
# ORT_DYLIB_PATH: the package finds ONNX Runtime itself.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$root/target/python-venv"
wheels="$root/target/wheels"
rm -rf "$venv" "$wheels"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check maturin==1.16.0 pytest==8.3.5
MATURIN="$venv/bin/maturin" bash "$here/build.sh" "$wheels"
"$venv/bin/pip" install --quiet --disable-pip-version-check "$wheels"/bioscope-*.whl
cd "$here/tests"
env -u ORT_DYLIB_PATH -u BIOSCOPE_MODEL -u BIOSCOPE_LEXICON "$venv/bin/python" -m pytest -q .
