// Internal. Leases: liveness that the kernel vouches for.
//
// An endpoint owns its registry entry through a lease: an open-file-description write lock
// (fcntl F_OFD_SETLK) on the entry's own 128 bytes of the segment file, taken through a descriptor
// of its own (a second open of the object, close-on-exec). The kernel drops the lock when the last
// descriptor of that open file description is closed, that is when the process exits or is killed,
// and when it execs (close-on-exec): exactly when the endpoint can no longer act. Any process with
// the segment open can test the lock (F_OFD_GETLK), whatever its pid namespace and whatever /proc
// lets it see. A stopped, preempted or slow process keeps its lock, and so does one whose main
// thread exited while other threads run (the descriptor table lives until the last thread ends).
//
// Why these rules make "free lease" mean "dead owner" (endpoint.cpp applies them):
//   - every change of an entry's state word is made by the holder of the entry's lease: an
//     attacher or a reaper takes the lease first, then changes the state; an owner that detaches
//     frees the state, then drops the lease;
//   - so an entry whose state says taken while nobody holds its lease has lost its owner, provided
//     the state did not change while we looked (an owner that detached meanwhile changed it).
// The kernel's lock operations order like a release (the dropping unlock) and an acquire (the
// test that finds the lock free): what the owner stored before dropping it is visible afterwards.
//
// fork: the child shares its parent's open file descriptions, so its copies would keep the
// parent's leases alive after the parent dies. The child's copies of every lease descriptor are
// closed right after fork (pthread_atfork); closing a copy leaves the parent's lock in place. A
// child made with a raw clone() that skips the atfork handlers keeps them until it execs or exits.
#pragma once

#include <cstdint>

#include "shmring/error.hpp"

namespace shmring::detail {

enum class LeaseLook { held, free, unknown };

// How many times this process began as the child of a fork (after a lease was first taken): a
// handle that recorded another value was opened by an ancestor, and acts in its name no more. One
// relaxed load, no system call: for data paths that must refuse a forked copy of a handle.
std::uint32_t fork_generation() noexcept;

// Whether anybody but `fd`'s own open file description holds entry `index`'s lease. unknown when
// the kernel cannot answer (no OFD locks): callers count that as held.
LeaseLook look_at_lease(int fd, std::uint32_t index) noexcept;

// Takes entry `index`'s lease through `fd` without waiting: false if another open file description
// holds it. Used by a reaper for the moment it changes a dead owner's entry; release_lease gives it back.
bool take_lease(int fd, std::uint32_t index) noexcept;
void release_lease(int fd, std::uint32_t index) noexcept;

// The descriptor through which an endpoint holds its lease, closed in fork children (see above).
class LeaseHolder {
public:
    // A new open file description of the object that `segment_fd` has open (named `object_name`).
    // Fails only when the object cannot be opened again.
    static Result<LeaseHolder> open(int segment_fd, const char* object_name);

    LeaseHolder() = default;
    LeaseHolder(LeaseHolder&& other) noexcept;
    LeaseHolder& operator=(LeaseHolder&& other) noexcept;
    LeaseHolder(const LeaseHolder&) = delete;
    LeaseHolder& operator=(const LeaseHolder&) = delete;
    ~LeaseHolder();

    // Takes entry `index`'s lease (at most one at a time): false if someone else holds it.
    bool take(std::uint32_t index) noexcept;
    // Gives the lease back, keeping the descriptor for another take().
    void drop() noexcept;

private:
    explicit LeaseHolder(int fd) noexcept : fd_(fd) {}
    void close() noexcept;

    int fd_ = -1;
    std::int64_t index_ = -1;  // the entry whose lease is held, -1 for none
};

}  // namespace shmring::detail
