"""Services: calls answered exactly once, refused without a server, reset when the server dies."""

import errno

import pytest

import peers
import shmring


def test_a_call_is_answered_by_a_server_process(ring):
    shmring.create_service(ring, 8, 64, 64)
    ready = peers.SPAWN.Event()
    server = peers.start(peers.serve_forever, ring, ready)
    try:
        assert ready.wait(30)
        with shmring.Service(ring, "client") as client:
            assert client.call(b"abc", 10) == b"cba"
            ids = [client.send(str(i).encode() * 3) for i in range(5)]
            responses = [client.wait(request_id, 10) for request_id in reversed(ids)]
            assert responses == [str(i).encode() * 3 for i in reversed(range(5))]
    finally:
        peers.kill(server)


def test_a_call_without_a_server_is_refused(ring):
    shmring.create_service(ring, 8, 64, 64)
    with shmring.Service(ring, "client") as client:
        with pytest.raises(ConnectionRefusedError):
            client.call(b"anyone?", 1)


def test_a_call_whose_server_is_killed_is_reset(ring):
    shmring.create_service(ring, 8, 64, 64)
    ready, taken = peers.SPAWN.Event(), peers.SPAWN.Event()
    server = peers.start(peers.take_then_hang, ring, ready, taken)
    assert ready.wait(30)
    with shmring.Service(ring, "client") as client:
        request_id = client.send(b"doomed", 10)
        assert taken.wait(30)
        peers.kill(server)
        with pytest.raises(ConnectionResetError):
            client.wait(request_id, 10)


def test_a_wait_that_times_out_gives_the_call_up(ring):
    shmring.create_service(ring, 8, 64, 64)
    with shmring.Service(ring, "server") as server, shmring.Service(ring, "client") as client:
        request_id = client.send(b"slow")
        with pytest.raises(BlockingIOError):
            client.wait(request_id, 0)  # only looks: still pending
        with pytest.raises(TimeoutError):
            client.wait(request_id, 0.05)
        try:  # a server may still take the request; its answer is dropped
            served_id, request = server.receive(0)
            assert (served_id, request) == (request_id, b"slow")
            server.reply(served_id, b"too late")
        except BlockingIOError:
            pass
        with pytest.raises(OSError) as error:
            client.wait(request_id, 0)
        assert error.value.errno == errno.EINVAL


def test_serve_answers_until_idle(ring):
    shmring.create_service(ring, 8, 64, 64)
    with shmring.Service(ring, "server") as server, shmring.Service(ring, "client") as client:
        ids = [client.send(bytes([i])) for i in range(3)]
        assert server.serve(lambda request: request * 2, timeout=0.05) == 3
        assert [client.wait(i, 1) for i in ids] == [b"\x00\x00", b"\x01\x01", b"\x02\x02"]
        with pytest.raises(OSError):
            server.reply(ids[0], b"twice")
