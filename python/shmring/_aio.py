"""asyncio for shmring handles: a call that only tries, retried when the handle's descriptor
(fileno(), readable when a call can make progress) says so. Nothing is consumed until a try
succeeds, so a cancelled wait loses nothing."""

import asyncio

# How long a coroutine sleeps between tries when the handle has no descriptor for what it waits
# for (a service client waiting for a free call slot).
_RETRY = 0.001


def _wake(waiter):
    if not waiter.done():
        waiter.set_result(None)


async def when_ready(handle, attempt):
    """Returns attempt()'s result; while it raises BlockingIOError, waits for handle.fileno()."""
    loop = asyncio.get_running_loop()
    fd = handle.fileno()
    while True:
        try:
            return attempt()
        except BlockingIOError:
            pass
        waiter = loop.create_future()
        loop.add_reader(fd, _wake, waiter)
        try:
            await waiter
        finally:
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
