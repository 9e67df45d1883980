// The binding's shared parts (binding.hpp): timeouts, buffers, handles.
#include "binding.hpp"

#include <cerrno>

#include "lease.hpp"

namespace shmring::python {

using Clock = std::chrono::steady_clock;

Patience::Patience(const py::handle& timeout) {
    if (timeout.is_none()) return;
    const double seconds = PyFloat_AsDouble(timeout.ptr());  // TypeError for what is not a number
    if (seconds == -1.0 && PyErr_Occurred() != nullptr) throw py::error_already_set();
    if (!(seconds >= 0)) throw py::value_error("timeout must be None (wait for ever), 0 (only try) or a positive number of seconds");
    if (seconds == 0) {
        only_tries_ = true;
        return;
    }
    // Centuries and more wait for ever, as the C API's deadlines do.
    if (seconds > 1e9) return;
    forever_ = false;
    deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

bool Patience::expired() const noexcept {
    return !forever_ && Clock::now() >= deadline_;
}

std::int64_t Patience::next_slice_ns() const noexcept {
    const auto slice = std::chrono::duration_cast<std::chrono::nanoseconds>(kSlice);
    if (forever_) return slice.count();
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline_ - Clock::now());
    if (left.count() <= 0) return 0;
    return std::min(left, slice).count();
}

BufferArg::BufferArg(const py::handle& object, bool writable) {
    if (PyObject_GetBuffer(object.ptr(), &view_, writable ? PyBUF_WRITABLE : PyBUF_SIMPLE) != 0) {
        throw py::error_already_set();
    }
}

Handle::~Handle() {
    // No lease can be open here: each holds a reference to its handle.
    if (!closed_) calls_.close(handle_);
}

void Handle::close() {
    if (closed_) return;
    const Call call(*this);
    if (lease != nullptr) lease->end_for_close();
    calls_.close(handle_);
    closed_ = true;
}

int Handle::fileno() {
    const Call call(*this);
    return checked(calls_.fd(handle_), name_);
}

void Handle::set_wait(int strategy) {
    const Call call(*this);
    if (const int status = calls_.set_wait(handle_, strategy); status < 0) {
        raise_errno(-status, name_, "wait must be a shmring.Wait (ADAPTIVE, SPIN or BLOCK)");
    }
}

std::string Handle::repr(const char* kind) const {
    return std::string("<shmring.") + kind + " '" + name_ + "' " + role_ + (closed_ ? " closed>" : ">");
}

Handle::Call::Call(Handle& handle, const char* role, const char* verb, bool lease_allowed) : handle_(handle) {
    if (handle.closed_) throw py::value_error("operation on a closed handle of '" + handle.name_ + "'");
    if (handle.in_call_) {
        throw std::runtime_error("the handle of '" + handle.name_ +
                                 "' is in a call already (another thread's, or the one a signal handler interrupted): a handle "
                                 "is for one thread at a time");
    }
    if (role != nullptr && handle.role_ != role) {
        raise_errno(EBADF, handle.name_, std::string(verb) + " is for a " + role + ": this handle is a " + handle.role_);
    }
    if (!lease_allowed && handle.lease != nullptr) {
        throw py::buffer_error("a loan or a peeked message of '" + handle.name_ +
                               "' is still open: commit, abort or release it first (one at a time per handle)");
    }
    handle.in_call_ = true;
}

}  // namespace shmring::python
