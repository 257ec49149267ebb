#!/usr/bin/env bash
# Creates, idempotently, the Python environment of the side-by-side benchmark in
# .assets/bench-python/ (git-ignored): onnxruntime and tokenizers from PyPI, the versions
# BioScope itself uses (ONNX Runtime 1.31.1, tokenizers 0.23.2), and numpy. Prints the
# environment's python.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
env_dir="$root/.assets/bench-python"
py=$(command -v python3 || command -v python)
if [ ! -x "$env_dir/bin/python" ] || ! "$env_dir/bin/python" -c "import onnxruntime, tokenizers, numpy" 2>/dev/null; then
  echo "python-env: installing onnxruntime, tokenizers and numpy into $env_dir (PyPI)" >&2
  rm -rf "$env_dir"
  "$py" -m venv "$env_dir"
  "$env_dir/bin/python" -m pip install --quiet --disable-pip-version-check \
    "onnxruntime==1.31.1" "tokenizers==0.23.2" "numpy>=1.26,<3" >&2
fi
echo "$env_dir/bin/python"
