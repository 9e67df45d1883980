"""asyncio: the *_async methods wait on the handles' descriptors; cancelling one loses nothing."""

import asyncio

import pytest

import peers
import shmring


def test_receive_async_waits_for_a_message_on_the_event_loop(ring):
    shmring.create_queue(ring, 4, 64)

    async def scenario():
        with shmring.Queue(ring, "sender") as sender, shmring.Queue(ring, "receiver") as receiver:
            waiting = asyncio.create_task(receiver.receive_async())
            ticks = 0
            while ticks < 5:  # the loop runs other tasks meanwhile
                await asyncio.sleep(0.01)
                ticks += 1
            assert not waiting.done()
            sender.send(b"async")
            return await asyncio.wait_for(waiting, 10)

    assert asyncio.run(scenario()) == b"async"


def test_a_cancelled_receive_consumes_nothing(ring):
    shmring.create_queue(ring, 4, 64)

    async def scenario():
        with shmring.Queue(ring, "sender") as sender, shmring.Queue(ring, "receiver") as receiver:
            waiting = asyncio.create_task(receiver.receive_async())
            await asyncio.sleep(0.02)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            with pytest.raises(TimeoutError):
                await receiver.receive_async(timeout=0.02)
            sender.send(b"still here")
            return await receiver.receive_async(timeout=10)

    assert asyncio.run(scenario()) == b"still here"


def test_send_async_waits_for_room(ring):
    shmring.create_queue(ring, 1, 64)

    async def scenario():
        with shmring.Queue(ring, "sender") as sender, shmring.Queue(ring, "receiver") as receiver:
            await sender.send_async(b"one")
            second = asyncio.create_task(sender.send_async(b"two"))
            await asyncio.sleep(0.02)
            assert not second.done()
            assert receiver.receive(0) == b"one"
            await asyncio.wait_for(second, 10)
            return receiver.receive(1)

    assert asyncio.run(scenario()) == b"two"


def test_topics_and_services_have_async_calls(ring):
    shmring.create_topic(ring, 4, 64)
    shmring.create_service(ring + "-svc", 4, 64, 64)
    ready = peers.SPAWN.Event()
    server = peers.start(peers.serve_forever, ring + "-svc", ready)

    async def scenario():
        with shmring.Topic(ring, "publisher") as publisher, shmring.Topic(ring, "subscriber") as subscriber, \
                shmring.Service(ring + "-svc", "client") as client:
            receiving = asyncio.create_task(subscriber.receive_with_sequence_async())
            await asyncio.sleep(0.01)
            await publisher.publish_async(b"news")
            calls = await asyncio.gather(*(client.call_async(bytes([65 + i]) * 2 + b"!", 10) for i in range(3)))
            return await receiving, calls

    try:
        assert ready.wait(30)
        received, calls = asyncio.run(scenario())
        assert received == (1, b"news")
        assert calls == [b"!AA", b"!BB", b"!CC"]
    finally:
        peers.kill(server)
        shmring.unlink(ring + "-svc")


def test_a_cancelled_call_is_given_up(ring):
    shmring.create_service(ring, 4, 64, 64)

    async def scenario():
        with shmring.Service(ring, "server") as server, shmring.Service(ring, "client") as client:
            with pytest.raises(TimeoutError):
                await client.call_async(b"never answered", timeout=0.05)
            # Given up: the server may still take the request, but its answer goes nowhere, and
            # the client's next call gets its own response.
            try:
                request_id, _ = server.receive(0)
                server.reply(request_id, b"dropped")
            except BlockingIOError:
                pass
            calling = asyncio.create_task(client.call_async(b"next", timeout=10))
            await asyncio.sleep(0.01)
            request_id, request = server.receive(1)
            server.reply(request_id, request + b" answered")
            assert await calling == b"next answered"

    asyncio.run(scenario())


def test_many_calls_of_one_client_wait_together(ring):
    shmring.create_service(ring, 16, 64, 64)

    async def scenario():
        with shmring.Service(ring, "server") as server, shmring.Service(ring, "client") as client:
            calls = [asyncio.create_task(client.call_async(bytes([i]), timeout=10)) for i in range(8)]
            await asyncio.sleep(0.05)  # every call is sent and waits on the client's one descriptor
            for _ in range(8):
                request_id, request = server.receive(1)
                server.reply(request_id, request * 2)
                await asyncio.sleep(0.005)
            return await asyncio.gather(*calls)

    assert asyncio.run(scenario()) == [bytes([i]) * 2 for i in range(8)]
