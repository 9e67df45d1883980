#include "shmring/detail/futex.hpp"

#include <cerrno>
#include <climits>
#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace shmring::detail {

FutexWaitResult futex_wait(std::uint32_t* word, std::uint32_t expected, Deadline deadline) noexcept {
    timespec absolute{};
    const timespec* timeout = nullptr;
    if (deadline != kNoDeadline) {
        const auto since_epoch = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch());
        const auto ns = since_epoch.count() < 0 ? 0 : since_epoch.count();
        absolute.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
        absolute.tv_nsec = static_cast<long>(ns % 1'000'000'000);
        timeout = &absolute;
    }
    // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline (plain FUTEX_WAIT a relative one),
    // so a wait interrupted and restarted does not stretch its deadline.
    const long rc = ::syscall(SYS_futex, word, FUTEX_WAIT_BITSET, expected, timeout, nullptr, FUTEX_BITSET_MATCH_ANY);
    if (rc == 0) return FutexWaitResult::woken;
    switch (errno) {
        case EAGAIN: return FutexWaitResult::value_changed;
        case ETIMEDOUT: return FutexWaitResult::timed_out;
        default: return FutexWaitResult::interrupted;
    }
}

int futex_wake(std::uint32_t* word, int count) noexcept {
    const long woken = ::syscall(SYS_futex, word, FUTEX_WAKE, count, nullptr, nullptr, 0);
    return woken < 0 ? 0 : static_cast<int>(woken);
}

}  // namespace shmring::detail
