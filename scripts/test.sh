#!/usr/bin/env bash
# Builds and runs the whole test suite: every tier in the optimised developer build, then the
# tests labelled "sanitize" again under AddressSanitizer + UndefinedBehaviorSanitizer and under
# ThreadSanitizer, then the checks that need other tools (model checking, fuzzing) where present.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh build-essential cmake ninja-build pkg-config libgtest-dev libgmock-dev \
    libbenchmark-dev libtbb-dev nlohmann-json3-dev libcli11-dev gnuplot-nox python3

jobs=$(nproc)
start=$(date +%s)
for preset in dev asan-ubsan tsan; do
    echo "=== $preset: build" >&2
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j "$jobs"
    echo "=== $preset: test" >&2
    ctest --preset "$preset"
done
echo "=== test suite finished in $(( $(date +%s) - start )) s" >&2
