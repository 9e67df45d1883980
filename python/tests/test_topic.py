"""Topics: every subscriber receives every message, in order; lossy subscribers count what they miss."""

import pytest

import peers
import shmring


def test_three_subscriber_processes_each_receive_every_message_in_order(ring):
    count = 20_000
    shmring.create_topic(ring, 64, 32)
    results = peers.SPAWN.Queue()
    readies = [peers.SPAWN.Event() for _ in range(3)]
    subscribers = [peers.start(peers.subscribe, ring, count, results, ready) for ready in readies]
    with shmring.Topic(ring, "publisher") as publisher:
        for ready in readies:
            assert ready.wait(30)
        for sequence in range(1, count + 1):
            publisher.publish(peers.RECORD.pack(0, sequence))
        outcomes = [results.get(timeout=60) for _ in subscribers]
    for subscriber in subscribers:
        assert peers.join(subscriber) == 0
    for sequences, total in outcomes:
        assert sequences == list(range(1, count + 1))
        assert total == count * (count + 1) // 2


def test_a_lossy_subscriber_counts_what_it_missed(ring):
    shmring.create_topic(ring, 4, 16, lossy=True)
    with shmring.Topic(ring, "publisher") as publisher, shmring.Topic(ring, "subscriber") as subscriber:
        for i in range(1, 101):
            publisher.publish(i.to_bytes(4, "little"), 0)
        sequence, message = subscriber.receive_with_sequence(0)
        assert sequence > 1
        assert int.from_bytes(message, "little") == sequence
        assert subscriber.lost == sequence - 1
        rest = [subscriber.receive_with_sequence(0)[0] for _ in range(100 - sequence)]
        assert rest == list(range(sequence + 1, 101))


def test_a_lossless_publisher_waits_for_its_slowest_subscriber(ring):
    shmring.create_topic(ring, 2, 16)
    with shmring.Topic(ring, "publisher") as publisher, shmring.Topic(ring, "subscriber") as subscriber:
        publisher.publish(b"1")
        publisher.publish(b"2")
        with pytest.raises(BlockingIOError):
            publisher.publish(b"3", 0)
        with subscriber.peek() as message:
            assert bytes(message) == b"1" and message.sequence == 1
        publisher.publish(b"3", 0)


def test_a_late_subscriber_from_oldest_starts_at_the_oldest_message_kept(ring):
    shmring.create_topic(ring, 8, 16, lossy=True)
    with shmring.Topic(ring, "publisher") as publisher:
        for i in range(3):
            publisher.publish(bytes([i]))
        with shmring.Topic(ring, "subscriber", from_oldest=True) as oldest, shmring.Topic(ring, "subscriber") as latest:
            assert oldest.receive(0) == b"\x00"
            with pytest.raises(BlockingIOError):
                latest.receive(0)
        with pytest.raises(ValueError):
            shmring.Topic(ring, "publisher", from_oldest=True)


def test_a_publisher_loan_publishes_in_place(ring):
    shmring.create_topic(ring, 4, 64)
    with shmring.Topic(ring, "publisher") as publisher, shmring.Topic(ring, "subscriber") as subscriber:
        with publisher.loan() as loan:
            with memoryview(loan) as view:
                view[:5] = b"hello"
            loan.commit(5)
        assert subscriber.receive_with_sequence(1) == (1, b"hello")
