// Errors. Setup (create, open, attach) returns Result<T>: a value or an Error that names the failing
// call. The data path never throws and never allocates: it returns a Status.
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace shmring {

// Every distinguishable setup outcome. errno_value() maps each to the errno of the C API.
enum class Errc {
    invalid_name,         // EINVAL: not 1..200 of [A-Za-z0-9._-]
    invalid_argument,     // EINVAL: a size, mode or option out of range
    exists,               // EEXIST: a ring of that name exists already
    not_found,            // ENOENT: no ring of that name
    permission_denied,    // EACCES: the object's mode or owner refuses this process
    busy,                 // EBUSY: the role is held by a live endpoint
    no_endpoint_slot,     // EBUSY: every endpoint entry is in use
    not_a_ring,           // EPROTO: not a regular file, or too small to hold a header
    bad_magic,            // EPROTO: the first bytes are not a shmring header
    version_mismatch,     // EPROTO: written by another layout version
    wrong_kind,           // EPROTO: another engine or channel kind than the caller asked for
    truncated,            // EPROTO: the header promises more bytes than the object has
    corrupt,              // EPROTO: a header field is out of range or inconsistent
    not_ready,            // EPROTO: creation never finished (the creator died or is stuck)
    unsupported,          // EOPNOTSUPP: the system lacks a requested feature (e.g. huge pages)
    no_space,             // ENOSPC: the shared-memory file system cannot hold the ring
    system,               // the errno of a failed system call
};

const char* describe(Errc code) noexcept;
int errno_value(Errc code, int sys_errno) noexcept;

class Error {
public:
    Error(Errc code, std::string context, int sys_errno = 0)
        : code_(code), sys_errno_(sys_errno), context_(std::move(context)) {}

    Errc code() const noexcept { return code_; }
    int sys_errno() const noexcept { return sys_errno_; }
    int errno_value() const noexcept { return shmring::errno_value(code_, sys_errno_); }
    // "<context>: <what went wrong>[: <strerror>]", e.g. "shm_open(/shmring.feed): ring not found".
    std::string message() const;

private:
    Errc code_;
    int sys_errno_;
    std::string context_;
};

// Builds the Error for a failed system call from errno, choosing the specific code when there is one.
Error system_error(std::string context, int sys_errno);

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    explicit operator bool() const noexcept { return v_.index() == 0; }
    bool has_value() const noexcept { return v_.index() == 0; }
    T& value() & { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const T& value() const& { return std::get<0>(v_); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

struct Ok {};
using Outcome = Result<Ok>;

// Data-path outcome. The values are the errno values of the C API so that adapters pass them through.
enum class Status : int {
    ok = 0,
    again = EAGAIN,         // would block: full on send, empty on receive
    timed_out = ETIMEDOUT,  // the deadline passed
    too_large = EMSGSIZE,   // the message exceeds the ring's limit, or the buffer is too small
    corrupt = EPROTO,       // a value read from the segment broke an invariant
    peer_gone = EPIPE,      // the wait gave up because the other side is gone
    interrupted = EINTR,    // the caller's cancel check asked the wait to stop
    wrong_role = EBADF,     // the operation belongs to the other side (a read on a writer)
    busy = EBUSY,           // a loan or a taken message is still open on this handle
    overflow = EOVERFLOW,   // lossy topics: the message was overwritten while it was read in place;
                            // semaphores: the count is at its maximum
    refused = ECONNREFUSED,   // services: no live server is attached to answer
    reset = ECONNRESET,       // services: the server serving the call died or closed before answering
    unknown_request = EINVAL,  // services: no pending call of this handle has that request id
    owner_died = EOWNERDEAD,   // locks: taken, and the previous holder died holding it
    not_recoverable = ENOTRECOVERABLE,  // locks: a holder that got owner_died gave it back unrepaired
    not_owner = EPERM,         // locks: this handle does not hold it
    deadlock = EDEADLK,        // locks: this handle holds it already
};

const char* describe(Status status) noexcept;

}  // namespace shmring
