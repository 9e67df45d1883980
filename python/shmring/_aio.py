"""asyncio for shmring handles: a call that only tries, retried when the handle's descriptor
(fileno(), readable when a call can make progress) says so. Nothing is consumed until a try
succeeds, so a cancelled wait loses nothing."""

import asyncio
import weakref

# How long a coroutine sleeps between tries when the handle has no descriptor for what it waits
# for (a service client waiting for a free call slot).
_RETRY = 0.001
# The longest back-off of a coroutine woken by a descriptor that stays readable for someone else
# (a service client's descriptor while another call's response waits to be collected).
_LONGEST_BACKOFF = 0.01


class _Watch:
    """The coroutines of one event loop waiting on one handle's descriptor. asyncio keeps one
    reader per descriptor, and several coroutines may wait on one handle (calls of one service
    client): the reader wakes them all, and each tries again."""

    def __init__(self, loop, fd):
        self.loop = loop
        self.fd = fd
        self.waiters = set()
        loop.add_reader(fd, self.wake_all)

    def wake_all(self):
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(None)

    def stop(self):
        self.loop.remove_reader(self.fd)


# Per handle, per event loop: the watch of its descriptor while coroutines wait on it.
_watches = weakref.WeakKeyDictionary()


def forget(handle):
    """For the handle's close(): wakes every coroutine waiting on it (each then finds the handle
    closed) and stops watching its descriptor before the descriptor goes."""
    for watch in _watches.pop(handle, {}).values():
        watch.stop()
        watch.wake_all()


async def when_ready(handle, attempt):
    """Returns attempt()'s result; while it raises BlockingIOError, waits for handle.fileno()."""
    loop = asyncio.get_running_loop()
    backoff = 0.0
    while True:
        try:
            return attempt()
        except BlockingIOError:
            pass
        if backoff:
            await asyncio.sleep(backoff)  # woken for nothing: the descriptor is someone else's news
        per_loop = _watches.setdefault(handle, {})
        watch = per_loop.get(loop)
        if watch is None:
            watch = per_loop[loop] = _Watch(loop, handle.fileno())
        waiter = loop.create_future()
        watch.waiters.add(waiter)
        try:
            await waiter
        finally:
            watch.waiters.discard(waiter)
            if not watch.waiters and per_loop.get(loop) is watch:
                del per_loop[loop]
                watch.stop()
        backoff = min(max(backoff * 2, 0.00005), _LONGEST_BACKOFF)


async def retried(attempt):
    """Returns attempt()'s result; while it raises BlockingIOError, tries again every millisecond."""
    while True:
        try:
            return attempt()
        except BlockingIOError:
            await asyncio.sleep(_RETRY)


async def within(timeout, awaitable):
    """awaitable, given at most `timeout` seconds (None: no limit): TimeoutError after it. Its
    first step runs at once, so a timeout of 0 still tries."""
    if timeout is None:
        return await awaitable
    if timeout < 0:
        raise ValueError("timeout must be None or a number of seconds >= 0")
    async with asyncio.timeout(timeout):
        return await awaitable


async def tried_within(timeout, handle, attempt):
    """when_ready(handle, attempt) within `timeout` seconds: the form of every *_async call."""
    return await within(timeout, when_ready(handle, attempt))
