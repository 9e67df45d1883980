#include "syscall_free/allocation_counter.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <malloc.h>

// glibc's own entry points, which its public malloc and friends are aliases of.
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* block, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void __libc_free(void* block);
}

namespace {

// Thread-local so that only the measured thread's allocations count; constinit in the executable,
// so that reaching it is a plain TLS access that itself allocates nothing.
constinit thread_local std::uint64_t allocations = 0;

}  // namespace

namespace shmring::multiprocess {

std::uint64_t allocations_by_this_thread() noexcept { return allocations; }

}  // namespace shmring::multiprocess

extern "C" {

void* malloc(std::size_t size) noexcept {
    ++allocations;
    return __libc_malloc(size);
}

void* calloc(std::size_t count, std::size_t size) noexcept {
    ++allocations;
    return __libc_calloc(count, size);
}

void* realloc(void* block, std::size_t size) noexcept {
    ++allocations;
    return __libc_realloc(block, size);
}

void* memalign(std::size_t alignment, std::size_t size) noexcept {
    ++allocations;
    return __libc_memalign(alignment, size);
}

void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
    ++allocations;
    return __libc_memalign(alignment, size);
}

int posix_memalign(void** block, std::size_t alignment, std::size_t size) noexcept {
    ++allocations;
    if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    void* result = __libc_memalign(alignment, size);
    if (result == nullptr) return ENOMEM;
    *block = result;
    return 0;
}

void free(void* block) noexcept { __libc_free(block); }

}  // extern "C"
