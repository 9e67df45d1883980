#!/usr/bin/env bash
# Compares the ABI of a built libshmring.so with abi/<SONAME>.abi and fails on any difference,
# compatible or not: an added function fails too, so that the baseline and the version change
# together, on purpose (scripts/update-abi-baseline.sh). Exits 77 (skipped) when the library has
# no debug info to read the types from.
set -euo pipefail
source "$(dirname "$0")/../../scripts/abi.sh"
library=$1
baseline=$(shmring_abi_baseline "$library")
if [ ! -f "$baseline" ]; then
    echo "no ABI baseline ${baseline#"$shmring_root/"} for this SONAME: write it with scripts/update-abi-baseline.sh"
    exit 1
fi
built=$(mktemp)
trap 'rm -f "$built"' EXIT
shmring_abi_dump "$library" >"$built" || exit $?

# abidiff's status is a bit set: 1 error, 2 usage error, 4 the ABI changed, 8 incompatibly.
status=0
abidiff "$baseline" "$built" || status=$?
if [ $((status & 3)) -ne 0 ]; then
    echo "abidiff failed (status $status)"
    exit 1
elif [ $((status & 8)) -ne 0 ]; then
    echo "the ABI changed incompatibly: keep the old functions, or release a new version (README, \"ABI and SONAME\")"
    exit 1
elif [ $((status & 4)) -ne 0 ]; then
    echo "the ABI changed: release it as a new version and run scripts/update-abi-baseline.sh (README, \"ABI and SONAME\")"
    exit 1
fi
echo "the ABI matches ${baseline#"$shmring_root/"}"
