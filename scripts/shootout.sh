#!/usr/bin/env bash
# Builds the optimised tree and runs the shoot-out (shmring's rings, topics and services against
# kernel IPC: every transport and pattern, the fan-out and the RPC pool included) in its quick form:
# the tables go to stdout; JSON, CSV and PNG plots go to results/. Extra arguments are passed on
# to shmring-bench (for example --cpu-dma-latency, or --full for the long run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh build-essential cmake ninja-build pkg-config libgtest-dev libgmock-dev \
    libbenchmark-dev libtbb-dev nlohmann-json3-dev libcli11-dev libzmq3-dev cppzmq-dev gnuplot-nox
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target shmring_bench shmring_bridge_bench >&2
mkdir -p results
mode=--quick
for argument in "$@"; do
    if [ "$argument" = --full ]; then mode=; fi
done
arguments=()
for argument in "$@"; do
    if [ "$argument" != --full ]; then arguments+=("$argument"); fi
done
# The ZeroMQ bridge beside raw ZeroMQ, on loopback and on a veth pair between two network namespaces
# (loopback only where the machine cannot make them).
bridge_mode=--quick
if [ -z "$mode" ]; then bridge_mode=; fi
build/release/bench/shmring-bridge-bench $bridge_mode --veth --json results/bridge.json
echo
exec build/release/bench/shmring-bench $mode --json results/shootout.json --csv results/shootout.csv \
    --plot results "${arguments[@]+"${arguments[@]}"}"
