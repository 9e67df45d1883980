#!/usr/bin/env bash
# Builds and runs the whole test suite:
#  1. every tier in the optimised developer build (warnings are errors);
#  2. the tests labelled "sanitize" again under AddressSanitizer + UndefinedBehaviorSanitizer and
#     under ThreadSanitizer, and those labelled "asan" under the former only (only the binaries
#     that hold them are built there);
#  3. the fuzzer (corpus replay and a 30 s campaign) and the Promela models (spin).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh build-essential cmake ninja-build pkg-config libgtest-dev libgmock-dev \
    libbenchmark-dev libtbb-dev nlohmann-json3-dev libcli11-dev libzmq3-dev cppzmq-dev libcpp-httplib-dev iproute2 gnuplot-nox python3 \
    clang-14 libclang-rt-14-dev spin abigail-tools pybind11-dev python3-dev python3-pytest python3-numpy \
    prometheus groff-base man-db bash-completion tmux

jobs=$(nproc)
start=$(date +%s)
sanitized_targets=(unit_tests adapter_tests c_api_test c_topic_test c_service_test c_state_test)
# The bridge's tests, the command's fuzz tests and the short multi-process subset run under ASan and
# UBSan only (label asan; tests/bridge, tests/tools and tests/multiprocess CMakeLists.txt):
# ThreadSanitizer sees synchronisation between threads, which the threaded tests of the unit and
# adapter tiers exercise, not between processes.
asan_targets=(bridge_tests tool_fuzz_tests shmring_cli multiprocess_tests)

echo "=== dev: build" >&2
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$jobs"
echo "=== dev: test" >&2
ctest --preset dev

for preset in asan-ubsan tsan; do
    echo "=== $preset: build" >&2
    cmake --preset "$preset" >/dev/null
    targets=("${sanitized_targets[@]}")
    if [ "$preset" = asan-ubsan ]; then targets+=("${asan_targets[@]}"); fi
    cmake --build --preset "$preset" -j "$jobs" --target "${targets[@]}"
    echo "=== $preset: test" >&2
    ctest --preset "$preset"
done

echo "=== fuzz" >&2
bash fuzz/run.sh 30
echo "=== model checking" >&2
bash verify/run.sh
echo "=== test suite finished in $(( $(date +%s) - start )) s" >&2
