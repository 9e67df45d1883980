"""shmring: inter-process communication through shared memory.

Pipes, queues, topics and services between processes on one machine, at memory speed, with the
semantics of the kernel's (end of file and EPIPE when a peer dies, exactly-once delivery), on the
same rings as shmring's C and C++ programs and its command-line tool; and shared state: cells (the
latest value, never torn), locks that survive their holder's death, and counting semaphores.

    import shmring
    shmring.create_queue("jobs", max_messages=1024, max_message_size=4096)
    with shmring.Queue("jobs", "sender") as q:
        q.send(b"hello")
    # in another process
    with shmring.Queue("jobs", "receiver") as q:
        print(q.receive())          # b'hello'

Timeouts are seconds: None waits for ever, 0 only tries (BlockingIOError), a positive number
waits at most that long (TimeoutError). Errors are Python's exceptions for their errno
(FileExistsError, FileNotFoundError, PermissionError, BrokenPipeError, ConnectionResetError, ...)
and shmring.CorruptError for a segment that breaks the protocol. Zero copy: loan() and peek() lend
the ring's memory through the buffer protocol (memoryview, numpy.frombuffer). asyncio: the *_async
methods. Names are 1 to 200 of A-Z a-z 0-9 . _ - ; the ring is /dev/shm/shmring.<name>.
"""

import asyncio
import enum

from . import _aio
from ._pipe import Pipe, open_pipe
from ._shmring import (
    CorruptError,
    Loan,
    Lock,
    Message,
    create_cell,
    create_lock,
    create_pipe,
    create_queue,
    create_semaphore,
    create_service,
    create_topic,
    unlink,
    version,
)
from . import _shmring

__version__ = version()

__all__ = [
    "Cell", "CorruptError", "Loan", "Lock", "Message", "Pipe", "Queue", "Semaphore", "Service", "Topic", "Wait",
    "create_cell", "create_lock", "create_pipe", "create_queue", "create_semaphore", "create_service", "create_topic",
    "open_pipe", "unlink", "version",
]


class Wait(enum.IntEnum):
    """How a handle waits when it cannot go on at once."""

    ADAPTIVE = 0  #: spin briefly, then sleep: quick when busy, cheap when idle (the default)
    SPIN = 1  #: never sleep: lowest latency, a core per waiting handle
    BLOCK = 2  #: sleep at once: least CPU, every wait pays a kernel wake-up


class _Closing:
    """close() for handles used by coroutines: their waits end (on the closed handle's
    ValueError) before the descriptor goes."""

    def close(self):
        """Closes the handle: coroutines waiting on it end with ValueError; an open loan is
        aborted, a peeked message released (BufferError while a view of it exists). Closing
        twice is harmless."""
        _aio.forget(self)
        super().close()

    def __exit__(self, *exception):
        self.close()


class Queue(_Closing, _shmring.Queue):
    __doc__ = _shmring.Queue.__doc__

    async def send_async(self, message, timeout=None):
        """send() for asyncio: waits for room on the event loop. Cancelling it sends nothing."""
        return await _aio.tried_within(timeout, self, lambda: self.send(message, 0))

    async def receive_async(self, timeout=None):
        """receive() for asyncio: waits for a message on the event loop. Cancelling it consumes nothing."""
        return await _aio.tried_within(timeout, self, lambda: self.receive(0))


class Topic(_Closing, _shmring.Topic):
    __doc__ = _shmring.Topic.__doc__

    async def publish_async(self, message, timeout=None):
        """publish() for asyncio: a lossless topic's publisher waits for room on the event loop."""
        return await _aio.tried_within(timeout, self, lambda: self.publish(message, 0))

    async def receive_async(self, timeout=None):
        """receive() for asyncio. Cancelling it consumes nothing."""
        return await _aio.tried_within(timeout, self, lambda: self.receive(0))

    async def receive_with_sequence_async(self, timeout=None):
        """receive_with_sequence() for asyncio."""
        return await _aio.tried_within(timeout, self, lambda: self.receive_with_sequence(0))


class Service(_Closing, _shmring.Service):
    __doc__ = _shmring.Service.__doc__

    def serve(self, handler, *, count=None, timeout=None):
        """Server: answers each request with handler(request) -> bytes-like, until `count`
        requests are served or none comes for `timeout` seconds (None: no limit); returns how many
        were served. An exception of the handler propagates, leaving its request unanswered until
        the server closes (its client then gets ConnectionResetError)."""
        served = 0
        while count is None or served < count:
            try:
                request_id, request = self.receive(timeout)
            except (TimeoutError, BlockingIOError):
                break
            self.reply(request_id, handler(request))
            served += 1
        return served

    async def call_async(self, request, timeout=None):
        """call() for asyncio. A call cancelled or timed out is given up: its response is dropped."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        request_id = await _aio.within(timeout, _aio.retried(lambda: self.send(request, 0)))
        left = None if timeout is None else max(0.0, timeout - (loop.time() - start))
        try:
            return await _aio.tried_within(left, self, lambda: self.wait(request_id, 0))
        except BaseException:
            try:
                self.cancel(request_id)
            except (OSError, ValueError):
                pass  # answered, or the handle closed, meanwhile
            raise

    async def receive_async(self, timeout=None):
        """Server: receive() for asyncio. Cancelling it takes nothing."""
        return await _aio.tried_within(timeout, self, lambda: self.receive(0))


class Cell(_Closing, _shmring.Cell):
    __doc__ = _shmring.Cell.__doc__

    async def wait_async(self, seen, timeout=None):
        """wait() for asyncio: waits on the event loop for a version newer than `seen`; returns it."""
        return await _aio.tried_within(timeout, self, lambda: self.wait(seen, 0))


class Semaphore(_Closing, _shmring.Semaphore):
    __doc__ = _shmring.Semaphore.__doc__

    async def wait_async(self, timeout=None):
        """wait() for asyncio: takes one, waiting on the event loop while the count is zero.
        Cancelling it takes nothing."""
        return await _aio.tried_within(timeout, self, lambda: self.wait(0))
