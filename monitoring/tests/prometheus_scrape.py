#!/usr/bin/env python3
"""A real Prometheus server scrapes a real exporter.

The test starts `shmring exporter` and Debian's `prometheus` on loopback ports of its own, with a
scrape interval of one second, moves a counter with `shmring send`, and asks Prometheus' HTTP API
until the scraped value is what was sent. Every wait is bounded; both servers are stopped and their
files removed on the way out, whatever happens.

Usage: prometheus_scrape.py SHMRING_BINARY
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

DEADLINE_SECONDS = 60


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def until(what, condition):
    """Calls condition() every 250 ms until it returns a true value, for at most DEADLINE_SECONDS."""
    give_up = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < give_up:
        try:
            value = condition()
            if value:
                return value
        except (OSError, ValueError):
            pass  # not listening yet, or an answer not complete yet
        time.sleep(0.25)
    raise SystemExit(f"FAIL: no {what} within {DEADLINE_SECONDS} s")


def query(prometheus, expression):
    url = f"http://127.0.0.1:{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    answer = get_json(url)
    if answer["status"] != "success":
        raise ValueError(answer)
    return answer["data"]["result"]


def main():
    tool = sys.argv[1]
    ring = f"test.prometheus.{os.getpid()}"
    workdir = tempfile.mkdtemp(prefix="shmring-prometheus-")
    processes = []
    try:
        subprocess.run([tool, "create", "queue", ring, "--messages", "64", "--message-size", "64"], check=True)
        exporter_port, prometheus_port = free_port(), free_port()
        processes.append(subprocess.Popen([tool, "exporter", "--listen", f"127.0.0.1:{exporter_port}", ring]))
        config = os.path.join(workdir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: shmring\n"
                    f"    static_configs:\n      - targets: ['127.0.0.1:{exporter_port}']\n")
        processes.append(subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={workdir}/data",
             f"--web.listen-address=127.0.0.1:{prometheus_port}", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "prometheus.log"), "w")))

        until("ready Prometheus", lambda: urllib.request.urlopen(
            f"http://127.0.0.1:{prometheus_port}/-/ready", timeout=5).status == 200)
        counter = f'shmring_ring_messages_total{{ring="{ring}",side="producer"}}'
        until("first scrape of the ring", lambda: query(prometheus_port, counter))
        subprocess.run([tool, "send", ring] + [f"m{i}" for i in range(7)], check=True)
        until("scrape of 7 messages sent",
              lambda: [r for r in query(prometheus_port, counter) if r["value"][1] == "7"])

        targets = get_json(f"http://127.0.0.1:{prometheus_port}/api/v1/targets")["data"]["activeTargets"]
        target = next(t for t in targets if t["labels"]["job"] == "shmring")
        if target["health"] != "up" or target["lastError"]:
            raise SystemExit(f"FAIL: target {target['health']}: {target['lastError']}")
        info = query(prometheus_port, f'shmring_ring_info{{ring="{ring}"}}')
        if info[0]["metric"].get("kind") != "queue":
            raise SystemExit(f"FAIL: shmring_ring_info: {info}")
        scraped = query(prometheus_port, counter)[0]
        print(f"Prometheus scraped {counter} = {scraped['value'][1]} "
              f"(target {target['scrapeUrl']}: {target['health']})")
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        subprocess.run([tool, "rm", ring], stderr=subprocess.DEVNULL)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
