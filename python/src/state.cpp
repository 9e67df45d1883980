// shmring.Cell, shmring.Lock and shmring.Semaphore: shared state between processes.
//
// On the C++ handles (cell.hpp, lock.hpp, semaphore.hpp), as pipes are, for what the C calls lack:
// a cell write that takes a deadline (a wait a slice at a time needs one) and a cell's version that
// marks nothing as read, a semaphore's maximum, whether a lock handle holds its lock. Their poll
// descriptors are made as the C API makes them (c_cell.cpp, c_semaphore.cpp): a PollDescriptor on
// the handle's wait event, rearmed by the calls that find nothing to do.
#include <shmring/shmring.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <thread>
#include <utility>

#include "binding.hpp"
#include "fast_method.hpp"
#include "shmring/cell.hpp"
#include "shmring/detail/poll_helper.hpp"
#include "shmring/lock.hpp"
#include "shmring/semaphore.hpp"

namespace shmring::python {

namespace {

const char* kCellDoc = R"(The latest value of some shared state, written by any process, read by any, never torn.

Cell(name, *, wait=Wait.ADAPTIVE) opens cell `name` (made by create_cell). write(value) publishes a
new version (1, 2, 3, ...; writers take turns, the last one wins); read() copies the latest complete
value without blocking writers or being blocked by them (b"" at version 0, before the first write).
A writer killed in the middle of a write leaves the previous value readable. wait(seen) waits for a
version newer than `seen`; fileno() is readable while the cell holds a version newer than the last
one this handle read or waited for.

Timeouts as for Queue: None waits for ever, 0 only tries (BlockingIOError), a positive number of
seconds at most that long (TimeoutError). A handle is for one thread at a time; it does not survive
fork (open one in the child).)";

const char* kLockDoc = R"(Mutual exclusion between processes that survives its holder's death.

Lock(name, *, wait=Wait.ADAPTIVE) opens lock `name` (made by create_lock). The handle holds the lock,
not a thread: give each thread its own handle (acquiring again through the handle that holds it:
OSError EDEADLK). `with lock:` acquires (waiting for ever) and releases; it does not close the handle.

A holder killed (or exec'd) while it holds the lock hands it to the next acquirer, noticed within
50 ms: acquire() returns True, and previous_owner_died is True until the release. What the lock
guards may be half changed: repair it and call consistent() before releasing, or the release leaves
the lock unrecoverable (every later acquire: OSError ENOTRECOVERABLE). A stopped or slow holder keeps
the lock: it is waited for, never overtaken. Closing a handle that holds the lock gives it back as a
death would.

Timeouts as for Queue: None waits for ever, 0 only tries (BlockingIOError), a positive number of
seconds at most that long (TimeoutError). A handle is for one thread at a time; it does not survive
fork (in a child, every call on the parent's handle raises PermissionError).)";

const char* kSemaphoreDoc = R"(A counting semaphore between processes, with a maximum.

Semaphore(name, *, wait=Wait.ADAPTIVE) opens semaphore `name` (made by create_semaphore). post()
adds one and wakes a waiter (OSError EOVERFLOW at the maximum: nothing is added); wait() takes one,
waiting while the count is zero. A waiter killed while it waits takes nothing. fileno() is readable
while the count is above zero. `with` closes the handle, as for every handle.

Timeouts as for Queue: None waits for ever, 0 only tries (BlockingIOError), a positive number of
seconds at most that long (TimeoutError). A handle is for one thread at a time; it does not survive
fork (open one in the child).)";

// ---- What the three kinds share.

// A status as the C API returns it: 0, or its negative errno (Status values are errno values).
int c_result(Status status) { return -static_cast<int>(status); }

// One slice of patiently(): a try at 0 ns (the first call, or a deadline that passed meanwhile),
// else a wait until the slice's end. As in the C API (detail::tried_then_waited), the wait that
// follows a try that missed counts no second miss.
template <class Try, class Wait>
int tried_or_waited(Endpoint& endpoint, std::int64_t ns, Try try_once, Wait wait) {
    if (ns == 0) return c_result(try_once());
    const Endpoint::MissCounted counted(endpoint);
    return c_result(wait(deadline_after(std::chrono::nanoseconds(ns))));
}

// A handle opened the way Handle's constructor opens C handles: 0, or a negative errno. These
// kinds have no roles: `role` is ignored.
template <class End, class Kind>
int open_end(const char* name, int /*role*/, End** out) {
    auto attached = Kind::attach(name);
    if (!attached) return -attached.error().errno_value();
    *out = new End(std::move(*attached));
    return 0;
}

int set_wait_of(Endpoint& endpoint, int strategy) {
    if (strategy < 0 || strategy > static_cast<int>(WaitStrategy::block)) return -EINVAL;
    endpoint.set_wait_strategy(static_cast<WaitStrategy>(strategy));
    return 0;
}

// The handle's poll descriptor, started on first use (a helper thread, as the C API's), or a
// negative errno. `ready` runs on the helper's thread.
int poll_fd_of(detail::PollDescriptor& poll, const Endpoint& endpoint, layout::WaitEvent& event, std::function<bool()> ready) {
    auto fd = poll.get(endpoint, event, std::move(ready), [] { return false; });
    return fd ? *fd : -fd.error().errno_value();
}

// Looks that neither wait nor change anything (a version, a count, a size) are refused only on a
// closed handle: they may be read while another thread's call on the handle waits.
void refuse_closed(const Handle& handle) {
    if (handle.closed()) throw py::value_error("operation on a closed handle of '" + handle.name() + "'");
}

std::string repr_of(const Handle& handle, const char* kind, const char* state = "") {
    return std::string("<shmring.") + kind + " '" + handle.name() + "'" + (handle.closed() ? " closed" : state) + ">";
}

// What every shared-state class has: set_wait, close, name, closed, repr. (They have no role, and
// the lock's `with` is not close.)
template <class T>
void def_state_handle(py::class_<T>& cls, const char* close_doc) {
    cls.def("set_wait", [](T& self, int wait) { self.set_wait(wait); }, py::arg("wait"), "How calls wait: a shmring.Wait (ADAPTIVE, SPIN or BLOCK).")
        .def("close", [](T& self) { self.close(); }, close_doc)
        .def_property_readonly("name", [](const T& self) { return self.name(); }, "The name it was opened with.")
        .def_property_readonly("closed", [](const T& self) { return self.closed(); }, "True once close() was called.")
        .def("__repr__", [](const T& self) { return self.repr(); });
}

// fileno and the context manager that closes, as channel handles have them.
template <class T>
void def_descriptor_and_closing(py::class_<T>& cls, const char* fd_ready) {
    cls.def("fileno", [](T& self) { return self.fileno(); }, (std::string("A descriptor that select/poll/epoll report readable when ") + fd_ready +
                                   ". Owned by the handle: do not close it.")
                                      .c_str())
        .def("__enter__", [](py::object self) { return self; })
        .def("__exit__", [](T& self, const py::args&) { self.close(); });
}

constexpr FastSignature kValueTimeout{{"value", "timeout"}, 2, 1};

// ---- Cells.

struct CellEnd {
    explicit CellEnd(shmring::Cell opened) : cell(std::move(opened)) {}
    shmring::Cell cell;
    // The newest version this handle read or waited for: the poll helper's thread reads it.
    std::atomic<std::uint64_t> seen{0};
    detail::PollDescriptor poll;  // after the cell: its helper stops first

    // The handle saw `version`: the descriptor fires again for a newer one.
    void saw(std::uint64_t version) {
        // Relaxed: the helper compares it with the cell's version; a stale look costs one needless wake-up.
        seen.store(version, std::memory_order_relaxed);
        poll.rearm();
    }
};

CellEnd& cell_end(void* handle) { return *static_cast<CellEnd*>(handle); }

const HandleCalls kCellCalls{
    [](void* handle) { delete &cell_end(handle); },
    [](void* handle) {
        CellEnd& end = cell_end(handle);
        // Relaxed: a stale `seen` costs one needless or one later wake-up, which the handle's next
        // read or wait puts right (saw, rearm).
        return poll_fd_of(end.poll, end.cell.endpoint(), end.cell.event(),
                          [&end] { return end.cell.version() > end.seen.load(std::memory_order_relaxed); });
    },
    [](void* handle, int strategy) { return set_wait_of(cell_end(handle).cell.endpoint(), strategy); },
};

// The first read's room: a value is read straight into a bytes object, then shrunk to its length.
constexpr std::size_t kFirstGuess = 256;

class CellHandle : public Handle {
public:
    CellHandle(std::string name, int wait)
        : Handle(std::move(name), "", kCellCalls, &open_end<CellEnd, shmring::Cell>, 0, wait),
          guess_(std::min(end().cell.max_size(), kFirstGuess)) {}

    void write(const py::handle& value, const py::handle& timeout) {
        const Call call(*this);
        const BufferArg bytes(value, false);
        shmring::Cell& cell = end().cell;
        const std::span<const std::byte> data(bytes.data(), bytes.size());
        checked(patiently(Patience(timeout),
                          [&](std::int64_t ns) {
                              return tried_or_waited(cell.endpoint(), ns, [&] { return cell.write(data, kTryOnce); },
                                                     [&](Deadline deadline) { return cell.write(data, deadline); });
                          }),
                name());
    }

    // The latest value, read straight into a bytes object with room for a little more than the last
    // value read, then shrunk to its length; a longer value is read again into room of its size.
    std::pair<py::object, std::uint64_t> read() {
        const Call call(*this);
        CellEnd& state = end();
        for (;;) {
            const std::size_t room = guess_;
            auto value = py::reinterpret_steal<py::object>(PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(room)));
            if (!value) throw py::error_already_set();
            std::size_t length = 0;
            std::uint64_t version = 0;
            const Status status =
                state.cell.read({reinterpret_cast<std::byte*>(PyBytes_AS_STRING(value.ptr())), room}, length, version);
            if (status == Status::too_large) {
                guess_ = length;
                continue;
            }
            if (status == Status::again) {
                // Rewritten faster than it could be copied, many times over: again, letting other
                // threads and signal handlers run in between.
                {
                    py::gil_scoped_release unlocked;
                    std::this_thread::yield();
                }
                if (PyErr_CheckSignals() != 0) throw py::error_already_set();
                continue;
            }
            if (status != Status::ok) raise_errno(static_cast<int>(status), name());
            // As the C API: the handle is up to date, its descriptor quiet until a newer version.
            if (version >= state.seen.load(std::memory_order_relaxed)) state.saw(version);
            guess_ = std::min(state.cell.max_size(), length + length / 4 + 64);
            if (length < room) {
                PyObject* raw = value.release().ptr();
                if (_PyBytes_Resize(&raw, static_cast<Py_ssize_t>(length)) != 0) throw py::error_already_set();
                value = py::reinterpret_steal<py::object>(raw);
            }
            return {std::move(value), version};
        }
    }

    std::uint64_t wait(std::uint64_t seen, const py::handle& timeout) {
        const Call call(*this);
        CellEnd& state = end();
        shmring::Cell& cell = state.cell;
        std::uint64_t newer = 0;
        const int result = patiently(Patience(timeout), [&](std::int64_t ns) {
            return tried_or_waited(cell.endpoint(), ns, [&] { return cell.wait_newer(seen, newer, kTryOnce); },
                                   [&](Deadline deadline) { return cell.wait_newer(seen, newer, deadline); });
        });
        if (result == -EAGAIN || result == -ETIMEDOUT) state.poll.rearm();  // nothing newer than `seen`
        checked(result, name());
        // Relaxed: only this handle's thread stores `seen`.
        if (newer > state.seen.load(std::memory_order_relaxed)) state.saw(newer);
        return newer;
    }

    std::uint64_t version() const {
        refuse_closed(*this);
        return end().cell.version();
    }

    std::size_t max_size() const {
        refuse_closed(*this);
        return end().cell.max_size();
    }

    std::string repr() const { return repr_of(*this, "Cell"); }

private:
    CellEnd& end() const noexcept { return *c_handle<CellEnd>(); }

    std::size_t guess_;
};

// ---- Locks.

struct LockEnd {
    explicit LockEnd(shmring::Lock opened) : lock(std::move(opened)) {}
    shmring::Lock lock;  // held when deleted: given back as a death would
};

LockEnd& lock_end(void* handle) { return *static_cast<LockEnd*>(handle); }

const HandleCalls kLockCalls{
    [](void* handle) { delete &lock_end(handle); },
    [](void*) { return -EOPNOTSUPP; },  // a lock has no descriptor (Lock has no fileno)
    [](void* handle, int strategy) { return set_wait_of(lock_end(handle).lock.endpoint(), strategy); },
};

class LockHandle : public Handle {
public:
    LockHandle(std::string name, int wait) : Handle(std::move(name), "", kLockCalls, &open_end<LockEnd, shmring::Lock>, 0, wait) {}

    // True when the lock was taken from a holder that died holding it.
    bool acquire(const py::handle& timeout) {
        const Call call(*this);
        shmring::Lock& lock = end().lock;
        const int result = patiently(Patience(timeout), [&](std::int64_t ns) {
            return tried_or_waited(lock.endpoint(), ns, [&] { return lock.try_acquire(); },
                                   [&](Deadline deadline) { return lock.acquire(deadline); });
        });
        if (result != -EOWNERDEAD) checked(result, name());
        owner_died_ = result == -EOWNERDEAD;
        return owner_died_;
    }

    void consistent() {
        const Call call(*this);
        checked(c_result(end().lock.make_consistent()), name());
    }

    void release() {
        const Call call(*this);
        checked(c_result(end().lock.release()), name());
        owner_died_ = false;
    }

    // Looks: a closed handle holds nothing.
    bool held() const { return !closed() && end().lock.held(); }
    bool previous_owner_died() const { return held() && owner_died_; }

    // The end of a `with` block: releases the lock if the handle still holds it (the block may have
    // released it, or closed the handle, itself).
    void exit() {
        if (held()) release();
    }

    std::string repr() const { return repr_of(*this, "Lock", held() ? " held" : ""); }

private:
    LockEnd& end() const noexcept { return *c_handle<LockEnd>(); }

    bool owner_died_ = false;
};

// ---- Semaphores.

struct SemaphoreEnd {
    explicit SemaphoreEnd(shmring::Semaphore opened) : semaphore(std::move(opened)) {}
    shmring::Semaphore semaphore;
    detail::PollDescriptor poll;  // after the semaphore: its helper stops first
};

SemaphoreEnd& semaphore_end(void* handle) { return *static_cast<SemaphoreEnd*>(handle); }

const HandleCalls kSemaphoreCalls{
    [](void* handle) { delete &semaphore_end(handle); },
    [](void* handle) {
        SemaphoreEnd& end = semaphore_end(handle);
        return poll_fd_of(end.poll, end.semaphore.endpoint(), end.semaphore.event(), [&end] { return end.semaphore.value() > 0; });
    },
    [](void* handle, int strategy) { return set_wait_of(semaphore_end(handle).semaphore.endpoint(), strategy); },
};

class SemaphoreHandle : public Handle {
public:
    SemaphoreHandle(std::string name, int wait)
        : Handle(std::move(name), "", kSemaphoreCalls, &open_end<SemaphoreEnd, shmring::Semaphore>, 0, wait) {}

    void post() {
        const Call call(*this);
        checked(c_result(end().semaphore.post()), name());
    }

    void wait(const py::handle& timeout) {
        const Call call(*this);
        SemaphoreEnd& state = end();
        shmring::Semaphore& semaphore = state.semaphore;
        const int result = patiently(Patience(timeout), [&](std::int64_t ns) {
            return tried_or_waited(semaphore.endpoint(), ns, [&] { return semaphore.try_wait(); },
                                   [&](Deadline deadline) { return semaphore.wait(deadline); });
        });
        if (result == -EAGAIN || result == -ETIMEDOUT) state.poll.rearm();  // found the count at zero
        checked(result, name());
    }

    std::uint32_t value() const {
        refuse_closed(*this);
        const shmring::Semaphore& semaphore = end().semaphore;
        const std::uint32_t value = semaphore.value();
        if (value > semaphore.maximum()) raise_errno(EPROTO, name());
        return value;
    }

    std::uint32_t maximum() const {
        refuse_closed(*this);
        return end().semaphore.maximum();
    }

    std::string repr() const { return repr_of(*this, "Semaphore"); }

private:
    SemaphoreEnd& end() const noexcept { return *c_handle<SemaphoreEnd>(); }
};

}  // namespace

void register_state(py::module_& module) {
    const auto none = py::none();
    const int adaptive = static_cast<int>(SHMRING_WAIT_ADAPTIVE);

    py::class_<CellHandle> cell(module, "Cell", kCellDoc);
    cell.def(py::init<std::string, int>(), py::arg("name"), py::kw_only(), py::arg("wait") = adaptive)
        .def("wait", &CellHandle::wait, py::arg("seen"), py::arg("timeout") = none,
             "Waits until the cell holds a version newer than `seen`; returns that version (the newest).\n"
             "wait(0) waits for the first write.")
        .def_property_readonly("version", &CellHandle::version, "The newest version: 0 before the first write (a look: marks nothing as read).")
        .def_property_readonly("max_size", &CellHandle::max_size, "The largest value, in bytes.");
    def_fast<CellHandle, [](CellHandle& self, py::handle, py::handle value, py::handle timeout) -> py::object {
        self.write(value, timeout);
        return py::none();
    }, kValueTimeout>(cell, "write",
                      "write($self, value, timeout=None)\n--\n\n"
                      "Publishes `value` (any bytes-like object) as the newest version. Waits only while another\n"
                      "writer writes. OSError(EMSGSIZE) above max_size: nothing is written.");
    def_fast<CellHandle, [](CellHandle& self, py::handle, py::handle, py::handle) -> py::object { return self.read().first; },
             kNoArguments>(cell, "read", "read($self)\n--\n\nThe latest value, as bytes (b\"\" before the first write).");
    def_fast<CellHandle, [](CellHandle& self, py::handle, py::handle, py::handle) -> py::object {
        auto [value, version] = self.read();
        return py::make_tuple(version, std::move(value));
    }, kNoArguments>(cell, "read_with_version",
                     "read_with_version($self)\n--\n\nThe latest value and its version: (version, bytes); (0, b\"\") before the first write.");
    def_descriptor_and_closing(cell, "the cell holds a version newer than the last one this handle read or waited for");
    def_state_handle(cell, "Closes the handle. Closing twice is harmless.");

    py::class_<LockHandle> lock(module, "Lock", kLockDoc);
    lock.def(py::init<std::string, int>(), py::arg("name"), py::kw_only(), py::arg("wait") = adaptive)
        .def("consistent", &LockHandle::consistent,
             "After an acquire that returned True: what the lock guards is repaired, and the lock goes on\n"
             "as before. PermissionError (EPERM) unless this handle holds it.")
        .def_property_readonly("held", &LockHandle::held, "True while this handle holds the lock.")
        .def_property_readonly("previous_owner_died", &LockHandle::previous_owner_died,
                               "True while this handle holds the lock taken from a holder that died holding it\n"
                               "(acquire returned True): repair, then consistent().")
        .def("__enter__", [](py::object self) {
            self.cast<LockHandle&>().acquire(py::none());
            return self;
        })
        .def("__exit__", [](LockHandle& self, const py::args&) { self.exit(); });
    def_fast<LockHandle, [](LockHandle& self, py::handle, py::handle timeout, py::handle) -> py::object {
        return py::bool_(self.acquire(timeout));
    }, kTimeout>(lock, "acquire",
                 "acquire($self, timeout=None)\n--\n\n"
                 "Takes the lock, waiting while another handle holds it. Returns True when its holder died\n"
                 "holding it (repair what it guards, then consistent()), False otherwise; raises when it is not\n"
                 "taken: BlockingIOError/TimeoutError, OSError EDEADLK (this handle holds it), ENOTRECOVERABLE\n"
                 "(released unrepaired after a holder died).");
    def_fast<LockHandle, [](LockHandle& self, py::handle, py::handle, py::handle) -> py::object {
        self.release();
        return py::none();
    }, kNoArguments>(lock, "release",
                     "release($self)\n--\n\n"
                     "Gives the lock back. PermissionError (EPERM) unless this handle holds it. After an acquire\n"
                     "that returned True and no consistent(), the lock becomes unrecoverable.");
    def_state_handle(lock, "Closes the handle. Holding the lock, it gives it back as a death would (the next acquire\n"
                           "returns True). Closing twice is harmless.");

    py::class_<SemaphoreHandle> semaphore(module, "Semaphore", kSemaphoreDoc);
    semaphore.def(py::init<std::string, int>(), py::arg("name"), py::kw_only(), py::arg("wait") = adaptive)
        .def_property_readonly("value", &SemaphoreHandle::value, "The count now (a racy look).")
        .def_property_readonly("maximum", &SemaphoreHandle::maximum, "The largest count.");
    def_fast<SemaphoreHandle, [](SemaphoreHandle& self, py::handle, py::handle, py::handle) -> py::object {
        self.post();
        return py::none();
    }, kNoArguments>(semaphore, "post",
                     "post($self)\n--\n\nAdds one to the count, waking a waiter. OSError(EOVERFLOW) at the maximum: nothing is added.");
    def_fast<SemaphoreHandle, [](SemaphoreHandle& self, py::handle, py::handle timeout, py::handle) -> py::object {
        self.wait(timeout);
        return py::none();
    }, kTimeout>(semaphore, "wait", "wait($self, timeout=None)\n--\n\nTakes one from the count, waiting while it is zero.");
    def_descriptor_and_closing(semaphore, "the count is above zero (a wait may take one)");
    def_state_handle(semaphore, "Closes the handle. Closing twice is harmless.");
}

}  // namespace shmring::python
