#!/usr/bin/env bash
# Fuzzes the library's read paths with segments whose every byte is the fuzzer's (see
# segment_fuzzer.cpp): builds the libFuzzer target with clang-14 in build/fuzz, apart from the
# main build; replays the checked-in corpus; then runs a campaign of a bounded length.
#
#   fuzz/run.sh [seconds]     campaign length, 60 by default; 0 only replays the corpus
#
# Exits non-zero if any input crashes, trips AddressSanitizer or UndefinedBehaviorSanitizer, runs
# longer than the per-input timeout (a hang) or exceeds the memory limit; libFuzzer then prints
# the stack and leaves the input in build/fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh clang-14 libclang-rt-14-dev cmake ninja-build

seconds=${1:-60}
build=build/fuzz
fuzzer=$build/segment_fuzzer
# An input larger than the seeds lets the fuzzer grow the data area it controls; the object size
# itself comes from the input's plan (fuzz_input.hpp).
limits=(-timeout=5 -rss_limit_mb=2048 -max_len=16384)

# A crashed run leaves its object behind (the harness removes it only after a clean input).
trap 'rm -f /dev/shm/shmring.fuzz.*' EXIT

echo "=== fuzz: build" >&2
CC=clang-14 CXX=clang++-14 cmake -S fuzz -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j 2 --target segment_fuzzer make_corpus

echo "=== fuzz: replay of the corpus ($(find fuzz/corpus -type f | wc -l) inputs)" >&2
"$fuzzer" "${limits[@]}" fuzz/corpus/* 2>"$build/replay.log" || { cat "$build/replay.log" >&2; exit 1; }

[ "$seconds" -gt 0 ] || exit 0
echo "=== fuzz: campaign of $seconds s" >&2
# New inputs go to a scratch corpus: the checked-in one changes only by hand (make_corpus).
rm -rf "$build/campaign" && mkdir -p "$build/campaign" "$build/artifacts"
status=0
"$fuzzer" "${limits[@]}" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$build/artifacts/" \
    "$build/campaign" fuzz/corpus >"$build/campaign.log" 2>&1 || status=$?
grep -E "^(==[0-9]+==|SUMMARY|ERROR|ALARM|artifact_prefix|Test unit written|    #[0-9]+ )" "$build/campaign.log" >&2 || true
executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/campaign.log")
echo "fuzz: ${executions:-unknown} executions in $seconds s, corpus of $(find "$build/campaign" -type f | wc -l) new inputs"
if [ "$status" -ne 0 ]; then
    echo "fuzz: FAILED (exit $status); full log in $build/campaign.log" >&2
    exit "$status"
fi
