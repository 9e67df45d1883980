// Counts the heap allocations the calling thread makes, for tests that prove a code path makes
// none. Linking allocation_counter.cpp replaces malloc and its family in the whole process (they
// forward to glibc's allocator); operator new reaches malloc through libstdc++, so it counts too.
// Not for sanitizer builds: their runtimes replace the same functions.
#pragma once

#include <cstdint>

namespace shmring::multiprocess {

std::uint64_t allocations_by_this_thread() noexcept;

}  // namespace shmring::multiprocess
