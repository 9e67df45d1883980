// Clocks of the harness. CLOCK_MONOTONIC is system-wide, so a time taken in one process can be
// subtracted from one taken in the other (the throughput window spans both).
#pragma once

#include "shmring/detail/wait_loop.hpp"

#include <cstdint>
#include <ctime>

namespace shmring::bench {

inline std::int64_t clock_ns(clockid_t clock) noexcept {
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

inline std::int64_t now_ns() noexcept { return clock_ns(CLOCK_MONOTONIC); }
// User plus system time of the whole calling process.
inline std::int64_t cpu_ns() noexcept { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

// The core's spin hint, so that the floors spin exactly as shmring does.
using detail::cpu_relax;

}  // namespace shmring::bench
