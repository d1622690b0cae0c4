#!/bin/sh
# Longer fuzzing run of every atheris harness in fuzz/ (default 10 minutes each), corpus kept in var/fuzz.
# Usage: bench/fuzz.sh [SECONDS]. A crash leaves its input in var/fuzz/<harness>/crash-* and exits non-zero.
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-600}
PY=${PYTHON:-.venv/bin/python}
for harness in fuzz/fuzz_*.py; do
    name=$(basename "$harness" .py)
    mkdir -p "var/fuzz/$name/corpus"
    echo "== $name for ${SECONDS_EACH}s"
    "$PY" "$harness" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=20 \
        -artifact_prefix="var/fuzz/$name/" "var/fuzz/$name/corpus"
done
