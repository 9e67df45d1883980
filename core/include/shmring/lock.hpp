// Lock: mutual exclusion between processes that survives its holder's death.
//
// A handle holds the lock, not a thread: give each thread that locks its own handle. Taking a free
// lock is one CAS (no system call); a waiter spins, then sleeps on the lock's futex, and looks at
// the holder's lease at least every probe interval (50 ms): a holder killed or exec'd while holding
// hands the lock to the next taker with Status::owner_died, as robust mutexes give EOWNERDEAD. That
// holder repairs what the lock guards and calls make_consistent(), or its release leaves the lock
// not_recoverable for everyone. A stopped or slow holder keeps its lease: it is waited for, never
// overtaken. Protocol: detail/owner_lock.hpp.
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <string_view>

#include "shmring/detail/owner_lock.hpp"
#include "shmring/detail/reassign.hpp"
#include "shmring/endpoint.hpp"
#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/ring_segment.hpp"

namespace shmring {

Outcome create_lock(std::string_view name, unsigned mode = 0600, const SegmentOptions& options = {});

// The lock block of a lock segment.
inline layout::OwnerLock& owner_lock_of(const RingView& ring) noexcept { return reinterpret_cast<layout::LockBlock*>(ring.data())->lock; }

class Lock {
public:
    static Result<Lock> attach(std::string_view name, const EndpointOptions& options = {});
    static Result<Lock> attach(RingSegment ring, const EndpointOptions& options = {});

    // ok or owner_died: held. not_recoverable, again, deadlock (this handle holds it), corrupt: not held.
    // Every call refuses, with not_owner, in a process forked after the handle was opened: the
    // handle is its parent's.
    [[nodiscard]] Status try_acquire() noexcept;
    // The same, waiting until `deadline` (timed_out).
    Status acquire(Deadline deadline = kNoDeadline) noexcept;
    // After owner_died: the guarded state is repaired. not_owner unless held.
    Status make_consistent() noexcept;
    // not_owner unless held.
    Status release() noexcept;
    bool held() const noexcept { return protocol_.held(); }

    const RingSegment& ring() const noexcept { return endpoint_.ring(); }
    Endpoint& endpoint() noexcept { return endpoint_; }
    const Endpoint& endpoint() const noexcept { return endpoint_; }

    Lock(Lock&& other) noexcept = default;
    Lock& operator=(Lock&& other) noexcept { return detail::reassign(*this, std::move(other)); }
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
    // Held: given back as a death would, so that the next holder repairs.
    ~Lock();

private:
    explicit Lock(Endpoint endpoint) noexcept
        : endpoint_(std::move(endpoint)), protocol_(owner_lock_of(endpoint_.ring()), endpoint_.role_word()) {}
    Status counted(Status status) noexcept;
    // Waiters sleep on the data event; a release wakes them.
    layout::WaitEvent& owner_lock_event() const noexcept { return endpoint_.ring().data_event(); }

    Endpoint endpoint_;
    detail::OwnerLockProtocol protocol_;
};

// Holds a Lock for a scope: status() says how it was taken (ok, owner_died) or why not.
class LockGuard {
public:
    explicit LockGuard(Lock& lock, Deadline deadline = kNoDeadline) noexcept : lock_(lock), status_(lock.acquire(deadline)) {}
    ~LockGuard() {
        if (owns()) (void)lock_.release();
    }
    LockGuard(const LockGuard&) = delete;
    LockGuard& operator=(const LockGuard&) = delete;

    Status status() const noexcept { return status_; }
    bool owns() const noexcept { return status_ == Status::ok || status_ == Status::owner_died; }
    bool previous_owner_died() const noexcept { return status_ == Status::owner_died; }
    explicit operator bool() const noexcept { return owns(); }

private:
    Lock& lock_;
    Status status_;
};

}  // namespace shmring
