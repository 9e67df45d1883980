// Internal. Asking for a cache line ahead of its use, so that fetching it overlaps with other
// misses instead of following them: between two processes on different cores every line the
// other one wrote last is a round trip of the coherence protocol.
#pragma once

namespace shmring::detail {

// Fetches the line at `address` for writing (exclusive): a later store or CAS finds it in place
// and a load before it does not fetch it shared first. A hint: no fault, no effect on memory.
inline void prefetch_for_write(const void* address) noexcept {
#if defined(__x86_64__) || defined(__i386__)
    // PREFETCHW: in the NOP opcode space on the older processors that lack it.
    asm volatile("prefetchw %0" ::"m"(*static_cast<const char*>(address)));
#else
    __builtin_prefetch(address, 1, 3);
#endif
}

// Fetches the line at `address` for reading.
inline void prefetch_for_read(const void* address) noexcept { __builtin_prefetch(address, 0, 3); }

}  // namespace shmring::detail
