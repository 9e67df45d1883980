"""Misuse and edge cases: closed handles, tiny timeouts, calls given up, asyncio timeouts of 0,
handles closed under waiting coroutines, bad argument types, exceptions inside with blocks."""

import asyncio
import errno
import random
import time

import pytest

import shmring


def test_set_wait_on_a_closed_handle_raises_value_error(ring):
    shmring.create_queue(ring, 4, 64)
    queue = shmring.Queue(ring, "sender")
    queue.close()
    with pytest.raises(ValueError):
        queue.set_wait(shmring.Wait.BLOCK)
    shmring.create_pipe(ring + "-pipe", 4096)
    try:
        pipe = shmring.Pipe(ring + "-pipe", "w")
        pipe.close()
        with pytest.raises(ValueError):
            pipe.set_wait(shmring.Wait.BLOCK)
    finally:
        shmring.unlink(ring + "-pipe")


def test_a_positive_timeout_that_passes_is_always_a_timeout(ring):
    shmring.create_queue(ring, 4, 64)
    with shmring.Queue(ring, "receiver") as receiver:
        outcomes = set()
        for _ in range(3000):
            try:
                receiver.receive(random.uniform(1e-7, 3e-6))
            except OSError as error:
                outcomes.add(type(error))
        assert outcomes == {TimeoutError}


def test_a_call_that_only_tries_gives_its_call_slot_back(ring):
    shmring.create_service(ring, 2, 64, 64)
    with shmring.Service(ring, "server") as server, shmring.Service(ring, "client") as client:
        for _ in range(2):
            with pytest.raises(BlockingIOError):
                client.call(b"now or never", 0)
        for _ in range(2):
            try:
                request_id, _ = server.receive(0)
                server.reply(request_id, b"dropped")
            except BlockingIOError:
                pass
        request_id = client.send(b"still room", 1)
        served_id, request = server.receive(1)
        server.reply(served_id, request)
        assert client.wait(request_id, 1) == b"still room"


def test_waiting_for_one_call_while_another_response_waits_does_not_spin(ring):
    shmring.create_service(ring, 4, 64, 64)
    with shmring.Service(ring, "server") as server, shmring.Service(ring, "client") as client:
        answered = client.send(b"a")
        pending = client.send(b"b")
        request_id, _ = server.receive(1)
        assert request_id == answered
        server.reply(request_id, b"A")
        cpu = time.process_time()
        with pytest.raises(TimeoutError):
            client.wait(pending, 0.5)
        assert time.process_time() - cpu < 0.25  # asleep most of the half second, not polling hot
        assert client.wait(answered, 1) == b"A"


def test_async_calls_with_a_timeout_of_0_still_try(ring):
    shmring.create_queue(ring, 4, 64)

    async def scenario():
        with shmring.Queue(ring, "sender") as sender, shmring.Queue(ring, "receiver") as receiver:
            await sender.send_async(b"ready", timeout=0)
            return await receiver.receive_async(timeout=0)

    assert asyncio.run(scenario()) == b"ready"


def test_closing_a_handle_ends_the_coroutines_waiting_on_it(ring):
    shmring.create_queue(ring, 4, 64, engine="mpmc")

    async def scenario():
        first = shmring.Queue(ring, "receiver")
        waiting = asyncio.create_task(first.receive_async())
        await asyncio.sleep(0.02)
        first.close()
        with pytest.raises(ValueError):
            await asyncio.wait_for(waiting, 5)
        with shmring.Queue(ring, "receiver") as second, shmring.Queue(ring, "sender") as sender:
            receiving = asyncio.create_task(second.receive_async(timeout=5))
            await asyncio.sleep(0.02)
            sender.send(b"to the second")
            return await receiving

    assert asyncio.run(scenario()) == b"to the second"


def test_bad_argument_types_raise_type_or_overflow_errors(ring):
    shmring.create_queue(ring, 4, 64)
    with shmring.Queue(ring, "sender") as sender:
        with pytest.raises(TypeError):
            sender.send(b"x", "1")
        with pytest.raises(TypeError):
            sender.send("not bytes")
        with sender.loan() as loan:
            with pytest.raises(TypeError):
                loan.commit("3")
            with pytest.raises(OverflowError):
                loan.commit(-1)
            assert loan.open


def test_an_exception_in_a_with_block_is_not_replaced_by_a_view_still_alive(ring):
    shmring.create_queue(ring, 4, 64)
    with shmring.Queue(ring, "sender") as sender:
        with pytest.raises(KeyError):
            with sender.loan() as loan:
                view = memoryview(loan)
                raise KeyError("the block's own error")
        view.release()
        del loan, view
        sender.send(b"the handle goes on", 0)


def test_a_receive_errno_is_raised_with_the_ring_name(ring):
    shmring.create_queue(ring, 4, 64)
    with shmring.Queue(ring, "receiver") as receiver:
        with pytest.raises(BlockingIOError) as error:
            receiver.receive(0)
        assert error.value.errno == errno.EAGAIN and error.value.filename == ring
