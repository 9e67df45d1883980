"""Shared state: cells, locks and semaphores. Each call and its errors, between Python processes
(a lock taken over from a killed holder), and with the shmring command (C++) at the other end."""

import asyncio
import contextlib
import errno
import os
import select
import subprocess
import threading
import time

import pytest

import peers
import shmring


def readable(fd, timeout=0.0):
    return bool(select.select([fd], [], [], timeout)[0])


def run(tool, *args, timeout=30):
    return subprocess.run([tool, *args], capture_output=True, timeout=timeout)


# ---- Creating and opening


def test_each_kind_is_created_once_and_opened_by_name(ring):
    for create, open_it in ((lambda: shmring.create_cell(ring, 64), shmring.Cell), (lambda: shmring.create_lock(ring), shmring.Lock),
                            (lambda: shmring.create_semaphore(ring), shmring.Semaphore)):
        with pytest.raises(FileNotFoundError):
            open_it(ring)
        create()
        with pytest.raises(FileExistsError) as error:
            create()
        assert error.value.errno == errno.EEXIST and error.value.filename == ring
        handle = open_it(ring)
        assert handle.name == ring and not handle.closed
        handle.close()
        handle.close()
        assert handle.closed
        shmring.unlink(ring)


@pytest.mark.parametrize("create", [
    lambda name: shmring.create_cell(name, 0),
    lambda name: shmring.create_cell(name, (64 << 20) + 1),
    lambda name: shmring.create_semaphore(name, 0, 0),
    lambda name: shmring.create_semaphore(name, 3, 2),
    lambda name: shmring.create_semaphore(name, 0, 1 << 31),
    lambda name: shmring.create_semaphore(name, 1 << 32, 1 << 32),
    lambda name: shmring.create_lock("a/b"),
])
def test_bad_sizes_and_counts_raise_einval_and_create_nothing(ring, create):
    with pytest.raises(OSError) as error:
        create(ring)
    assert error.value.errno == errno.EINVAL
    assert not os.path.exists(f"/dev/shm/shmring.{ring}")


def test_a_segment_of_another_kind_raises_corrupt_error(ring):
    shmring.create_cell(ring, 64)
    for open_it in (shmring.Lock, shmring.Semaphore, lambda name: shmring.Queue(name, "sender")):
        with pytest.raises(shmring.CorruptError) as error:
            open_it(ring)
        assert error.value.errno == errno.EPROTO
    shmring.unlink(ring)
    shmring.create_queue(ring, 4, 64)
    with pytest.raises(shmring.CorruptError):
        shmring.Cell(ring)


def test_wait_strategies_are_set_and_checked(ring):
    shmring.create_semaphore(ring, 1)
    with shmring.Semaphore(ring, wait=shmring.Wait.BLOCK) as semaphore:
        semaphore.set_wait(shmring.Wait.SPIN)
        semaphore.wait(0)
        with pytest.raises(OSError) as error:
            semaphore.set_wait(7)
        assert error.value.errno == errno.EINVAL
    with pytest.raises(OSError):
        shmring.Semaphore(ring, wait=7)


# ---- Cells


def test_a_cell_holds_the_latest_value_and_its_version(ring):
    shmring.create_cell(ring, 64)
    with shmring.Cell(ring) as writer, shmring.Cell(ring) as reader:
        assert reader.max_size == 64
        assert reader.version == 0
        assert reader.read_with_version() == (0, b"")
        assert reader.read() == b""
        writer.write(b"one")
        writer.write(bytearray(b"two"))
        assert reader.version == 2
        assert reader.read_with_version() == (2, b"two")
        writer.write(memoryview(b"x" * 64))
        assert reader.read() == b"x" * 64
        writer.write(b"")
        assert reader.read_with_version() == (4, b"")
        assert repr(reader) == f"<shmring.Cell '{ring}'>"
    assert repr(reader) == f"<shmring.Cell '{ring}' closed>"
    for call in (reader.read, lambda: reader.write(b"x"), lambda: reader.wait(0, 0), lambda: reader.version, reader.fileno):
        with pytest.raises(ValueError):
            call()


def test_a_value_above_max_size_raises_emsgsize_and_writes_nothing(ring):
    shmring.create_cell(ring, 16)
    with shmring.Cell(ring) as cell:
        cell.write(b"kept")
        with pytest.raises(OSError) as error:
            cell.write(b"y" * 17)
        assert error.value.errno == errno.EMSGSIZE and error.value.filename == ring
        assert cell.read_with_version() == (1, b"kept")
        with pytest.raises(TypeError):
            cell.write("not bytes")


def test_values_of_every_size_are_read_whole(ring):
    shmring.create_cell(ring, 1 << 20)
    with shmring.Cell(ring) as writer, shmring.Cell(ring) as reader:
        for size in (1, 300, 100_000, 5, 1 << 20, 0, 257, 1 << 20, 2):
            value = os.urandom(size)
            writer.write(value)
            assert reader.read() == value


def test_wait_returns_the_newest_version_and_releases_the_gil(ring):
    shmring.create_cell(ring, 64)
    with shmring.Cell(ring) as writer, shmring.Cell(ring) as reader:
        with pytest.raises(BlockingIOError):
            reader.wait(0, 0)
        with pytest.raises(TimeoutError):
            reader.wait(0, 0.02)
        with pytest.raises(ValueError):
            reader.wait(0, -1)
        timer = threading.Timer(0.05, writer.write, args=(b"later",))
        timer.start()
        assert reader.wait(0, 10) == 1  # the timer's thread wrote while this one waited
        timer.join()
        writer.write(b"again")
        writer.write(b"and again")
        assert reader.wait(1, 0) == 3  # the newest, not the next
        assert reader.wait(0) == 3


def test_the_cell_descriptor_is_readable_while_a_newer_version_is_unread(ring):
    shmring.create_cell(ring, 64)
    with shmring.Cell(ring) as writer, shmring.Cell(ring) as reader:
        fd = reader.fileno()
        assert not readable(fd)
        writer.write(b"news")
        assert readable(fd, 5)
        reader.read()
        assert not readable(fd)
        writer.write(b"more news")
        assert readable(fd, 5)
        assert reader.wait(1, 0) == 2
        assert not readable(fd)


def test_wait_async_waits_on_the_event_loop(ring):
    shmring.create_cell(ring, 64)

    async def scenario():
        with shmring.Cell(ring) as writer, shmring.Cell(ring) as reader:
            waiting = asyncio.create_task(reader.wait_async(0, timeout=5))
            await asyncio.sleep(0.02)
            assert not waiting.done()
            writer.write(b"v1")
            version = await waiting
            with pytest.raises(TimeoutError):
                await reader.wait_async(version, timeout=0.05)
            return version, reader.read()

    assert asyncio.run(scenario()) == (1, b"v1")


def test_a_cell_written_by_another_process_is_read_whole(ring):
    count, size = 20_000, 4096
    shmring.create_cell(ring, size)
    with shmring.Cell(ring) as cell:
        writer = peers.start(peers.write_cell_values, ring, count, size)
        versions = []
        deadline = time.monotonic() + 30
        while cell.version < count and time.monotonic() < deadline:
            version, value = cell.read_with_version()
            if version:
                assert value == peers.cell_value(version, size)  # never torn, never of another version
                versions.append(version)
        assert peers.join(writer) == 0
        assert cell.read_with_version() == (count, peers.cell_value(count, size))
        assert versions == sorted(versions)


# ---- Locks


def test_a_lock_is_held_by_one_handle_at_a_time(ring):
    shmring.create_lock(ring)
    with contextlib.closing(shmring.Lock(ring)) as first, contextlib.closing(shmring.Lock(ring)) as second:
        assert first.acquire() is False
        assert first.held and not second.held and not first.previous_owner_died
        assert repr(first) == f"<shmring.Lock '{ring}' held>"
        with pytest.raises(BlockingIOError):
            second.acquire(0)
        with pytest.raises(TimeoutError):
            second.acquire(0.05)
        with pytest.raises(OSError) as error:
            first.acquire(0)
        assert error.value.errno == errno.EDEADLK
        for call in (second.release, second.consistent):
            with pytest.raises(PermissionError):
                call()
        first.release()
        assert not first.held and repr(first) == f"<shmring.Lock '{ring}'>"
        with pytest.raises(PermissionError):
            first.release()
        assert second.acquire(0) is False
        second.release()


def test_with_acquires_and_releases_and_leaves_the_handle_open(ring):
    shmring.create_lock(ring)
    lock = shmring.Lock(ring)
    with lock as same:
        assert same is lock and lock.held
    assert not lock.held and not lock.closed
    with pytest.raises(KeyError):
        with lock:
            raise KeyError("the block's own error")
    assert not lock.held
    with lock:
        lock.release()  # released inside: the end of the block lets it be
    assert not lock.held
    lock.close()
    assert repr(lock) == f"<shmring.Lock '{ring}' closed>" and not lock.held
    with pytest.raises(ValueError):
        lock.acquire()


def test_a_waiting_acquire_releases_the_gil(ring):
    shmring.create_lock(ring)
    with contextlib.closing(shmring.Lock(ring)) as holder, contextlib.closing(shmring.Lock(ring)) as waiter:
        holder.acquire()
        timer = threading.Timer(0.05, holder.release)
        timer.start()
        assert waiter.acquire(10) is False  # the timer's thread released it while this one waited
        timer.join()
        assert waiter.held and not holder.held
        waiter.release()


def test_a_lock_closed_by_its_holder_is_taken_as_from_a_death_and_unrepaired_becomes_unrecoverable(ring):
    shmring.create_lock(ring)
    first = shmring.Lock(ring)
    first.acquire()
    first.close()  # holding: given back as a death would
    with contextlib.closing(shmring.Lock(ring)) as lock, contextlib.closing(shmring.Lock(ring)) as other:
        with lock:
            assert lock.previous_owner_died
        # released without consistent(): nobody can take it any more
        for handle in (lock, other):
            with pytest.raises(OSError) as error:
                handle.acquire(0)
            assert error.value.errno == errno.ENOTRECOVERABLE
            assert not handle.held


def test_a_lock_whose_holder_was_killed_is_taken_with_previous_owner_died(ring):
    shmring.create_lock(ring)
    held = peers.SPAWN.Event()
    holder = peers.start(peers.hold_lock_then_hang, ring, held)
    with contextlib.closing(shmring.Lock(ring)) as lock:
        try:
            assert held.wait(30)
            with pytest.raises(BlockingIOError):
                lock.acquire(0)
        finally:
            peers.kill(holder)
        started = time.monotonic()
        assert lock.acquire(5) is True
        assert time.monotonic() - started < 2  # noticed within 50 ms
        assert lock.held and lock.previous_owner_died
        lock.consistent()  # repaired: the lock goes on as before
        lock.release()
        assert lock.acquire(0) is False and not lock.previous_owner_died
        lock.release()


# ---- Semaphores


def test_a_semaphore_counts_between_zero_and_its_maximum(ring):
    shmring.create_semaphore(ring, initial=2, maximum=3)
    with shmring.Semaphore(ring) as semaphore:
        assert (semaphore.value, semaphore.maximum) == (2, 3)
        semaphore.wait()
        semaphore.wait(0)
        with pytest.raises(BlockingIOError):
            semaphore.wait(0)
        with pytest.raises(TimeoutError):
            semaphore.wait(0.02)
        for _ in range(3):
            semaphore.post()
        with pytest.raises(OSError) as error:
            semaphore.post()
        assert error.value.errno == errno.EOVERFLOW and error.value.filename == ring
        assert semaphore.value == 3
        assert repr(semaphore) == f"<shmring.Semaphore '{ring}'>"
    assert repr(semaphore) == f"<shmring.Semaphore '{ring}' closed>"
    with pytest.raises(ValueError):
        semaphore.post()
    with pytest.raises(ValueError):
        semaphore.value


def test_a_semaphore_starts_at_zero_with_the_largest_maximum(ring):
    shmring.create_semaphore(ring)
    with shmring.Semaphore(ring) as semaphore:
        assert (semaphore.value, semaphore.maximum) == (0, 2147483647)


def test_a_waiting_wait_releases_the_gil(ring):
    shmring.create_semaphore(ring)
    with shmring.Semaphore(ring) as waiter, shmring.Semaphore(ring) as poster:
        timer = threading.Timer(0.05, poster.post)
        timer.start()
        waiter.wait(10)
        timer.join()
        assert waiter.value == 0


def test_the_semaphore_descriptor_is_readable_while_the_count_is_above_zero(ring):
    shmring.create_semaphore(ring, initial=1, maximum=4)
    with shmring.Semaphore(ring) as semaphore, shmring.Semaphore(ring) as poster:
        fd = semaphore.fileno()
        assert readable(fd, 5)
        semaphore.wait(0)
        with pytest.raises(BlockingIOError):
            semaphore.wait(0)  # finds zero: the descriptor is quiet again
        assert not readable(fd)
        poster.post()
        assert readable(fd, 5)


def test_semaphore_wait_async_waits_on_the_event_loop(ring):
    shmring.create_semaphore(ring)

    async def scenario():
        with shmring.Semaphore(ring) as waiter, shmring.Semaphore(ring) as poster:
            waiting = asyncio.create_task(waiter.wait_async(timeout=5))
            await asyncio.sleep(0.02)
            assert not waiting.done()
            poster.post()
            await waiting
            with pytest.raises(TimeoutError):
                await waiter.wait_async(timeout=0.05)
            return waiter.value

    assert asyncio.run(scenario()) == 0


def test_semaphores_between_processes(ring):
    ping, pong = ring, ring + "-pong"
    shmring.create_semaphore(ping)
    shmring.create_semaphore(pong)
    try:
        echo = peers.start(peers.echo_posts, ping, pong, 200)
        with shmring.Semaphore(ping) as out, shmring.Semaphore(pong) as back:
            for _ in range(200):
                out.post()
                back.wait(10)
            assert (out.value, back.value) == (0, 0)
        assert peers.join(echo) == 0
    finally:
        shmring.unlink(pong)


# ---- With the shmring command (C++)


def test_cells_between_python_and_the_command(ring, tool):
    shmring.create_cell(ring, 64)
    with shmring.Cell(ring) as cell:
        assert run(tool, "cell", "write", ring, "from c++").returncode == 0
        assert cell.read_with_version() == (1, b"from c++")
        cell.write(b"from python")
        assert run(tool, "cell", "read", ring).stdout == b"from python\n"


def test_locks_between_python_and_the_command(ring, tool):
    shmring.create_lock(ring)
    holder = shmring.Lock(ring)
    holder.acquire()
    assert run(tool, "lock", ring, "--nonblock", "--", "true").returncode == 1
    holder.close()  # holding: given back as a death would
    taken = run(tool, "lock", ring, "--", "true")  # warned, and marked consistent by the command's success
    assert taken.returncode == 0 and b"EOWNERDEAD" in taken.stderr
    with contextlib.closing(shmring.Lock(ring)) as lock:
        assert lock.acquire(0) is False


def test_semaphores_between_python_and_the_command(ring, tool):
    assert run(tool, "create", "semaphore", ring, "--initial", "1", "--maximum", "5").returncode == 0
    with shmring.Semaphore(ring) as semaphore:
        assert (semaphore.value, semaphore.maximum) == (1, 5)
        assert run(tool, "sem", "post", ring, "--count", "2").returncode == 0
        assert semaphore.value == 3
        for _ in range(3):
            semaphore.wait(0)
        semaphore.post()
        assert run(tool, "sem", "wait", ring, "--nonblock").returncode == 0
        assert run(tool, "sem", "wait", ring, "--nonblock").returncode == 1
