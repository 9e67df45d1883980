#!/usr/bin/env bash
# Builds the optimised tree and runs the shoot-out (shmring's rings, topics and services against
# kernel IPC: every transport and pattern, the fan-out and the RPC pool included) in its quick form,
# after the ZeroMQ bridge's, the cells', locks' and semaphores' (bench/state/) and the Python package's
# (bench/python/shootout.py): the tables go to
# stdout; JSON, CSV and PNG plots go to results/. Extra arguments are passed on
# to shmring-bench (for example --cpu-dma-latency, or --full for the long run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh build-essential cmake ninja-build pkg-config libgtest-dev libgmock-dev \
    libbenchmark-dev libtbb-dev nlohmann-json3-dev libcli11-dev libzmq3-dev cppzmq-dev libcpp-httplib-dev gnuplot-nox \
    pybind11-dev python3-dev python3-numpy
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target shmring_bench shmring_bridge_bench shmring_state_bench shmring_python >&2
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
# Cells, locks and semaphores beside pthread's rwlock and robust mutex and POSIX semaphores.
state_mode=--quick
if [ -z "$mode" ]; then state_mode=; fi
build/release/bench/shmring-state-bench $state_mode --json results/state.json
echo
# Python programs: shmring's queue against multiprocessing and sockets, with the interpreter the
# build chose.
python=$(sed -n 's/^Python_EXECUTABLE:[A-Z]*=//p' build/release/CMakeCache.txt)
PYTHONPATH=build/release/python "${python:-python3}" bench/python/shootout.py --json results/python.json
echo
exec build/release/bench/shmring-bench $mode --json results/shootout.json --csv results/shootout.csv \
    --plot results "${arguments[@]+"${arguments[@]}"}"
