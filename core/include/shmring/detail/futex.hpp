// Internal. A process-shared futex: no FUTEX_PRIVATE_FLAG, because the word lives in a segment
// that other processes map at other addresses (a private futex is keyed by address and mm).
#pragma once

#include <cstdint>

#include "shmring/wait.hpp"

namespace shmring::detail {

enum class FutexWaitResult { woken, value_changed, timed_out, interrupted };

// Sleeps while *word == expected, until woken or `deadline` (absolute, CLOCK_MONOTONIC).
FutexWaitResult futex_wait(std::uint32_t* word, std::uint32_t expected, Deadline deadline) noexcept;
// Wakes up to `count` sleepers on `word`; returns how many it woke.
int futex_wake(std::uint32_t* word, int count) noexcept;

}  // namespace shmring::detail
