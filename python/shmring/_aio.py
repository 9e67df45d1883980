"""asyncio for shmring handles: a call that only tries, retried when the handle's descriptor
(fileno(), readable when a call can make progress) says so. Nothing is consumed until a try
succeeds, so a cancelled wait loses nothing."""

import asyncio
import weakref

# How long a coroutine sleeps between tries when the handle has no descriptor for what it waits
# for (a service client waiting for a free call slot).
_RETRY = 0.001


# The coroutines waiting on each descriptor, per event loop. asyncio keeps one reader per
# descriptor, and several coroutines may wait on one handle (calls of one service client): the
# reader wakes them all, and each tries again.
_waiting = weakref.WeakKeyDictionary()


def _wake_all(waiters):
    for waiter in waiters:
        if not waiter.done():
            waiter.set_result(None)


async def when_ready(handle, attempt):
    """Returns attempt()'s result; while it raises BlockingIOError, waits for handle.fileno()."""
    loop = asyncio.get_running_loop()
    fd = handle.fileno()
    per_fd = _waiting.setdefault(loop, {})
    while True:
        try:
            return attempt()
        except BlockingIOError:
            pass
        waiter = loop.create_future()
        waiters = per_fd.get(fd)
        if waiters is None:
            waiters = per_fd[fd] = set()
            loop.add_reader(fd, _wake_all, waiters)
        waiters.add(waiter)
        try:
            await waiter
        finally:
            waiters.discard(waiter)
            if not waiters and per_fd.get(fd) is waiters:
                del per_fd[fd]
                loop.remove_reader(fd)


async def retried(attempt):
    """Returns attempt()'s result; while it raises BlockingIOError, tries again every millisecond."""
    while True:
        try:
            return attempt()
        except BlockingIOError:
            await asyncio.sleep(_RETRY)


async def within(timeout, awaitable):
    """awaitable, given at most `timeout` seconds (None: no limit): TimeoutError after it."""
    if timeout is None:
        return await awaitable
    if timeout < 0:
        raise ValueError("timeout must be None or a number of seconds >= 0")
    return await asyncio.wait_for(awaitable, timeout)
