"""shmring.Pipe: a pipe's end as a Python binary file object."""

import io

from . import _shmring


class Pipe(io.RawIOBase):
    """One end of a pipe as a raw binary file: a byte stream with the semantics of a FIFO.

    Pipe(name, mode="r", *, blocking=True, wait=Wait.ADAPTIVE) opens pipe `name` (made by
    create_pipe) for reading ("r" or "rb") or writing ("w" or "wb"); one reader and one writer at a
    time (a second one: OSError EBUSY).

    Reading returns as soon as some bytes are there, and b"" (end of file) once the writer has
    closed or died and everything it wrote was read. Writing returns once every byte is in the
    pipe; BrokenPipeError once the reader has gone. Either side can start first, session after
    session: a reader at end of file reads again once a new writer opens the pipe.

    Not blocking (blocking=False): read returns None when nothing is there, write writes what fits
    and returns None when nothing does. A waiting call releases the GIL; Ctrl-C ends it.

    It is a file object (io.RawIOBase): read, readinto, readall, write, iteration over lines, with
    statements, shutil.copyfileobj. open_pipe() wraps it in a buffer, as open() does, for many
    small reads or lines. fileno() is not offered (the pipe has no kernel descriptor that read or
    write would work on); poll_fd() gives a descriptor for select/poll/epoll instead.
    """

    def __init__(self, name, mode="r", *, blocking=True, wait=0):
        super().__init__()
        if mode not in ("r", "rb", "w", "wb"):
            raise ValueError(f"mode must be 'r', 'rb', 'w' or 'wb', not {mode!r}")
        self._writer = mode.startswith("w")
        self._end = _shmring._Pipe(name, self._writer, wait=wait)
        self._blocking = blocking
        self.name = name
        self.mode = "wb" if self._writer else "rb"

    def readable(self):
        self._checkClosed()
        return not self._writer

    def writable(self):
        self._checkClosed()
        return self._writer

    def readinto(self, buffer):
        self._checkClosed()
        if self._writer:
            raise io.UnsupportedOperation("read on a pipe opened for writing")
        return self._end.readinto(buffer, self._blocking)

    def write(self, data):
        self._checkClosed()
        if not self._writer:
            raise io.UnsupportedOperation("write on a pipe opened for reading")
        return self._end.write(data, self._blocking)

    def poll_fd(self):
        """A descriptor that select/poll/epoll report readable when a read or write can make
        progress (reader: data or end of file; writer: room, or the reader has gone). Owned by
        the pipe: do not close it, and do not read it."""
        self._checkClosed()
        return self._end.fileno()

    def set_wait(self, wait):
        """How calls wait: a shmring.Wait."""
        self._checkClosed()
        self._end.set_wait(wait)

    def close(self):
        """Closes the end: the reader sees end of file, the writer BrokenPipeError."""
        end = getattr(self, "_end", None)  # None when __init__ failed
        if end is not None and not self.closed:
            end.close()
        super().close()

    def __repr__(self):
        state = " closed" if self.closed else ""
        return f"<shmring.Pipe '{self.name}' {self.mode}{state}>"


def open_pipe(name, mode="rb", buffering=-1, *, wait=0):
    """Opens a pipe's end as open() opens a file: a buffered binary file (io.BufferedReader or
    io.BufferedWriter) on a Pipe; buffering=0 gives the Pipe itself. A buffered writer's bytes
    reach the pipe at flush() or close()."""
    raw = Pipe(name, mode, wait=wait)
    if buffering == 0:
        return raw
    size = io.DEFAULT_BUFFER_SIZE if buffering in (-1, 1) else buffering
    return io.BufferedWriter(raw, size) if raw.writable() else io.BufferedReader(raw, size)
