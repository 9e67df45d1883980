"""Every error of the C API as the Python exception of its errno."""

import errno
import os
import subprocess
import sys

import pytest

import shmring


def test_creating_a_ring_twice_raises_file_exists(ring):
    shmring.create_queue(ring, 4, 64)
    with pytest.raises(FileExistsError) as error:
        shmring.create_pipe(ring, 4096)
    assert error.value.errno == errno.EEXIST
    assert error.value.filename == ring


def test_opening_a_missing_ring_raises_file_not_found(ring):
    for open_it in (lambda: shmring.Queue(ring, "sender"), lambda: shmring.Topic(ring, "subscriber"),
                    lambda: shmring.Service(ring, "client"), lambda: shmring.Pipe(ring, "r")):
        with pytest.raises(FileNotFoundError):
            open_it()
    with pytest.raises(FileNotFoundError):
        shmring.unlink(ring)


@pytest.mark.parametrize("name", ["", "a/b", "x" * 201, "white space"])
def test_a_bad_name_raises_einval_and_creates_nothing(name):
    with pytest.raises(OSError) as error:
        shmring.create_queue(name, 4, 64)
    assert error.value.errno == errno.EINVAL


def test_bad_sizes_raise_einval_and_leave_nothing_behind(ring):
    for create in (lambda: shmring.create_queue(ring, 0, 64), lambda: shmring.create_queue(ring, 4, 0),
                   lambda: shmring.create_queue(ring, 4, 2 << 20), lambda: shmring.create_topic(ring, 0, 64),
                   lambda: shmring.create_service(ring, 0, 64, 64), lambda: shmring.create_pipe(ring, 2 << 30)):
        with pytest.raises(OSError) as error:
            create()
        assert error.value.errno == errno.EINVAL
        assert not os.path.exists(f"/dev/shm/shmring.{ring}")


def test_bad_words_raise_value_error(ring):
    with pytest.raises(ValueError):
        shmring.create_queue(ring, 4, 64, engine="fifo")
    shmring.create_queue(ring, 4, 64)
    with pytest.raises(ValueError):
        shmring.Queue(ring, "writer")
    with pytest.raises(ValueError):
        shmring.Pipe(ring, "a")
    with pytest.raises(OSError) as error:
        shmring.Queue(ring, "sender", wait=7)
    assert error.value.errno == errno.EINVAL


def test_a_second_spsc_sender_raises_ebusy_until_the_first_closes(ring):
    shmring.create_queue(ring, 4, 64)
    first = shmring.Queue(ring, "sender")
    with pytest.raises(OSError) as error:
        shmring.Queue(ring, "sender")
    assert error.value.errno == errno.EBUSY
    first.close()
    shmring.Queue(ring, "sender").close()


def test_a_ring_of_another_kind_raises_corrupt_error(ring):
    shmring.create_queue(ring, 4, 64)
    with pytest.raises(shmring.CorruptError) as error:
        shmring.Topic(ring, "subscriber")
    assert error.value.errno == errno.EPROTO
    assert isinstance(error.value, OSError)
    with pytest.raises(shmring.CorruptError):
        shmring.Pipe(ring, "r")


def test_a_segment_of_garbage_raises_corrupt_error(ring):
    with open(f"/dev/shm/shmring.{ring}", "wb") as segment:
        segment.write(os.urandom(1 << 16))
    for open_it in (lambda: shmring.Queue(ring, "receiver"), lambda: shmring.Topic(ring, "subscriber"),
                    lambda: shmring.Service(ring, "server"), lambda: shmring.Pipe(ring, "r")):
        with pytest.raises(shmring.CorruptError):
            open_it()


def test_a_message_above_the_maximum_raises_emsgsize_and_sends_nothing(ring):
    shmring.create_queue(ring, 4, 64)
    with shmring.Queue(ring, "sender") as sender, shmring.Queue(ring, "receiver") as receiver:
        with pytest.raises(OSError) as error:
            sender.send(b"x" * 65)
        assert error.value.errno == errno.EMSGSIZE
        with pytest.raises(BlockingIOError):
            receiver.receive(0)


def test_timeouts_say_would_block_or_timed_out(ring):
    shmring.create_queue(ring, 1, 64)
    with shmring.Queue(ring, "sender") as sender, shmring.Queue(ring, "receiver") as receiver:
        with pytest.raises(BlockingIOError):
            receiver.receive(0)
        with pytest.raises(TimeoutError):
            receiver.receive(0.02)
        sender.send(b"fills it")
        with pytest.raises(BlockingIOError):
            sender.send(b"no room", 0)
        with pytest.raises(TimeoutError):
            sender.send(b"no room", 0.02)
        with pytest.raises(ValueError):
            receiver.receive(-1)
        assert receiver.receive(0) == b"fills it"


def test_the_other_sides_operation_raises_ebadf(ring):
    shmring.create_queue(ring, 4, 64)
    with shmring.Queue(ring, "sender") as sender:
        with pytest.raises(OSError) as error:
            sender.receive(0)
        assert error.value.errno == errno.EBADF
        assert "receiver" in str(error.value)


def test_a_closed_handle_raises_value_error(ring):
    shmring.create_queue(ring, 4, 64)
    sender = shmring.Queue(ring, "sender")
    sender.close()
    sender.close()
    assert sender.closed
    with pytest.raises(ValueError):
        sender.send(b"x")
    with pytest.raises(ValueError):
        sender.fileno()


def test_another_users_ring_raises_permission_error(ring):
    shmring.create_queue(ring, 4, 64, mode=0o600)
    code = (
        "import shmring, sys\n"
        "try:\n"
        f"    shmring.Queue({ring!r}, 'sender')\n"
        "except PermissionError:\n"
        "    sys.exit(0)\n"
        "sys.exit(3)\n"
    )
    # As nobody: root could open any mode.
    result = subprocess.run([sys.executable, "-c", code], user=65534, group=65534, capture_output=True, text=True,
                            timeout=30, env=dict(os.environ))
    if "ModuleNotFoundError" in result.stderr:
        pytest.skip("the package is not readable by user nobody here")
    assert result.returncode == 0, result.stderr
