#!/usr/bin/env bash
# Fails if libshmring.so exports any symbol besides the C API (shmring_*): the C++ code compiled
# into it must stay private to it (adapters/libshmring.map).
set -euo pipefail
library=$1
exported=$(nm -D --defined-only "$library" | awk '{ print $NF }')
if ! grep -qx shmring_version <<<"$exported"; then
    echo "$library does not export shmring_version"
    exit 1
fi
others=$(grep -v '^shmring_' <<<"$exported" || true)
if [ -n "$others" ]; then
    echo "$library exports symbols outside the C API:"
    echo "$others"
    exit 1
fi
echo "$(wc -l <<<"$exported") symbols exported, all shmring_*"
