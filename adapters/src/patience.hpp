// Internal. How long a call of an adapter may wait, and its try-then-wait shape: the clock is read
// only once a first try missed.
#pragma once

#include <chrono>
#include <optional>

#include "shmring/endpoint.hpp"
#include "shmring/loan.hpp"
#include "shmring/wait.hpp"

namespace shmring::detail {

// How long a call whose first try missed may wait: until a deadline, or for a timeout counted
// from the miss. Asked only after a miss, so that a call that succeeds at once reads no clock.
class Patience {
public:
    Patience(Deadline deadline) noexcept : deadline_(deadline) {}  // NOLINT: either form converts
    Patience(std::chrono::nanoseconds timeout) noexcept : timeout_(timeout), relative_(true) {}  // NOLINT

    // The deadline to wait until, or none when the call only tries: kTryOnce, a deadline that has
    // passed, a timeout of zero or less (again, not timed_out, as queue.hpp says). Reads the clock
    // only for a finite deadline or a timeout.
    std::optional<Deadline> after_miss() const noexcept {
        if (relative_) return timeout_.count() > 0 ? std::optional(deadline_after(timeout_)) : std::nullopt;
        if (deadline_ == kTryOnce || (deadline_ != kNoDeadline && deadline_ <= Clock::now())) return std::nullopt;
        return deadline_;
    }

private:
    Deadline deadline_ = kTryOnce;
    std::chrono::nanoseconds timeout_{0};
    bool relative_ = false;
};

// A call's try, then, if it missed and the call may wait, `wait` until the deadline: its first
// attempt is not counted as a second miss.
template <class Try, class Wait>
auto tried_then_waited(Endpoint& endpoint, const Patience& patience, Try try_once, Wait wait) noexcept {
    auto result = try_once();
    if (status_of(result) != Status::again) return result;
    const auto deadline = patience.after_miss();
    if (!deadline) return result;
    const Endpoint::MissCounted counted(endpoint);
    return wait(*deadline);
}

}  // namespace shmring::detail
