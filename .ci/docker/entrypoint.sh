#!/bin/sh
# Entry point of the BioScope image (.ci/docker/Dockerfile), testable outside it:
#   lsp [FLAGS]        the language server on stdin/stdout (the default)
#   tag FILE... [FLAGS], eval, normalize, model, lexicon, score, --version, --help
# It checks that the binary and the ONNX Runtime library are where the image puts them (or
# where BIOSCOPE_BIN and ORT_DYLIB_PATH say) and explains what is missing, then runs bioscope.
set -eu
bin="${BIOSCOPE_BIN:-/opt/bioscope/target/release/bioscope}"
if [ ! -x "$bin" ]; then
  echo "bioscope image: the server binary $bin is missing or not executable" >&2
  exit 2
fi
if [ -z "${ORT_DYLIB_PATH:-}" ] || [ ! -f "$ORT_DYLIB_PATH" ]; then
  echo "bioscope image: the ONNX Runtime library ${ORT_DYLIB_PATH:-(ORT_DYLIB_PATH unset)} is missing; without it only the lexicon tags" >&2
fi
command="${1:-lsp}"
if [ "$#" -gt 0 ]; then shift; fi
case "$command" in
  lsp | tag | eval | normalize | model | lexicon | score | --version | --help | help)
    exec "$bin" "$command" "$@"
    ;;
  *)
    echo "bioscope image: unknown command '$command'; use lsp (the default), tag, eval, normalize, model, lexicon or score" >&2
    exit 2
    ;;
esac
