// Internal. A lock that survives its holder: the protocol of named locks (lock.hpp) and of a
// cell's writers (cell.hpp) over a layout::OwnerLock. Model-checked by verify/lock_owner_death.pml
// (verify/run.sh): keep them in step.
//
// `holder` names the endpoint that holds the lock by its role word (layout::role_word), 0 when
// free. The word stays meaningful after its endpoint is gone: the entry's lease tells whether the
// owner lives (endpoint.hpp, role_holder_presence), and the generation whether the entry was taken
// again since. A stopped, slow or preempted holder keeps its lease, so it is never overtaken.
//
//   [A0] the consistency says not_recoverable: fail at once, for ever
//   [A1] take: CAS holder 0 -> me (acquire, pairs with [U2]): no system call. Then the consistency,
//        which only holders write: not_recoverable -> give it back and fail; owner_died -> the
//        holder before us had taken it from a dead one and died too: owner_died for us as well.
//   [A2] take from the dead (a waiter's probe, at most every probe interval): the holder h names a
//        dead or gone endpoint -> CAS holder h -> me (acquire: whatever h stored before it died is
//        visible); then as [A1]: not_recoverable (h died after marking it so) -> give it back and
//        fail; else consistency := owner_died; owner_died.
//   [U1] give back: a holder whose consistency is owner_died (unrepaired) marks it not_recoverable.
//   [U2] holder := 0 (release, pairs with [A1]); the caller then wakes the waiters.
// A handle closed while it holds the lock gives it back as a death would: consistency :=
// owner_died, then [U2], so that the next holder repairs.
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>

#include "shmring/detail/reset_on_move.hpp"
#include "shmring/endpoint.hpp"
#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/ring_segment.hpp"

namespace shmring::detail {

using layout::LockConsistency;

inline std::uint64_t coarse_realtime_ns() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);  // the vDSO: no system call
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000U + static_cast<std::uint64_t>(ts.tv_nsec);
}

// One handle's side of an OwnerLock, named by the handle's role word. A moved-from one holds nothing.
class OwnerLockProtocol {
public:
    // Failed takes of a spinning wait before its early look at the holder (a few microseconds).
    static constexpr unsigned kMissesBeforeLook = 256;

    OwnerLockProtocol(layout::OwnerLock& lock, std::uint64_t me) noexcept : lock_(&lock), me_(me) {}

    bool held() const noexcept {
        // Relaxed: only this handle stores its own word there, and it reads its own store.
        return lock_ != nullptr && lock_->holder.load(std::memory_order_relaxed) == me_;
    }

    // [A1]: ok, owner_died, not_recoverable, again (held by someone), deadlock (held by us).
    Status try_take() noexcept {
        // [A0] relaxed: a final state, checked again after the CAS; nothing is read on its word.
        if (lock_->consistency.load(std::memory_order_relaxed) == static_cast<std::uint32_t>(LockConsistency::not_recoverable))
            return Status::not_recoverable;
        // A look before the CAS: waiters that spin read the line and leave it shared, instead of
        // taking it away from the holder with a failing CAS on every turn. Relaxed: the CAS decides.
        std::uint64_t expected = lock_->holder.load(std::memory_order_relaxed);
        if (expected != 0) return expected == me_ ? Status::deadlock : Status::again;
        // [A1] acquire, pairs with [U2]: the last holder's stores are visible to us. Failure relaxed:
        // nothing is read on a failed take.
        if (!lock_->holder.compare_exchange_strong(expected, me_, std::memory_order_acquire, std::memory_order_relaxed))
            return expected == me_ ? Status::deadlock : Status::again;
        return taken(Status::ok);
    }

    // [A2]: owner_died when the holder was dead and we took the lock from it; again when it lives
    // (or the lock changed hands meanwhile); corrupt when the holder word names no entry.
    Status try_take_from_dead(const RingSegment& ring) noexcept {
        std::uint64_t holder = lock_->holder.load(std::memory_order_relaxed);  // checked by the CAS below
        if (holder == 0 || holder == me_) return Status::again;
        if (layout::role_index(holder) >= layout::kMaxEndpoints) {
            ring.mark_corrupt();
            return Status::corrupt;
        }
        if (role_holder_presence(ring, holder) == Presence::alive) return Status::again;
        // [A2] acquire: a dead holder released nothing; what it stored before dying is ordered before
        // our judgement by the kernel's lease (dropped at its death, tested free by
        // role_holder_presence) and the acquire load of its entry's state there. The acquire here
        // orders our critical section after the CAS. Failure relaxed: nothing is read.
        if (!lock_->holder.compare_exchange_strong(holder, me_, std::memory_order_acquire, std::memory_order_relaxed)) return Status::again;
        lock_->owner_deaths.add_by_owner(1);  // we hold the lock: its only writer now
        return taken(Status::owner_died);
    }

    // [A1], waiting on `event` of `endpoint`'s ring until `deadline` with [A2] as the wait's probe.
    // A lock whose holder died long ago is taken without waiting a probe interval: the holder is
    // looked at once early in the wait, after a short spin (a blocking waiter: at its first retry),
    // so that an acquire that a live holder's release soon satisfies makes no system call.
    Status take_waiting(Endpoint& endpoint, layout::WaitEvent& event, Deadline deadline) noexcept {
        const unsigned look_at = endpoint.wait_strategy() == WaitStrategy::block ? 1 : kMissesBeforeLook;
        unsigned misses = 0;
        return endpoint.wait(
            event, deadline,
            [&]() noexcept {
                Status status = try_take();
                if (status == Status::again && ++misses == look_at) status = try_take_from_dead(endpoint.ring());
                return status;
            },
            [&]() noexcept {
                const Status status = try_take_from_dead(endpoint.ring());
                return status == Status::again ? Status::ok : status;  // again: the holder lives, wait on
            });
    }

    // After owner_died: the state is repaired. not_owner unless held.
    Status make_consistent() noexcept {
        if (!held()) return Status::not_owner;
        // Relaxed: the holder's own word; published to the next holder by [U2].
        if (lock_->consistency.load(std::memory_order_relaxed) == static_cast<std::uint32_t>(LockConsistency::owner_died))
            lock_->consistency.store(static_cast<std::uint32_t>(LockConsistency::consistent), std::memory_order_relaxed);
        return Status::ok;
    }

    // [U1] and [U2]; as_death: gives it back as a death would (the next holder gets owner_died).
    // not_owner unless held. The caller wakes the waiters.
    Status give_back(bool as_death = false) noexcept {
        if (!held()) return Status::not_owner;
        // Relaxed: the holder's own word; published to the next holder by [U2].
        const auto consistency = static_cast<LockConsistency>(lock_->consistency.load(std::memory_order_relaxed));
        if (consistency != LockConsistency::not_recoverable) {
            const LockConsistency next = as_death ? LockConsistency::owner_died
                                         : consistency == LockConsistency::owner_died ? LockConsistency::not_recoverable
                                                                                      : LockConsistency::consistent;
            if (next != consistency) lock_->consistency.store(static_cast<std::uint32_t>(next), std::memory_order_relaxed);
        }
        lock_->holder.store(0, std::memory_order_release);  // [U2] pairs with [A1] and [A2]
        return Status::ok;
    }

private:
    // The lock is ours (by [A1] or [A2]): what the consistency makes of it.
    Status taken(Status how) noexcept {
        // Relaxed: we hold the lock, and our acquire CAS made the last holder's stores visible.
        auto consistency = static_cast<LockConsistency>(lock_->consistency.load(std::memory_order_relaxed));
        if (consistency == LockConsistency::not_recoverable) {
            lock_->holder.store(0, std::memory_order_release);  // [U2]: nobody may hold it any more
            return Status::not_recoverable;
        }
        if (consistency != LockConsistency::consistent && consistency != LockConsistency::owner_died) {
            lock_->holder.store(0, std::memory_order_release);  // [U2]; the caller marks the segment corrupt
            return Status::corrupt;
        }
        // Relaxed: the holder's own word; published to the next holder by [U2].
        if (how == Status::owner_died && consistency != LockConsistency::owner_died)
            lock_->consistency.store(static_cast<std::uint32_t>(LockConsistency::owner_died), std::memory_order_relaxed);
        // Relaxed: for the tool only.
        lock_->since_realtime_ns.store(coarse_realtime_ns(), std::memory_order_relaxed);
        return consistency == LockConsistency::owner_died ? Status::owner_died : how;
    }

    ResetOnMove<layout::OwnerLock*> lock_;
    std::uint64_t me_;
};

}  // namespace shmring::detail
