#!/usr/bin/env python3
"""Checks of shmring-bench's own logic, run by CTest (label "bench").

  check_bench.py smoke   BENCH  every transport (and every fan-out and RPC pool row) passes verification in a --smoke run
  check_bench.py corrupt BENCH  the deliberately corrupting transport is reported FAILED
  check_bench.py files   BENCH  --json parses and --csv matches it, every row carrying every field
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

# The contract of --json and --csv: one row per (transport, mode, pattern, size) with all of these.
FIELDS = [
    "transport", "mode", "pattern", "size_bytes", "status", "detail", "reps", "messages_per_rep",
    "warmup_messages", "buffer_bytes", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns", "p50_min_ns",
    "p50_max_ns", "msgs_per_s", "msgs_per_s_min", "msgs_per_s_max", "bytes_per_s", "cpu_parent_ns_per_msg",
    "cpu_child_ns_per_msg", "x_pipe", "x_floor", "floor", "cpu_dma_latency", "parent_cpu", "child_cpu",
    "profile", "load_before",
]
RUN_FIELDS = ["profile", "started_utc", "wall_seconds", "load_before", "load_after", "hostname", "kernel", "cpu_model",
              "usable_cpus", "parent_cpu", "child_cpu", "cpu_dma_latency", "reps"]


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def run(bench, *args):
    result = subprocess.run([bench, *args], capture_output=True, text=True, timeout=300)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr[-4000:])
    return result


def transports(bench):
    listing = run(bench, "--list").stdout
    return [line.split()[0] for line in listing.splitlines() if line and "[only when named]" not in line]


def load_json(path):
    with open(path) as f:
        return json.load(f)


def check_smoke(bench, workdir):
    path = os.path.join(workdir, "smoke.json")
    result = run(bench, "--smoke", "--json", path)
    if result.returncode != 0:
        fail("--smoke exited with %d" % result.returncode)
    rows = load_json(path)["results"]
    bad = [r for r in rows if r["status"] not in ("ok", "skipped")]
    if bad:
        fail("rows not ok: %s" % [(r["transport"], r["mode"], r["pattern"], r["size_bytes"], r["detail"]) for r in bad])
    ran = {r["transport"] for r in rows if r["status"] == "ok"}
    missing = set(transports(bench)) - ran
    if missing:
        fail("transports without a verified run: %s" % sorted(missing))
    if any(r["reps"] < 1 for r in rows if r["status"] == "ok"):
        fail("a verified row without repetitions")
    fanout = load_json(path)["fanout"]
    failed = [f for f in fanout if f["error"] or not f["messages_per_s"]]
    if failed:
        fail("fan-out rows not verified: %s" % [(f["transport"], f["mode"], f["receivers"], f["error"]) for f in failed])
    seen = {(f["transport"], f["receivers"]) for f in fanout}
    wanted = {(t, n) for t in ("shmring-topic", "pipes") for n in (1, 2, 4)} | {("lossy-publisher", 0), ("lossy-publisher", 1)}
    if not wanted <= seen:
        fail("fan-out rows missing: %s" % sorted(wanted - seen))
    rpc_pool = load_json(path)["rpc_pool"]
    failed = [r for r in rpc_pool if r["error"] or not r["calls_per_s"]]
    if failed:
        fail("RPC pool rows not verified: %s" % [(r["transport"], r["mode"], r["error"]) for r in failed])
    if any((r["servers"], r["clients"], r["in_flight_per_client"]) != (2, 4, 8) for r in rpc_pool):
        fail("RPC pool rows of another shape than 2 servers, 4 clients, 8 calls in flight each")
    seen = {(r["transport"], r["mode"]) for r in rpc_pool}
    wanted = {("shmring-service", m) for m in ("spin", "adaptive", "block")} | {("unix-stream", "block")}
    if seen != wanted:
        fail("RPC pool rows: %s, expected %s" % (sorted(seen), sorted(wanted)))


def check_corrupt(bench, workdir):
    path = os.path.join(workdir, "corrupt.json")
    result = run(bench, "--smoke", "--transport", "corrupt-test", "--json", path)
    if result.returncode != 1:
        fail("a run over corrupt-test must exit with 1, got %d" % result.returncode)
    if "FAILED" not in result.stdout:
        fail("the table does not say FAILED")
    rows = load_json(path)["results"]
    if not rows:
        fail("no rows for corrupt-test")
    passed = [r for r in rows if r["status"] != "FAILED"]
    if passed:
        fail("corrupt-test rows not FAILED: %s" % [(r["pattern"], r["size_bytes"], r["status"]) for r in passed])
    for r in rows:
        if "corrupt" not in r["detail"] and "sequence" not in r["detail"]:
            fail("the failure does not name the corruption: " + r["detail"])
        if r["msgs_per_s"] is not None or r["p50_ns"] is not None:
            fail("a FAILED row still reports a speed")


def check_files(bench, workdir):
    json_path = os.path.join(workdir, "rows.json")
    csv_path = os.path.join(workdir, "rows.csv")
    result = run(bench, "--smoke", "--transport", "pipe,line-floor,naive-ring,shmring-spsc,posix-mq",
                 "--json", json_path, "--csv", csv_path)
    if result.returncode != 0:
        fail("exited with %d" % result.returncode)
    document = load_json(json_path)
    for field in RUN_FIELDS:
        if field not in document["run"]:
            fail("run information lacks " + field)
    rows = document["results"]
    keys = set()
    for r in rows:
        if list(r.keys()) != FIELDS:
            fail("row fields differ: %s" % sorted(set(FIELDS) ^ set(r.keys())))
        key = (r["transport"], r["mode"], r["pattern"], r["size_bytes"])
        if key in keys:
            fail("two rows for %s" % (key,))
        keys.add(key)
    patterns = {r["pattern"] for r in rows}
    if patterns != {"latency", "throughput", "bulk", "paced"}:
        fail("patterns present: %s" % sorted(patterns))
    if not any(r["status"] == "skipped" and r["transport"] == "posix-mq" and r["size_bytes"] == 65536 for r in rows):
        fail("posix-mq at 65536 bytes should be reported as skipped")
    for r in rows:
        if r["status"] != "ok":
            continue
        if r["pattern"] == "latency":
            needed = ["p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns", "cpu_parent_ns_per_msg", "cpu_child_ns_per_msg"]
            if not r["p50_ns"] <= r["p90_ns"] <= r["p99_ns"] <= r["p999_ns"] <= r["max_ns"]:
                fail("percentiles out of order in %s" % r)
        else:
            needed = ["msgs_per_s", "bytes_per_s", "cpu_parent_ns_per_msg", "cpu_child_ns_per_msg"]
        for field in needed:
            if not isinstance(r[field], (int, float)) or r[field] <= 0:
                fail("%s %s %s: %s = %r" % (r["transport"], r["pattern"], r["size_bytes"], field, r[field]))
        if r["pattern"] in ("latency", "throughput") and r["transport"] == "shmring-spsc" and r["x_pipe"] is None:
            fail("no ratio against the pipe for shmring-spsc " + r["pattern"])
    with open(csv_path, newline="") as f:
        table = list(csv.reader(f))
    if table[0] != FIELDS:
        fail("CSV header differs from the JSON fields")
    if len(table) - 1 != len(rows):
        fail("CSV has %d rows, JSON %d" % (len(table) - 1, len(rows)))


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("smoke", "corrupt", "files"):
        fail(__doc__)
    check = {"smoke": check_smoke, "corrupt": check_corrupt, "files": check_files}[sys.argv[1]]
    with tempfile.TemporaryDirectory() as workdir:
        check(sys.argv[2], workdir)
    print("PASS")


if __name__ == "__main__":
    main()
