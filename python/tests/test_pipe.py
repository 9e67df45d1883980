"""Pipes as Python file objects: end of file, EPIPE, sessions, and peers that die."""

import hashlib
import io
import os
import shutil

import pytest

import peers
import shmring


def test_a_pipe_is_a_binary_file(ring):
    shmring.create_pipe(ring, 4096)
    with shmring.Pipe(ring, "w") as writer, shmring.open_pipe(ring, "rb") as reader:
        assert isinstance(writer, io.RawIOBase) and writer.writable() and not writer.readable()
        assert reader.readable()
        writer.write(b"first line\nsecond line\n")
        writer.close()
        assert list(reader) == [b"first line\n", b"second line\n"]
        assert reader.read() == b""


def test_bytes_larger_than_the_ring_stream_through_it_intact(ring):
    shmring.create_pipe(ring, 4096)
    data = os.urandom(3 << 20)
    writer = peers.start(_write_all, ring, data)
    with shmring.Pipe(ring, "r") as reader:
        received = reader.readall()
    assert peers.join(writer) == 0
    assert hashlib.sha256(received).digest() == hashlib.sha256(data).digest()


def _write_all(name, data):
    with shmring.open_pipe(name, "wb") as writer:
        writer.write(data)


def test_copyfileobj_works_both_ways(ring, tmp_path):
    shmring.create_pipe(ring, 1 << 16)
    source = tmp_path / "source"
    source.write_bytes(os.urandom(200_000))
    writer = peers.start(_copy_file_in, ring, str(source))
    with shmring.open_pipe(ring, "rb") as reader, open(tmp_path / "copy", "wb") as copy:
        shutil.copyfileobj(reader, copy)
    assert peers.join(writer) == 0
    assert (tmp_path / "copy").read_bytes() == source.read_bytes()


def _copy_file_in(name, path):
    with open(path, "rb") as source, shmring.open_pipe(name, "wb") as writer:
        shutil.copyfileobj(source, writer)


def test_a_killed_writer_gives_end_of_file_after_its_bytes(ring):
    shmring.create_pipe(ring, 4096)
    written = peers.SPAWN.Event()
    writer = peers.start(peers.write_then_hang, ring, b"before the kill", written)
    with shmring.Pipe(ring, "r") as reader:
        assert written.wait(30)
        peers.kill(writer)
        assert reader.readall() == b"before the kill"


def test_writing_to_a_killed_reader_raises_broken_pipe(ring):
    shmring.create_pipe(ring, 4096)
    opened = peers.SPAWN.Event()
    reader = peers.start(peers.read_then_hang, ring, opened)
    assert opened.wait(30)
    with shmring.Pipe(ring, "w") as writer:
        peers.kill(reader)
        with pytest.raises(BrokenPipeError):
            for _ in range(10):  # the first writes may fill the ring before the death is seen
                writer.write(b"x" * 4096)
        with pytest.raises(BrokenPipeError):
            writer.write(b"still nobody reads")


def test_a_reader_at_end_of_file_reads_the_next_session(ring):
    shmring.create_pipe(ring, 4096)
    with shmring.Pipe(ring, "r") as reader:
        for session in range(3):
            with shmring.Pipe(ring, "w") as writer:
                writer.write(f"session {session}".encode())
            assert reader.readall() == f"session {session}".encode()


def test_not_blocking_reads_and_writes_return_none(ring):
    shmring.create_pipe(ring, 64)
    with shmring.Pipe(ring, "w", blocking=False) as writer, shmring.Pipe(ring, "r", blocking=False) as reader:
        assert reader.read(10) is None
        written = writer.write(b"y" * 100)
        assert 0 < written < 100  # what fits in 64 bytes, record headers included
        assert writer.write(b"y") is None
        assert reader.read(100) == b"y" * written
        assert reader.poll_fd() >= 0
        with pytest.raises(io.UnsupportedOperation):
            reader.fileno()
        with pytest.raises(io.UnsupportedOperation):
            reader.write(b"z")
