#!/usr/bin/env python3
"""Runs shmring-bridge-bench --smoke and checks its JSON: every row of every test, each figure positive.

  check_bridge_bench.py BENCH
"""
import json
import os
import subprocess
import sys
import tempfile

TESTS = ["64 B messages", "64 KiB messages", "one way p50 (paced)", "one way p99 (paced)",
         "vs zmq round trip p50", "vs zmq round trip p99"]


def main():
    bench = sys.argv[1]
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "bridge.json")
        run = subprocess.run([bench, "--smoke", "--json", path], capture_output=True, text=True, timeout=100)
        if run.returncode != 0:
            print("FAIL: exit status %d\n%s%s" % (run.returncode, run.stdout, run.stderr))
            return 1
        rows = json.load(open(path))
    tests = [row["test"] for row in rows if row["link"] == "loopback"]
    if tests != TESTS:
        print("FAIL: loopback rows %s, expected %s" % (tests, TESTS))
        return 1
    for row in rows:
        if not (row["bridge"] > 0 and row["zeromq"] > 0):
            print("FAIL: a figure is not positive: %s" % row)
            return 1
    print("ok: %d rows" % len(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
