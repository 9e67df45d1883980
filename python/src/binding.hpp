// What every part of the Python binding shares: errors, timeouts, buffers and the handle base.
//
// The binding calls the C API (shmring.h) with the GIL held for a first try, which is how a call
// that succeeds at once stays as cheap as the C call; a call that has to wait releases the GIL and
// waits in slices of at most kSlice, so that Ctrl-C (any signal handler that raises) ends it.
#pragma once

#include <pybind11/pybind11.h>

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <utility>

namespace shmring::python {

namespace py = pybind11;

// Raises the Python exception for errno `err` (either sign): OSError(err, description, name),
// which Python turns into its subclass for that errno (FileExistsError, TimeoutError, ...), or
// shmring.CorruptError (an OSError) for EPROTO.
[[noreturn]] void raise_errno(int err, const std::string& name);
// The same with a message of the binding's own, for misuse the C API reports as EINVAL.
[[noreturn]] void raise_errno(int err, const std::string& name, const std::string& message);

// A C API result: the value when it is not negative; otherwise raises for -result.
template <class T>
T checked(T result, const std::string& name) {
    if (result < 0) raise_errno(static_cast<int>(-result), name);
    return result;
}

void register_errors(py::module_& module);

// A timeout given in Python: None waits for ever, 0 only tries, a positive number of seconds waits
// at most that long. Negative or NaN: ValueError.
class Patience {
public:
    explicit Patience(const py::handle& timeout);
    bool only_tries() const noexcept { return only_tries_; }
    // The C API's timeout for one slice of the wait: at most kSlice; 0 once the deadline passed.
    std::int64_t next_slice_ns() const noexcept;
    bool expired() const noexcept;

private:
    bool only_tries_ = false;
    bool forever_ = true;
    std::chrono::steady_clock::time_point deadline_{};
};

inline constexpr std::chrono::milliseconds kSlice{100};

// Runs a C API call that takes a timeout in nanoseconds (a negative result is -errno): once with
// timeout 0 holding the GIL; if that says EAGAIN and `patience` allows a wait, again without the
// GIL, a slice at a time, running Python's signal handlers between slices (an exception they raise
// ends the wait). Returns the last result: -ETIMEDOUT once the deadline passed.
template <class Call>
auto patiently(const Patience& patience, Call&& call) -> decltype(call(std::int64_t{})) {
    auto result = call(std::int64_t{0});
    if (result != -EAGAIN || patience.only_tries()) return result;
    for (;;) {
        if (patience.expired()) return -ETIMEDOUT;
        const std::int64_t slice = patience.next_slice_ns();
        {
            py::gil_scoped_release unlocked;
            result = call(slice);
        }
        // A slice of 0 (the deadline passed meanwhile) only tried: its EAGAIN is a timeout.
        if (result == -EAGAIN) result = -ETIMEDOUT;
        if (result != -ETIMEDOUT) return result;
        if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    }
}

// A Python object's bytes (the buffer protocol, C-contiguous), held until destruction.
class BufferArg {
public:
    BufferArg(const py::handle& object, bool writable);
    ~BufferArg() { PyBuffer_Release(&view_); }
    BufferArg(const BufferArg&) = delete;
    BufferArg& operator=(const BufferArg&) = delete;
    std::byte* data() const noexcept { return static_cast<std::byte*>(view_.buf); }
    std::size_t size() const noexcept { return static_cast<std::size_t>(view_.len); }

private:
    Py_buffer view_{};
};

// A message a copying call took in place (peek) and could not copy out (MemoryError): it stays
// taken, and the handle's next receive starts from it instead of losing it.
struct HeldMessage {
    const void* data = nullptr;
    ssize_t length = -1;  // -1: none held
    std::uint64_t sequence = 0;
    bool held() const noexcept { return length >= 0; }
    // Copies the held message into `room` and stops holding it: its length, or -EMSGSIZE (still
    // held) when it does not fit. The caller then releases it in the ring.
    ssize_t copy_into(std::span<std::byte> room) noexcept {
        if (static_cast<std::size_t>(length) > room.size()) return -EMSGSIZE;
        if (length > 0) std::memcpy(room.data(), data, static_cast<std::size_t>(length));
        return std::exchange(*this, {}).length;
    }
};

// A bytes object holding a copy of `length` bytes at `data`: MemoryError (error_already_set) if
// Python cannot allocate it.
py::bytes copy_to_bytes(const void* data, std::size_t length);

class Lease;

// The C API calls every kind of handle has, on its opaque handle.
struct HandleCalls {
    void (*close)(void* handle);
    int (*fd)(void* handle);
    int (*set_wait)(void* handle, int strategy);
};

// What every channel handle has: its ring's name and role, the C handle, whether it is closed, and
// the loan or peeked message open on it. A handle is used by one thread at a time: a call that
// waits releases the GIL, so another thread's call on the same handle is refused (RuntimeError)
// instead of racing.
class Handle {
public:
    // Opens the C handle with `open` (a shmring_*_open bound to name and role) and sets its wait.
    template <class CHandle>
    Handle(std::string name, std::string role, const HandleCalls& calls, int (*open)(const char*, int, CHandle**), int c_role,
           int wait)
        : name_(std::move(name)), role_(std::move(role)), calls_(calls) {
        CHandle* opened = nullptr;
        checked(open(name_.c_str(), c_role, &opened), name_);
        handle_ = opened;
        closed_ = false;
        try {
            set_wait(wait);
        } catch (...) {
            close();
            throw;
        }
    }
    ~Handle();
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

    const std::string& name() const noexcept { return name_; }
    const std::string& role() const noexcept { return role_; }
    bool closed() const noexcept { return closed_; }
    // Closes the C handle, ending an open lease first (BufferError while Python holds views of it).
    void close();
    int fileno();
    void set_wait(int strategy);
    std::string repr(const char* kind) const;

    // One call on the handle: refuses a closed handle (ValueError), one in use by another thread
    // (RuntimeError), one of the other role (OSError EBADF, naming the role it needs) and, unless
    // `lease_allowed`, one while a loan or a peeked message is open (BufferError: one at a time
    // per handle, as the C API says).
    class Call {
    public:
        Call(Handle& handle, const char* role, const char* verb, bool lease_allowed = false);
        explicit Call(Handle& handle) : Call(handle, nullptr, nullptr, true) {}
        ~Call() { handle_.in_call_ = false; }
        Call(const Call&) = delete;
        Call& operator=(const Call&) = delete;

    private:
        Handle& handle_;
    };

    // The loan or message this handle lent (Lease sets and clears it).
    Lease* lease = nullptr;

protected:
    template <class CHandle>
    CHandle* c_handle() const noexcept {
        return static_cast<CHandle*>(handle_);
    }

private:
    std::string name_;
    std::string role_;
    HandleCalls calls_;
    void* handle_ = nullptr;
    bool closed_ = true;
    bool in_call_ = false;
};

// Adds what every handle class has to its Python class: close, fileno, set_wait, name, role,
// closed, the context manager and repr.
template <class T>
void def_handle(py::class_<T>& cls, const char* kind, const char* fd_ready) {
    cls.def("fileno", [](T& self) { return self.fileno(); }, (std::string("A descriptor that select/poll/epoll report readable when ") + fd_ready +
                                   ". Owned by the handle: do not close it.")
                                      .c_str())
        .def("set_wait", [](T& self, int wait) { self.set_wait(wait); }, py::arg("wait"), "How calls wait: a shmring.Wait (ADAPTIVE, SPIN or BLOCK).")
        .def("close", [](T& self) { self.close(); }, "Closes the handle (an open loan is aborted, a peeked message released). Closing twice is harmless.")
        .def_property_readonly("name", [](const T& self) { return self.name(); }, "The ring's name.")
        .def_property_readonly("role", [](const T& self) { return self.role(); }, "The role this handle was opened with.")
        .def_property_readonly("closed", [](const T& self) { return self.closed(); }, "True once close() was called.")
        .def("__enter__", [](py::object self) { return self; })
        .def("__exit__", [](T& self, const py::args&) { self.close(); })
        .def("__repr__", [kind](const T& self) { return self.repr(kind); });
}

// The channel classes, each registered by its own file.
void register_leases(py::module_& module);
void register_pipe(py::module_& module);
void register_queue(py::module_& module);
void register_topic(py::module_& module);
void register_service(py::module_& module);
// The shared-state classes: Cell, Lock and Semaphore (state.cpp).
void register_state(py::module_& module);

}  // namespace shmring::python
