// Loans and messages lent in place (zero copy), exposed through the buffer protocol.
//
// The lifetime rule: the memory is the ring's, valid until commit/abort (a loan) or release (a
// message). Python cannot revoke a memoryview once given, so, as mmap does, ending a lease while a
// view of it exists raises BufferError instead of leaving the view pointing into the ring; once
// ended, the lease gives no new view (ValueError). A view is released with `del`, `with
// memoryview(x)` or memoryview.release(); a NumPy array made by numpy.frombuffer holds one until
// the array is gone.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "binding.hpp"

namespace shmring::python {

// How a lease ends, in the C API of the handle that lent it.
struct LeaseEnds {
    void* handle;
    int (*commit)(void* handle, std::size_t length);  // loans
    void (*abort)(void* handle);                      // loans
    int (*release)(void* handle);                     // messages
};

class Lease {
public:
    Lease(Handle& lender, py::object lender_object, std::span<std::byte> bytes, bool writable, LeaseEnds ends,
          std::uint64_t sequence = 0);
    // A lease dropped open ends as abort (a loan) or release (a message) would.
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    std::size_t size() const noexcept { return bytes_.size(); }
    bool open() const noexcept { return open_; }
    std::uint64_t sequence() const noexcept { return sequence_; }

    // commit(length) for a loan; abort() and release() end it without a check of the result.
    void commit(std::size_t length);
    void abort();
    // Raises OSError(EOVERFLOW) for a lossy topic's message overwritten while it was lent.
    void release();
    // For the handle's close: ends it as a drop would (BufferError while views exist).
    void end_for_close();
    py::bytes copy() const;

    // The buffer protocol's two calls (installed as the type's slots by register_leases).
    int get_buffer(PyObject* exporter, Py_buffer* view, int flags);
    void release_buffer() noexcept { --exports_; }

private:
    // Refuses to end while views exist, then detaches from the lender.
    void ending(const char* verb);

    Handle* lender_;
    py::object lender_object_;  // keeps the handle, and so the ring's memory, alive
    std::span<std::byte> bytes_;
    bool writable_;
    LeaseEnds ends_;
    std::uint64_t sequence_;
    bool open_ = true;
    int exports_ = 0;
};

// The Python objects: a Loan (writable room) or a Message (read-only), taking a new Lease.
py::object make_loan(Handle& lender, py::object lender_object, std::span<std::byte> bytes, LeaseEnds ends);
py::object make_message(Handle& lender, py::object lender_object, std::span<const std::byte> bytes, LeaseEnds ends,
                        std::uint64_t sequence);

}  // namespace shmring::python
