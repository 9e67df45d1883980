"""Queues: messages in order, exactly once between Python processes, copy and zero copy."""

import errno
import os
import signal
import threading
import time

import pytest

import peers
import shmring


def test_messages_arrive_whole_and_in_order(ring):
    shmring.create_queue(ring, 16, 256)
    with shmring.Queue(ring, "sender") as sender, shmring.Queue(ring, "receiver") as receiver:
        assert sender.max_message_size == 256
        messages = [bytes([i]) * i for i in range(8)]
        for message in messages:
            sender.send(message)
        sender.send(bytearray(b"from a bytearray"))
        assert [receiver.receive() for _ in messages] == messages
        buffer = bytearray(256)
        assert receiver.receive_into(buffer) == 16
        assert buffer[:16] == b"from a bytearray"


def test_receive_into_a_small_buffer_raises_emsgsize_and_keeps_the_message(ring):
    shmring.create_queue(ring, 8, 256)
    with shmring.Queue(ring, "sender") as sender, shmring.Queue(ring, "receiver") as receiver:
        sender.send(b"y" * 100)
        with pytest.raises(OSError) as error:
            receiver.receive_into(bytearray(10))
        assert error.value.errno == errno.EMSGSIZE
        assert receiver.receive() == b"y" * 100


def test_a_receiver_iterates_over_messages(ring):
    shmring.create_queue(ring, 8, 64)
    with shmring.Queue(ring, "sender") as sender, shmring.Queue(ring, "receiver") as receiver:
        for i in range(5):
            sender.send(str(i).encode())
        assert [message for _, message in zip(range(5), receiver)] == [b"0", b"1", b"2", b"3", b"4"]


@pytest.mark.parametrize("engine", ["spsc", "mpmc"])
def test_a_full_queue_holds_max_messages(ring, engine):
    shmring.create_queue(ring, 4, 64, engine=engine)
    with shmring.Queue(ring, "sender") as sender:
        for _ in range(4):
            sender.send(b"m", 0)
        with pytest.raises(BlockingIOError):
            sender.send(b"m", 0)


def test_a_blocked_receive_releases_the_gil(ring):
    shmring.create_queue(ring, 4, 64)
    with shmring.Queue(ring, "sender") as sender, shmring.Queue(ring, "receiver") as receiver:
        got = []
        thread = threading.Thread(target=lambda: got.append(receiver.receive(10)))
        thread.start()
        # This thread runs Python while the other waits in receive.
        spins = 0
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            spins += 1
        sender.send(b"wake")
        thread.join(10)
        assert got == [b"wake"]
        assert spins > 10_000


def test_a_handle_in_use_by_another_thread_is_refused(ring):
    shmring.create_queue(ring, 4, 64)
    with shmring.Queue(ring, "sender") as sender, shmring.Queue(ring, "receiver") as receiver:
        thread = threading.Thread(target=lambda: receiver.receive(10))
        thread.start()
        time.sleep(0.1)
        with pytest.raises(RuntimeError):
            receiver.receive(0)
        sender.send(b"done")
        thread.join(10)


def test_ctrl_c_ends_a_wait_that_never_ends(ring):
    shmring.create_queue(ring, 4, 64)
    waiting = peers.SPAWN.Event()
    outcome = peers.SPAWN.Queue()
    child = peers.start(peers.receive_until_interrupted, ring, waiting, outcome)
    assert waiting.wait(30)
    time.sleep(0.3)
    os.kill(child.pid, signal.SIGINT)
    how, after = outcome.get(timeout=10)
    assert how == "interrupted"
    assert after < 5  # the wait ends within a slice (0.1 s) of the signal; generous for a loaded machine
    assert peers.join(child) == 0


def test_every_message_goes_to_exactly_one_receiver_between_processes(ring):
    producers, consumers, count = 2, 2, 20_000
    shmring.create_queue(ring, 64, 16, engine="mpmc")
    stop = peers.SPAWN.Event()
    results = peers.SPAWN.Queue()
    receivers = [peers.start(peers.consume, ring, results, stop) for _ in range(consumers)]
    senders = [peers.start(peers.produce, ring, p, count) for p in range(producers)]
    for sender in senders:
        assert peers.join(sender, 60) == 0
    stop.set()
    received = [results.get(timeout=60) for _ in receivers]
    for receiver in receivers:
        assert peers.join(receiver) == 0
    everything = sorted(record for part in received for record in part)
    assert everything == sorted((p, s) for p in range(producers) for s in range(1, count + 1))
    for part in received:  # in order per producer, in each receiver
        for p in range(producers):
            sequences = [s for producer, s in part if producer == p]
            assert sequences == sorted(sequences)


@pytest.mark.parametrize("engine", ["spsc", "mpmc"])
def test_batches_send_what_fits_and_receive_what_is_there(ring, engine):
    shmring.create_queue(ring, 8, 64, engine=engine)
    with shmring.Queue(ring, "sender") as sender, shmring.Queue(ring, "receiver") as receiver:
        messages = [bytes([i]) * (i + 1) for i in range(12)]
        assert sender.send_batch(messages) == 8
        with pytest.raises(BlockingIOError):
            sender.send_batch(messages[8:], 0)
        assert receiver.receive_batch(5) == messages[:5]
        assert receiver.receive_batch(100) == messages[5:8]
        with pytest.raises(BlockingIOError):
            receiver.receive_batch(4, 0)
        assert sender.send_batch([]) == 0
        with pytest.raises(OSError) as error:
            sender.send_batch([b"x" * 65, b"y"])
        assert error.value.errno == errno.EMSGSIZE
