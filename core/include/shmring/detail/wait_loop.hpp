// Internal. The wait loop shared by every blocking operation, and the matching notify.
// Model-checked by verify/futex_handshake.pml and, for light publishers, verify/light_fence.pml
// (verify/run.sh): keep them in step.
//
// Lost-wake-up freedom (the futex handshake; verify/futex_handshake.pml checks the same steps):
//
//   publisher                                 sleeper
//   P1 store position (release)               W1 set own bit in sleepers
//   F1 fence(seq_cst)                         F2 fence(seq_cst)
//   P2 load sleepers; if 0: done              W2 s = sequence (acquire)
//   N1 sequence += 1 (release)                W3 retry the operation; if it succeeds: done
//   N2 FUTEX_WAKE                             W4 FUTEX_WAIT(sequence, s)
//
// The two seq_cst fences are ordered one way or the other. If F1 comes first, W3 sees P1 and the
// sleeper never sleeps. If F2 comes first, P2 sees W1, so the publisher runs N1 and N2; W2 then read
// a value older than N1 (had it read N1's value, the acquire would make P1 visible to W3), so
// FUTEX_WAIT either finds the word changed and returns at once, or is asleep before N2 and is woken.
// When nobody sleeps, the publisher's cost is F1 and one load of a line nobody writes: no system call.
// F1 may be only a compiler fence when the kernel supplies the barrier on the sleeper's behalf
// (detail/publish_fence.hpp): the sleeper then adds [H] after F2.
// (ThreadSanitizer does not model standalone fences, so the TSan build checks the data hand-offs,
// which are release/acquire pairs, and the model in verify/ checks this handshake.)
// After waking, the sleeper clears its bit (W5).
#pragma once

#include <algorithm>
#include <climits>
#include <atomic>
#include <sched.h>
#include <type_traits>

#include "shmring/detail/futex.hpp"
#include "shmring/detail/publish_fence.hpp"
#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/wait.hpp"

namespace shmring::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

// The wake step, for publishers and for whoever must make sleepers look again (a detach, a repair,
// a poll helper stopping): [N1] bump the futex word, [N2] wake every sleeper on it. Returns how
// many the kernel woke.
inline int wake_sleepers(layout::WaitEvent& event) noexcept {
    // [N1] release, pairs with [W2]: a sleeper that reads the new value also sees what the caller
    // stored before.
    event.sequence.fetch_add(1, std::memory_order_release);
    return futex_wake(event.sequence.address(), INT_MAX);  // [N2]
}

// Called by a publisher after its publishing store. Wakes every sleeper, if any sleeps, and returns
// how many the kernel woke, or -1 when no system call was needed. Every sleeper, not one: a woken
// MPMC consumer that finds its ticket taken goes back to sleep without passing the wake on, and a
// poll helper sleeps on the same event as its endpoint. `fence` is the publisher's on this event.
inline int notify(layout::WaitEvent& event, layout::Counters& counters, PublishFence& fence) noexcept {
    // [F1] pairs with [F2] in wait_after_miss: orders the caller's publishing store before the loads below.
    fence.before_look();
    // Relaxed: [F1] gives the ordering; a stale non-zero only costs a needless wake. [P2]
    const bool found = (event.sleepers.load(std::memory_order_relaxed) | event.helper_sleepers.load(std::memory_order_relaxed)) != 0;
    fence.after_look(event, found);  // before the wake: [L2] in publish_fence.hpp
    if (!found) return -1;
    counters.wakes.add_by_owner(1);
    return wake_sleepers(event);
}

// Where a waiter marks itself asleep: its bit in one of the event's sleeper masks.
struct SleeperBit {
    SharedAtomic<std::uint64_t> layout::WaitEvent::*mask;
    std::uint64_t bit;
};

inline SleeperBit endpoint_sleeper(std::uint32_t index) noexcept { return {&layout::WaitEvent::sleepers, std::uint64_t{1} << index}; }
inline SleeperBit helper_sleeper(std::uint32_t index) noexcept { return {&layout::WaitEvent::helper_sleepers, std::uint64_t{1} << index}; }

// The default probe of a wait: nothing outside the ring can end it.
struct NoProbe {
    Status operator()() const noexcept { return Status::ok; }
};

// A probe that ends nothing and only bounds each sleep to the probe interval: for a wait whose
// wake-up a publisher may never send, having died (or stopped) between its publishing store and
// its notify (a semaphore's post, a cell's write). The retry after each sleep finds what it published.
struct LookAgain {
    Status operator()() const noexcept { return Status::ok; }
};

// The blocking form of a try_* that returns a Loan or a View: `wait` runs the attempt it is given
// until it stops saying again; the result is the last attempt's, with the wait's status.
template <class Lent, class Wait, class TryOnce>
Lent waited(Wait&& wait, TryOnce&& try_once) noexcept {
    Lent result{Status::again, {}};
    const Status status = wait([&] {
        result = try_once();
        return result.status;
    });
    result.status = status;
    return result;
}

// Everything a wait needs besides its attempt and deadline: where it sleeps, what it counts, and how.
struct Waiter {
    layout::WaitEvent& event;
    SleeperBit me;
    layout::Counters& counters;  // `sleeps` counts the futex waits
    WaitStrategy strategy;
    const WaitTuning& tuning;
    SpinWindow* window;  // adaptive: the spin window, which learns from each wait (else spin_time)
    bool* waiting;       // if set, true from the first failed attempt until the wait ends
};

// The slow path of a wait, entered once a first attempt said again: repeats `attempt` until it
// returns anything but Status::again, waiting in between as the waiter's strategy says (adaptive:
// spinning for the window, which learns from the outcome). `probe` is called about every
// tuning.probe_interval while waiting; a status other than ok ends the wait with that status (a
// pipe uses it to notice a dead peer). Kept apart from the first attempt so that a call that
// succeeds at once pays for nothing of this (not even building the Waiter): see wait_until.
template <class Attempt, class Probe = NoProbe>
Status wait_after_miss(const Waiter& waiter, Deadline deadline, Attempt&& attempt, Probe&& probe = {}) noexcept {
    constexpr bool kProbes = !std::is_same_v<std::decay_t<Probe>, NoProbe>;
    Status status = Status::again;
    struct WaitingFlag {
        bool* flag;
        explicit WaitingFlag(bool* f) noexcept : flag(f) { if (flag != nullptr) *flag = true; }
        ~WaitingFlag() { if (flag != nullptr) *flag = false; }
    } const waiting(waiter.waiting);
    auto& event = waiter.event;
    const WaitTuning& tuning = waiter.tuning;
    const WaitStrategy strategy = waiter.strategy;

    // The probe's clock starts at the first look at the clock, not at entry: a spinning wait that
    // the first spins satisfy reads no clock at all (an adaptive one reads it once, to time its spin).
    Deadline next_probe = kNoDeadline;
    const auto probe_due = [&](Deadline now) {
        if (next_probe == kNoDeadline) next_probe = now + tuning.probe_interval;
        return now >= next_probe;
    };
    if (strategy != WaitStrategy::block) {
        const bool adaptive = strategy == WaitStrategy::adaptive;
        SpinWindow* const window = adaptive ? waiter.window : nullptr;  // learns only from adaptive waits
        const auto spin_time = window != nullptr ? window->current(tuning) : tuning.spin_time;
        // Sparse traffic (the window at its minimum): parking follows anyway, so skip the yields too.
        const bool sparse = adaptive && spin_time <= SpinWindow::kMinimum;
        const Deadline spin_end = adaptive ? Clock::now() + spin_time : kNoDeadline;
        for (unsigned i = 1;; ++i) {
            cpu_relax();
            status = attempt();
            if (status != Status::again) {
                if (window != nullptr) window->caught(tuning);
                return status;
            }
            if (i % 64 != 0) continue;  // reading the clock on every turn would slow the spin
            const Deadline now = Clock::now();
            if (now >= deadline) return Status::timed_out;
            if (kProbes && probe_due(now)) {
                if (const Status verdict = probe(); verdict != Status::ok) return verdict;
                next_probe = now + tuning.probe_interval;
            }
            if (now >= spin_end) break;
        }
        for (int i = 0; i < (sparse ? 0 : tuning.yields); ++i) {
            ::sched_yield();
            status = attempt();
            if (status != Status::again) return status;
        }
        if (window != nullptr) window->missed();
    }

    for (;;) {
        const Deadline now = Clock::now();
        if (now >= deadline) return Status::timed_out;
        Deadline wake_by = deadline;
        if constexpr (kProbes) {
            // Only when due, not on every wake-up: a probe makes system calls, which would cost every
            // message of a sparse stream as much as the wake-up itself.
            if (probe_due(now)) {
                if (const Status verdict = probe(); verdict != Status::ok) return verdict;
                next_probe = now + tuning.probe_interval;
            }
            wake_by = std::min(deadline, next_probe);
        }
        auto& sleepers = event.*waiter.me.mask;
        // [W1] relaxed: [F2] orders it before the re-check.
        sleepers.fetch_or(waiter.me.bit, std::memory_order_relaxed);
        // [F2] pairs with [F1] in notify.
        std::atomic_thread_fence(std::memory_order_seq_cst);
        // [H] A publisher with a light [F1] gets its barrier from the kernel. Acquire, pairs with
        // [L2] (publish_fence.hpp): a mask without a publisher's bit comes with its light publishes.
        // Read after [F2]: a publisher that sets its bit later passes [F0] after [F2] and then sees
        // our bit ([L1]). If the kernel refuses, sleep in short slices instead: a missed wake-up
        // then costs a millisecond, never a hang.
        if (event.light_publishers.load(std::memory_order_acquire) != 0 && !heavy_barrier())
            wake_by = std::min(wake_by, Clock::now() + std::chrono::milliseconds(1));
        // [W2] acquire, pairs with [N1].
        const std::uint32_t observed = event.sequence.load(std::memory_order_acquire);
        status = attempt();  // [W3]
        if (status == Status::again) {
            waiter.counters.sleeps.add_by_owner(1);
            futex_wait(event.sequence.address(), observed, wake_by);  // [W4]
            status = attempt();
        }
        // [W5] relaxed: the mask is a hint to publishers; one that still sees us makes a needless wake.
        sleepers.fetch_and(~waiter.me.bit, std::memory_order_relaxed);
        if (status != Status::again) return status;
    }
}

// A whole wait: one first attempt, and the slow path only when it misses.
template <class Attempt, class Probe = NoProbe>
Status wait_until(const Waiter& waiter, Deadline deadline, Attempt&& attempt, Probe&& probe = {}) noexcept {
    const Status first = attempt();
    if (first != Status::again) return first;
    return wait_after_miss(waiter, deadline, attempt, probe);
}

}  // namespace shmring::detail
