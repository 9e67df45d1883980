// How an endpoint waits when its ring is full (producer) or empty (consumer).
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace shmring {

// The values are those of the C API (SHMRING_WAIT_*) and of EndpointEntry::wait_strategy.
enum class WaitStrategy : std::uint32_t {
    adaptive = 0,  // spin briefly, then yield, then park on a futex: cheap when idle, quick when busy
    spin = 1,      // never sleep: lowest latency, one core per waiting endpoint
    block = 2,     // park at once: least CPU, every wait pays a kernel wake-up
};

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC, the futex's clock
using Deadline = Clock::time_point;
inline constexpr Deadline kNoDeadline = Deadline::max();
// A deadline that has always passed: try once, and say again rather than timed_out. Known without
// reading the clock.
inline constexpr Deadline kTryOnce = Deadline::min();

// Now plus `timeout`; a timeout too long to add (centuries) means no deadline.
inline Deadline deadline_after(std::chrono::nanoseconds timeout) {
    const Deadline now = Clock::now();
    if (timeout > kNoDeadline - now) return kNoDeadline;
    return now + timeout;
}

struct WaitTuning {
    // Adaptive: the longest spin before yielding (the window learns below it, see SpinWindow), and
    // how many yields before parking. A peer that answers within the window is caught without a
    // system call on either side.
    std::chrono::nanoseconds spin_time{20'000};
    int yields = 4;
    // A waiter with a liveness probe (e.g. a pipe watching for its peer's death) parks for at
    // most this long at a time, then probes: it bounds how late a peer's death is noticed.
    std::chrono::nanoseconds probe_interval{50'000'000};
};

// The adaptive strategy's spin window, learnt per endpoint. A spin that catches the peer doubles it
// (up to WaitTuning::spin_time); a wait that has to park anyway halves it (down to kMinimum). A
// chatty peer keeps the full window and its sub-microsecond hand-offs; a sparse one (messages
// milliseconds apart) soon costs about a microsecond of spinning per message instead of twenty.
class SpinWindow {
public:
    static constexpr std::chrono::nanoseconds kMinimum{1'000};

    std::chrono::nanoseconds current(const WaitTuning& tuning) const noexcept { return std::min(window_, tuning.spin_time); }
    void caught(const WaitTuning& tuning) noexcept { window_ = std::min(window_ * 2, tuning.spin_time); }
    void missed() noexcept { window_ = std::max(window_ / 2, kMinimum); }

private:
    std::chrono::nanoseconds window_ = WaitTuning{}.spin_time;
};

}  // namespace shmring
