"""Python shoot-out: shmring's queue against the standard library's IPC, between two processes.

    PYTHONPATH=build/release/python /usr/bin/python3 bench/python/shootout.py [--reps N] [--quick] [--json out.json]

A producer process sends messages to a consumer process; both are started with multiprocessing's
"spawn" method, and the parent only sets the channels up, supervises and reports. For 64-byte and
64 KiB messages it measures messages per second and MB/s (10^6 bytes per second) of:

  shmring copy         shmring.Queue (SPSC, adaptive wait; 1024 messages of 64 B or 32 of 64 KiB):
                       send() and receive()
  shmring zero copy    the same queue: loan(), the sequence numbers written into the loan in
                       place, commit(); peek(), the numbers read in place, release()
  shmring batch        the same queue: send_batch() and receive_batch() of 64 messages at a time
  mp.Queue             multiprocessing.Queue: put() and get()
  mp.Pipe              multiprocessing.Pipe(duplex=False): send_bytes() and recv_bytes()
  socketpair           socket.socketpair(AF_UNIX, SOCK_SEQPACKET): one send() and one recv() per
                       message, the socket keeping the message boundaries (no framing needed)

and then a 1 MiB NumPy array (uint64) handed from one process to the other, in arrays per second:

  shmring loan         a queue of 8 messages of 1 MiB: the producer fills np.frombuffer(loan) and
                       commits it; the consumer sums np.frombuffer(peek()) and releases it
  shared_memory+Queue  a pool of 8 multiprocessing.shared_memory blocks of 1 MiB, attached by both
                       processes beforehand: the producer takes a free block's index from a credit
                       queue, fills the block's array and puts the index on a multiprocessing.Queue;
                       the consumer sums the block and gives the index back on the credit queue

Both hand-overs thus allow 8 arrays in flight, and both write and read every byte of each array.

Verification: every message is exactly its size and carries its sequence number in its first and
in its last 8 bytes (an array: in every element); the consumer checks the length and the numbers of
every message, in order, and after the last repetition that no message is left over, so exactly
the count sent arrived. In the zero-copy rows only those 16 bytes are written and read: the payload
is what a producer would build in place, so their MB/s counts bytes handed over, not bytes copied
(the NumPy rows write and read every byte).

Timing: a repetition starts when both processes, their channel ends open, pass a
multiprocessing.Barrier, and ends when the consumer has checked the last message; the consumer
times it. Each measurement is repeated --reps times (default 3) in the same two processes and the
median is reported. The counts are chosen per transport and size so that a repetition takes about
a second on a two-core machine (the table prints them; --scale multiplies them). --quick is a smoke
run: a hundredth of the counts, one repetition. The ratio column compares each row with
multiprocessing.Queue at the same size (the NumPy rows with shared_memory+Queue); the spread column
is (fastest - slowest repetition) / median, for a noisy machine. Progress goes to stderr, the
tables to stdout.

Rings are named shootout-<pid>-..., so runs do not collide, and unlinked at the end, also on
failure; shared-memory blocks too. The exit status is 1 when a process fails, a check fails or a
process does not finish in time.
"""

import argparse
import contextlib
import functools
import json
import multiprocessing
import os
import platform
import queue
import socket
import statistics
import struct
import sys
import time
from multiprocessing import shared_memory

import numpy as np

import shmring

SPAWN = multiprocessing.get_context("spawn")

SMALL = 64
LARGE = 64 * 1024
ARRAY_BYTES = 1 << 20
ARRAY_WORDS = ARRAY_BYTES // 8
ARRAYS_IN_FLIGHT = 8  # queue depth of the shmring loan and pool size of the shared_memory blocks

SEQUENCE = struct.Struct("<Q")  # a message's sequence number, at its start and at its end
BARRIER_TIMEOUT = 120.0  # seconds a process waits for its peer at a barrier
JOIN_TIMEOUT = 10.0  # seconds a process has to exit once it has done its work
QUICK_DIVISOR = 100


class DataError(Exception):
    """A message arrived damaged, out of order, or one too many."""


def damaged(label, seq, message):
    return DataError(f"{label}: message {seq} arrived as {len(message)} bytes starting with "
                     f"{bytes(memoryview(message)[:16]).hex()}")


def frame(size):
    """The Struct that reads a message's two sequence numbers, at its start and at its end, at once."""
    return struct.Struct(f"<Q{size - 16}xQ")


def message_template(size):
    """A message's bytes; the sequence numbers are written over its first and last 8 bytes."""
    return bytearray((index * 131 + 7) & 0xFF for index in range(size))


def send_sequenced(send, size, count):
    """Sends messages 0..count-1 with send(buffer), each numbered at both ends. The hot loop of every
    transport whose send takes the buffer as it is (the others write theirs alike)."""
    message = message_template(size)
    tail = size - 8
    pack_into = SEQUENCE.pack_into
    for seq in range(count):
        pack_into(message, 0, seq)
        pack_into(message, tail, seq)
        send(message)


def receive_sequenced(label, receive, size, count):
    """Receives messages 0..count-1 with receive() and checks each one's size and numbers."""
    read = frame(size).unpack_from
    for seq in range(count):
        message = receive()
        if len(message) != size or read(message) != (seq, seq):
            raise damaged(label, seq, message)


# Transports. Each is a class, never instantiated, named in TRANSPORTS by its key (the processes
# receive the key, not the class):
#   make_channel(name, size, cleanup) -> (producer_arg, consumer_arg)   in the parent; resources
#       go on the ExitStack `cleanup`, closed after both processes ended
#   sender(arg) / receiver(arg): context managers giving a process its open end
#   send(end, size, count) / receive(end, size, count): one repetition's messages 0..count-1
#   flush(end): producer, after the last repetition: everything sent is in the channel
#   leftover(end): consumer, after flush: True when a message is still there
# The hot loops bind methods to local names (send_sequenced, receive_sequenced), the same way for
# every transport.


class ShmringCopy:
    label = "shmring copy"
    counts = {SMALL: 1_500_000, LARGE: 150_000}
    depth = {SMALL: 1024, LARGE: 32}  # messages in the ring: 64 KiB and 2 MiB

    @classmethod
    def make_channel(cls, name, size, cleanup):
        shmring.create_queue(name, cls.depth[size], size, engine="spsc")
        cleanup.callback(shmring.unlink, name)
        return name, name

    @staticmethod
    def sender(name):
        return shmring.Queue(name, "sender", wait=shmring.Wait.ADAPTIVE)

    @staticmethod
    def receiver(name):
        return shmring.Queue(name, "receiver", wait=shmring.Wait.ADAPTIVE)

    @staticmethod
    def send(ring, size, count):
        send_sequenced(ring.send, size, count)

    @classmethod
    def receive(cls, ring, size, count):
        receive_sequenced(cls.label, ring.receive, size, count)

    @staticmethod
    def flush(ring):
        pass  # a sent message is in the ring

    @staticmethod
    def leftover(ring):
        try:
            ring.receive(0)
        except BlockingIOError:
            return False
        return True


class ShmringZeroCopy(ShmringCopy):
    label = "shmring zero copy"
    counts = {SMALL: 400_000, LARGE: 300_000}

    @staticmethod
    def send(ring, size, count):
        tail = size - 8
        pack_into = SEQUENCE.pack_into
        loan = ring.loan
        for seq in range(count):
            room = loan()
            pack_into(room, 0, seq)
            pack_into(room, tail, seq)
            room.commit(size)

    @classmethod
    def receive(cls, ring, size, count):
        read = frame(size).unpack_from
        peek = ring.peek
        for seq in range(count):
            message = peek()
            if len(message) != size or read(message) != (seq, seq):
                raise damaged(cls.label, seq, message)
            message.release()


class ShmringBatch(ShmringCopy):
    label = "shmring batch"
    counts = {SMALL: 3_000_000, LARGE: 200_000}
    batch = 64  # messages per send_batch() and per receive_batch()

    @classmethod
    def send(cls, ring, size, count):
        # The batch's messages are rewritten in place for each batch: send_batch() copies them
        # into the ring before it returns.
        messages = [message_template(size) for _ in range(cls.batch)]
        tail = size - 8
        pack_into = SEQUENCE.pack_into
        send_batch = ring.send_batch
        for first in range(0, count, cls.batch):
            batch = messages[:min(cls.batch, count - first)]
            for offset, message in enumerate(batch):
                pack_into(message, 0, first + offset)
                pack_into(message, tail, first + offset)
            while batch:
                batch = batch[send_batch(batch):]

    @classmethod
    def receive(cls, ring, size, count):
        read = frame(size).unpack_from
        receive_batch = ring.receive_batch
        seq = 0
        while seq < count:
            for message in receive_batch(min(cls.batch, count - seq)):
                if len(message) != size or read(message) != (seq, seq):
                    raise damaged(cls.label, seq, message)
                seq += 1


class MpQueue:
    label = "mp.Queue"
    counts = {SMALL: 100_000, LARGE: 7_000}

    @staticmethod
    def make_channel(name, size, cleanup):
        channel = SPAWN.Queue()
        cleanup.callback(channel.close)
        return channel, channel

    @staticmethod
    def sender(channel):
        return contextlib.nullcontext(channel)

    receiver = sender

    @staticmethod
    def send(channel, size, count):
        message = message_template(size)
        tail = size - 8
        pack_into = SEQUENCE.pack_into
        put = channel.put
        for seq in range(count):
            pack_into(message, 0, seq)
            pack_into(message, tail, seq)
            put(bytes(message))  # put() pickles later, in the queue's thread: it needs its own copy

    @classmethod
    def receive(cls, channel, size, count):
        receive_sequenced(cls.label, channel.get, size, count)

    @staticmethod
    def flush(channel):
        channel.close()
        channel.join_thread()  # the queue's thread has written everything into the pipe

    @staticmethod
    def leftover(channel):
        try:
            channel.get(timeout=0.1)
        except queue.Empty:
            return False
        return True


class MpPipe:
    label = "mp.Pipe"
    counts = {SMALL: 400_000, LARGE: 20_000}

    @staticmethod
    def make_channel(name, size, cleanup):
        reader, writer = SPAWN.Pipe(duplex=False)
        cleanup.callback(reader.close)
        cleanup.callback(writer.close)
        return writer, reader

    @staticmethod
    def sender(connection):
        return connection

    receiver = sender

    @staticmethod
    def send(connection, size, count):
        send_sequenced(connection.send_bytes, size, count)

    @classmethod
    def receive(cls, connection, size, count):
        receive_sequenced(cls.label, connection.recv_bytes, size, count)

    @staticmethod
    def flush(connection):
        pass  # send_bytes() returns once the kernel has the message

    @staticmethod
    def leftover(connection):
        return connection.poll(0.1)


class SocketPair:
    label = "socketpair"
    counts = {SMALL: 400_000, LARGE: 50_000}

    @staticmethod
    def make_channel(name, size, cleanup):
        producer_end, consumer_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        cleanup.callback(producer_end.close)
        cleanup.callback(consumer_end.close)
        return producer_end, consumer_end

    @staticmethod
    def sender(end):
        return end

    receiver = sender

    @staticmethod
    def send(end, size, count):
        message = message_template(size)
        tail = size - 8
        pack_into = SEQUENCE.pack_into
        send = end.send
        for seq in range(count):
            pack_into(message, 0, seq)
            pack_into(message, tail, seq)
            if send(message) != size:  # a sequenced packet goes whole or not at all
                raise OSError(f"socketpair: message {seq} was sent in part")

    @classmethod
    def receive(cls, end, size, count):
        # A longer message shows up as size + 1 bytes rather than cut to size.
        receive_sequenced(cls.label, functools.partial(end.recv, size + 1), size, count)

    @staticmethod
    def flush(end):
        pass  # send() returns once the kernel has the message

    @staticmethod
    def leftover(end):
        end.settimeout(0.1)
        try:
            end.recv(1)
        except TimeoutError:
            return False
        return True


class ShmringArrays(ShmringCopy):
    label = "shmring loan"
    counts = {ARRAY_BYTES: 5_000}
    depth = {ARRAY_BYTES: ARRAYS_IN_FLIGHT}

    @staticmethod
    def send(ring, size, count):
        loan = ring.loan
        for seq in range(count):
            room = loan()
            np.frombuffer(room, dtype=np.uint64).fill(seq)  # the array (and its view) ends here
            room.commit(size)

    @classmethod
    def receive(cls, ring, size, count):
        peek = ring.peek
        for seq in range(count):
            message = peek()
            array = np.frombuffer(message, dtype=np.uint64)
            if array.size != ARRAY_WORDS or int(array.sum()) != seq * ARRAY_WORDS or array[-1] != seq:
                raise DataError(f"{cls.label}: array {seq} arrived with {array.size} elements, "
                                f"the first {array[:1]}, the last {array[-1:]}")
            del array  # the view must end before the message is released
            message.release()


class SharedMemoryArrays:
    label = "shared_memory+Queue"
    counts = {ARRAY_BYTES: 5_000}

    @staticmethod
    def make_channel(name, size, cleanup):
        names = []
        for _ in range(ARRAYS_IN_FLIGHT):
            block = shared_memory.SharedMemory(create=True, size=size)
            cleanup.callback(block.unlink)
            cleanup.callback(block.close)
            names.append(block.name)
        filled, credits = SPAWN.Queue(), SPAWN.Queue()  # indices of filled blocks; of free blocks
        cleanup.callback(filled.close)
        cleanup.callback(credits.close)
        return (names, filled, credits), (names, filled, credits)

    @staticmethod
    @contextlib.contextmanager
    def attached(names):
        """The blocks, attached, as NumPy arrays; detached at the end."""
        blocks = [shared_memory.SharedMemory(name=name) for name in names]
        arrays = [np.ndarray((ARRAY_WORDS,), dtype=np.uint64, buffer=block.buf) for block in blocks]
        try:
            yield arrays
        finally:
            arrays.clear()  # the arrays must end before their blocks are closed
            for block in blocks:
                block.close()

    @classmethod
    @contextlib.contextmanager
    def sender(cls, channel):
        names, filled, credits = channel
        with cls.attached(names) as arrays:
            for index in range(len(arrays)):
                credits.put(index)  # at first every block is free
            yield arrays, filled, credits

    @classmethod
    @contextlib.contextmanager
    def receiver(cls, channel):
        names, filled, credits = channel
        with cls.attached(names) as arrays:
            yield arrays, filled, credits

    @staticmethod
    def send(end, size, count):
        arrays, filled, credits = end
        take, put = credits.get, filled.put
        for seq in range(count):
            index = take()
            arrays[index].fill(seq)
            put(index)

    @classmethod
    def receive(cls, end, size, count):
        arrays, filled, credits = end
        take, give_back = filled.get, credits.put
        for seq in range(count):
            index = take()
            array = arrays[index]
            if int(array.sum()) != seq * ARRAY_WORDS or array[-1] != seq:
                raise DataError(f"{cls.label}: array {seq} arrived in block {index} with "
                                f"the first element {array[0]}, the last {array[-1]}")
            give_back(index)

    @staticmethod
    def flush(end):
        _, filled, _ = end
        filled.close()
        filled.join_thread()

    @staticmethod
    def leftover(end):
        _, filled, _ = end
        return MpQueue.leftover(filled)


TRANSPORTS = {
    "shmring-copy": ShmringCopy,
    "shmring-zero-copy": ShmringZeroCopy,
    "shmring-batch": ShmringBatch,
    "mp-queue": MpQueue,
    "mp-pipe": MpPipe,
    "socketpair": SocketPair,
    "shmring-arrays": ShmringArrays,
    "shared-memory-arrays": SharedMemoryArrays,
}
MESSAGE_TRANSPORTS = ["shmring-copy", "shmring-zero-copy", "shmring-batch", "mp-queue", "mp-pipe", "socketpair"]
ARRAY_TRANSPORTS = ["shmring-arrays", "shared-memory-arrays"]
MESSAGE_BASELINE = "mp-queue"
ARRAY_BASELINE = "shared-memory-arrays"


# The two processes.


def producer_main(key, arg, size, count, reps, barrier):
    transport = TRANSPORTS[key]
    with transport.sender(arg) as end:
        for _ in range(reps):
            barrier.wait(BARRIER_TIMEOUT)
            transport.send(end, size, count)
        transport.flush(end)
        barrier.wait(BARRIER_TIMEOUT)  # all sent: the consumer looks for a message too many
        barrier.wait(BARRIER_TIMEOUT)  # it has looked: the channel may close


def consumer_main(key, arg, size, count, reps, barrier, results):
    transport = TRANSPORTS[key]
    seconds = []
    with transport.receiver(arg) as end:
        for _ in range(reps):
            barrier.wait(BARRIER_TIMEOUT)
            start = time.perf_counter()
            transport.receive(end, size, count)
            seconds.append(time.perf_counter() - start)
        barrier.wait(BARRIER_TIMEOUT)
        if transport.leftover(end):
            raise DataError(f"{transport.label}: more than {count} messages arrived")
        barrier.wait(BARRIER_TIMEOUT)
    results.put(seconds)


# The parent.


class RunFailed(Exception):
    pass


def stop(processes):
    for process in processes:
        if process.pid is None:
            continue  # never started
        if process.is_alive():
            process.kill()
        process.join()


def measure(key, size, count, reps, deadline):
    """Runs `reps` repetitions of `count` messages of `size` bytes over transport `key` between
    two new processes; returns the consumer's seconds per repetition."""
    transport = TRANSPORTS[key]
    name = f"shootout-{os.getpid()}-{key}-{size}"
    what = f"{transport.label} {size_label(size)}"
    with contextlib.ExitStack() as cleanup:
        producer_arg, consumer_arg = transport.make_channel(name, size, cleanup)
        barrier = SPAWN.Barrier(2)
        results = SPAWN.Queue()
        cleanup.callback(results.close)
        processes = [
            SPAWN.Process(target=producer_main, name=f"producer {what}",
                          args=(key, producer_arg, size, count, reps, barrier)),
            SPAWN.Process(target=consumer_main, name=f"consumer {what}",
                          args=(key, consumer_arg, size, count, reps, barrier, results)),
        ]
        cleanup.callback(stop, processes)  # runs before the channel's own cleanup
        for process in processes:
            process.start()
        give_up = time.monotonic() + deadline
        seconds = None
        while seconds is None:
            try:
                seconds = results.get(timeout=0.2)
            except queue.Empty:
                failed = [p for p in processes if p.exitcode not in (None, 0)]
                if failed:
                    raise RunFailed(f"{failed[0].name} failed (exit status {failed[0].exitcode})") from None
                if all(p.exitcode == 0 for p in processes) and results.empty():
                    raise RunFailed(f"{what}: the consumer ended without a result")
                if time.monotonic() > give_up:
                    raise RunFailed(f"{what}: not done within {deadline:.0f} s") from None
        for process in processes:
            process.join(JOIN_TIMEOUT)
            if process.exitcode != 0:
                raise RunFailed(f"{process.name} did not end cleanly (exit status {process.exitcode})")
    return seconds


def size_label(size):
    if size >= 1 << 20:
        return f"{size >> 20} MiB"
    if size >= 1 << 10:
        return f"{size >> 10} KiB"
    return f"{size} B"


def run(keys, size, reps, divisor, scale, baseline):
    rows = []
    for key in keys:
        transport = TRANSPORTS[key]
        count = max(10, int(transport.counts[size] * scale) // divisor)
        print(f"  {transport.label:<20} {size_label(size):>6}  {count:>9,} x {reps} ...", end="", file=sys.stderr, flush=True)
        seconds = measure(key, size, count, reps, deadline=(60 + 30 * reps) * max(1.0, scale))
        rates = [count / s for s in seconds]
        rate = statistics.median(rates)
        print(f" {rate:>12,.0f} /s  ({', '.join(f'{s:.2f}' for s in seconds)} s)", file=sys.stderr, flush=True)
        rows.append({
            "transport": transport.label, "key": key, "size": size, "count": count,
            "seconds": seconds, "messages_per_s": rates,
            "median_messages_per_s": rate, "median_mb_per_s": rate * size / 1e6,
            "spread": (max(rates) - min(rates)) / rate,
        })
    base = next(row["median_messages_per_s"] for row in rows if row["key"] == baseline)
    for row in rows:
        row["ratio_vs_baseline"] = row["median_messages_per_s"] / base
    return rows


def print_table(title, rows, unit, baseline_label):
    print(f"\n{title}")
    ratio = f"vs {baseline_label}"
    width = max(len(ratio), 10)
    header = f"{'transport':<20} {'size':>6} {'count':>9} {unit + '/s':>13} {'MB/s':>10} {ratio:>{width}} {'spread':>7}"
    print(header)
    print("-" * len(header))
    for row in rows:
        spread = f"{row['spread']:.0%}" if len(row["seconds"]) > 1 else "-"
        print(f"{row['transport']:<20} {size_label(row['size']):>6} {row['count']:>9,} "
              f"{row['median_messages_per_s']:>13,.0f} {row['median_mb_per_s']:>10,.1f} "
              f"{row['ratio_vs_baseline']:>{width - 2}.2f} x {spread:>7}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=None, help="repetitions per measurement (default 3; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="smoke run: a hundredth of the counts, 1 repetition")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every count (default 1)")
    parser.add_argument("--json", metavar="PATH", help="also write every result as JSON")
    args = parser.parse_args()
    reps = args.reps if args.reps is not None else (1 if args.quick else 3)
    if reps < 1 or args.scale <= 0:
        parser.error("--reps and --scale must be positive")
    divisor = QUICK_DIVISOR if args.quick else 1

    started = time.monotonic()
    machine = {
        "python": platform.python_version(), "shmring": shmring.__version__, "numpy": np.__version__,
        "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()[0],
    }
    print(f"shmring {machine['shmring']}, Python {machine['python']}, NumPy {machine['numpy']}, "
          f"{machine['cpus']} CPUs, load average {machine['load_average_at_start']:.2f}; "
          f"median of {reps} repetition(s){' (quick)' if args.quick else ''}", file=sys.stderr)
    try:
        messages = []
        for size in (SMALL, LARGE):
            messages += run(MESSAGE_TRANSPORTS, size, reps, divisor, args.scale, MESSAGE_BASELINE)
        arrays = run(ARRAY_TRANSPORTS, ARRAY_BYTES, reps, divisor, args.scale, ARRAY_BASELINE)
    except (RunFailed, OSError) as error:
        print(f"\nshootout: {error}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started

    print_table("Messages, one producer process to one consumer process (median rates):", messages,
                "messages", "mp.Queue")
    print("  zero copy: only the 16 bytes checked are written and read in place; MB/s counts bytes handed over")
    print(f"  batch: send_batch() and receive_batch() of {ShmringBatch.batch} messages, each checked as in the other rows")
    print("  socketpair: AF_UNIX SOCK_SEQPACKET, one message per send()/recv()")
    print("  spread: (fastest - slowest repetition) / median")
    print_table("A 1 MiB NumPy array handed over, written and read whole (median rates):", arrays,
                "arrays", "shared_memory+Queue")

    small = {row["key"]: row["ratio_vs_baseline"] for row in messages if row["size"] == SMALL}
    print(f"\nshmring queue 64 B: {small['shmring-copy']:.1f} x multiprocessing.Queue "
          f"(zero copy: {small['shmring-zero-copy']:.1f} x, batches of {ShmringBatch.batch}: {small['shmring-batch']:.1f} x)")
    print(f"total time {elapsed:.1f} s", file=sys.stderr)

    if args.json:
        machine["load_average_at_end"] = os.getloadavg()[0]
        report = {
            "machine": machine, "reps": reps, "quick": args.quick, "scale": args.scale,
            "seconds_total": elapsed, "messages": messages, "arrays": arrays,
            "headline": {"shmring_copy_64B_vs_mp_queue": small["shmring-copy"],
                         "shmring_zero_copy_64B_vs_mp_queue": small["shmring-zero-copy"],
                         "shmring_batch_64B_vs_mp_queue": small["shmring-batch"]},
        }
        with open(args.json, "w") as out:
            json.dump(report, out, indent=2)
            out.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
