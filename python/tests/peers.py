"""Code the tests run in other processes (multiprocessing with the spawn start method: each child
imports shmring afresh and opens its own handles, as handles do not survive fork)."""

import multiprocessing
import os
import signal
import struct
import time

import shmring

SPAWN = multiprocessing.get_context("spawn")
RECORD = struct.Struct("<IQ")  # producer id, sequence number


def start(target, *args):
    process = SPAWN.Process(target=target, args=args)
    process.start()
    return process


def join(process, timeout=30):
    process.join(timeout)
    if process.is_alive():
        process.kill()
        process.join()
        raise AssertionError(f"{process.name} did not finish within {timeout} s")
    return process.exitcode


def produce(name, producer, count):
    """Sends `count` records (producer, 1..count) to queue `name`."""
    with shmring.Queue(name, "sender") as queue:
        for sequence in range(1, count + 1):
            queue.send(RECORD.pack(producer, sequence))


def consume(name, results, stop):
    """Receives records from queue `name` until `stop` is set and the queue stays empty; puts the
    list of (producer, sequence) received, in order, on `results`."""
    received = []
    with shmring.Queue(name, "receiver") as queue:
        while True:
            try:
                received.append(RECORD.unpack(queue.receive(0.05)))
            except TimeoutError:
                if stop.is_set():
                    break
    results.put(received)


def subscribe(name, count, results, ready):
    """Subscribes to topic `name`, receives `count` messages and puts (sequences, payloads' sum) on `results`."""
    with shmring.Topic(name, "subscriber") as topic:
        ready.set()
        sequences = []
        total = 0
        for _ in range(count):
            sequence, message = topic.receive_with_sequence(10)
            sequences.append(sequence)
            total += RECORD.unpack(message)[1]
    results.put((sequences, total))


def write_then_hang(name, data, written):
    """Writes `data` into pipe `name`, says so, and waits to be killed."""
    pipe = shmring.Pipe(name, "w")
    pipe.write(data)
    written.set()
    time.sleep(60)


def read_then_hang(name, opened):
    """Opens pipe `name` for reading, says so, and waits to be killed."""
    pipe = shmring.Pipe(name, "r")
    opened.set()
    time.sleep(60)
    pipe.close()


def serve_forever(name, ready):
    """Serves service `name`: each response is the request reversed."""
    with shmring.Service(name, "server") as server:
        ready.set()
        server.serve(lambda request: bytes(reversed(request)))


def take_then_hang(name, ready, taken):
    """Takes one request of service `name` without answering it, says so, and waits to be killed."""
    server = shmring.Service(name, "server")
    ready.set()
    server.receive(10)
    taken.set()
    time.sleep(60)


def receive_until_interrupted(name, waiting, outcome):
    """Waits for a message of queue `name` that never comes; reports how the wait ended."""
    queue = shmring.Queue(name, "receiver")
    waiting.set()
    started = time.monotonic()
    try:
        queue.receive()
        outcome.put(("received", 0.0))
    except KeyboardInterrupt:
        outcome.put(("interrupted", time.monotonic() - started))


def cell_value(version, size):
    """What write_cell_values writes as `version`: up to `size` bytes, each of them version % 251."""
    return bytes([version % 251]) * (size - version % 7)


def write_cell_values(name, count, size):
    """Writes versions 1..count of cell `name` (cell_value)."""
    with shmring.Cell(name) as cell:
        for version in range(1, count + 1):
            cell.write(cell_value(version, size))


def hold_lock_then_hang(name, held):
    """Takes lock `name`, says so, and waits to be killed holding it."""
    lock = shmring.Lock(name)
    lock.acquire(10)
    held.set()
    time.sleep(60)


def echo_posts(ping, pong, count):
    """`count` times: takes one from semaphore `ping`, then posts semaphore `pong`."""
    with shmring.Semaphore(ping) as incoming, shmring.Semaphore(pong) as outgoing:
        for _ in range(count):
            incoming.wait(10)
            outgoing.post()


def kill(process):
    os.kill(process.pid, signal.SIGKILL)
    process.join(10)
