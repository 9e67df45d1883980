#!/usr/bin/env bash
# Installs the build tree into a scratch prefix, then builds and runs a consumer project that finds
# shmring there with find_package(shmring) and links shmring::core and shmring::shmring.
set -euo pipefail
build_dir=$1
source_dir=$(cd "$(dirname "$0")" && pwd)/consumer
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build_dir" --prefix "$scratch/prefix" >/dev/null
cmake -S "$source_dir" -B "$scratch/build" -G Ninja -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/build" >/dev/null
"$scratch/build/consumer_cpp"
"$scratch/build/consumer_c"
