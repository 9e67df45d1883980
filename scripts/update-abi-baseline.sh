#!/usr/bin/env bash
# Writes abi/<SONAME>.abi, the ABI that the test shared_library_abi_matches_its_baseline holds
# libshmring.so to, from the library of a build with debug info: build/dev (configured with the dev
# preset if it is not yet) or the build directory given.
#
#   bash scripts/update-abi-baseline.sh [build-dir]
#
# Run it for an intended ABI change, in the same commit as the new version (README, "ABI and
# SONAME"): the baseline of the previous SONAME is then replaced, and the difference printed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/abi.sh
build_dir=${1:-build/dev}
if [ $# -eq 0 ] && [ ! -f build/dev/CMakeCache.txt ]; then
    cmake --preset dev >/dev/null
fi
cmake --build "$build_dir" --target shmring
library=$build_dir/adapters/libshmring.so
baseline=$(shmring_abi_baseline "$library")
shmring_abi_dump "$library" >"$baseline.new"
mv "$baseline.new" "$baseline"
for previous in abi/*.abi; do
    if [ "$previous" -ef "$baseline" ]; then continue; fi
    echo "ABI changes from $previous:"
    abidiff "$previous" "$baseline" || true
    git rm -q "$previous" 2>/dev/null || rm "$previous"
done
echo "wrote ${baseline#"$PWD/"}"
