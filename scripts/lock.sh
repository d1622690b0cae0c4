#!/bin/sh
# Regenerate requirements.lock: every runtime and test dependency pinned, each with its hashes.
# Install from it with: pip install --require-hashes -r requirements.lock && pip install --no-deps -e .
set -eu
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
"$PY" -m piptools compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links --extra test \
    --output-file requirements.lock pyproject.toml
