"""Python and C++ programs on the same rings: the shmring command (C++) at one end, Python at the other."""

import hashlib
import os
import subprocess

import shmring


def run(tool, *args, data=None, timeout=30):
    return subprocess.run([tool, *args], input=data, capture_output=True, timeout=timeout, check=True).stdout


def test_cxx_sends_and_python_receives(ring, tool):
    shmring.create_queue(ring, 16, 64)
    with shmring.Queue(ring, "receiver") as receiver:
        run(tool, "send", ring, "one", "two", "three")
        assert [receiver.receive(5) for _ in range(3)] == [b"one", b"two", b"three"]


def test_python_sends_and_cxx_receives(ring, tool):
    shmring.create_queue(ring, 16, 64, engine="mpmc")
    with shmring.Queue(ring, "sender") as sender:
        for word in (b"alpha", b"beta", b"gamma"):
            sender.send(word)
    assert run(tool, "recv", ring, "--count", "3", "--timeout", "5").splitlines() == [b"alpha", b"beta", b"gamma"]


def test_a_megabyte_through_a_pipe_each_way(ring, tool, tmp_path):
    data = os.urandom(1 << 20)
    shmring.create_pipe(ring, 1 << 16)
    with open(tmp_path / "out", "wb") as out:
        reading = subprocess.Popen([tool, "read", ring], stdout=out)
        with shmring.Pipe(ring, "w") as writer:
            writer.write(data)
        assert reading.wait(30) == 0
    assert hashlib.sha256((tmp_path / "out").read_bytes()).digest() == hashlib.sha256(data).digest()

    (tmp_path / "in").write_bytes(data)
    with open(tmp_path / "in", "rb") as source:
        writing = subprocess.Popen([tool, "write", ring], stdin=source)
        with shmring.Pipe(ring, "r") as reader:
            received = reader.readall()
        assert writing.wait(30) == 0
    assert hashlib.sha256(received).digest() == hashlib.sha256(data).digest()


def test_a_python_server_answers_a_cxx_client(ring, tool):
    shmring.create_service(ring, 4, 64, 64)
    with shmring.Service(ring, "server") as server:
        calling = subprocess.Popen([tool, "call", ring, "ping"], stdout=subprocess.PIPE)
        assert server.serve(lambda request: request.upper(), count=1, timeout=10) == 1
        out, _ = calling.communicate(timeout=30)
    assert out.strip() == b"PING"


def test_cxx_publishes_and_python_subscribes(ring, tool):
    shmring.create_topic(ring, 16, 64)
    with shmring.Topic(ring, "subscriber") as subscriber:
        run(tool, "publish", ring, "x", "y")
        assert [subscriber.receive_with_sequence(5) for _ in range(2)] == [(1, b"x"), (2, b"y")]
