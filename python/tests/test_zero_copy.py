"""Loans and peeked messages: zero copy through the buffer protocol, and their lifetime rule."""

import numpy as np
import pytest

import shmring


@pytest.fixture
def queue(ring):
    shmring.create_queue(ring, 4, 1 << 20)
    with shmring.Queue(ring, "sender") as sender, shmring.Queue(ring, "receiver") as receiver:
        yield sender, receiver


def test_a_numpy_array_goes_through_without_a_copy(queue):
    sender, receiver = queue
    loan = sender.loan()
    assert len(loan) == 1 << 20
    array = np.frombuffer(loan, dtype=np.float64)
    assert not array.flags.owndata and array.flags.writeable
    array[:] = np.arange(array.size)
    del array
    loan.commit(1 << 20)
    message = receiver.peek()
    seen = np.frombuffer(message, dtype=np.float64)
    assert not seen.flags.writeable
    assert seen.sum() == np.arange((1 << 20) // 8).sum()
    del seen
    message.release()
    with pytest.raises(BlockingIOError):
        receiver.receive(0)


def test_a_loan_cannot_end_while_a_view_of_it_exists(queue):
    sender, receiver = queue
    loan = sender.loan()
    view = memoryview(loan)
    view[:3] = b"abc"
    with pytest.raises(BufferError):
        loan.commit(3)
    with pytest.raises(BufferError):
        sender.close()
    assert loan.open
    view.release()
    loan.commit(3)
    with pytest.raises(ValueError):
        memoryview(loan)
    with pytest.raises(OSError):
        loan.commit(3)
    assert receiver.receive() == b"abc"


def test_a_message_cannot_be_released_while_a_view_of_it_exists(queue):
    sender, receiver = queue
    sender.send(b"in place")
    message = receiver.peek()
    with memoryview(message) as view:
        assert bytes(view) == b"in place"
        with pytest.raises(BufferError):
            message.release()
    message.release()
    with pytest.raises(ValueError):
        memoryview(message)
    with pytest.raises(OSError):
        bytes(message)


def test_one_lease_at_a_time_per_handle(queue):
    sender, receiver = queue
    loan = sender.loan()
    with pytest.raises(BufferError):
        sender.send(b"x")
    with pytest.raises(BufferError):
        sender.loan()
    loan.abort()
    sender.send(b"first")
    sender.send(b"second")
    with receiver.peek() as message:
        assert bytes(message) == b"first"
        with pytest.raises(BufferError):
            receiver.receive()
    assert receiver.receive() == b"second"


def test_a_loan_left_by_a_with_block_is_aborted_and_a_dropped_one_too(queue):
    sender, receiver = queue
    with sender.loan() as loan:
        memoryview(loan)[:4] = b"lost"
    loan = sender.loan()
    del loan
    with sender.loan() as loan:
        with memoryview(loan) as view:
            view[:4] = b"kept"
        loan.commit(4)
    assert receiver.receive() == b"kept"
    with pytest.raises(BlockingIOError):
        receiver.receive(0)


def test_a_commit_longer_than_the_loan_raises_emsgsize_and_keeps_it_open(queue):
    sender, _ = queue
    loan = sender.loan()
    with pytest.raises(OSError):
        loan.commit(len(loan) + 1)
    assert loan.open
    loan.abort()


def test_closing_a_handle_ends_its_open_lease(queue):
    sender, receiver = queue
    sender.send(b"peeked")
    message = receiver.peek()
    receiver.close()
    assert not message.open
    with pytest.raises(ValueError):
        memoryview(message)
