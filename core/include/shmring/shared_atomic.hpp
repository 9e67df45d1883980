// SharedAtomic: the one way to put an atomic into the shared segment.
//
// Shared memory is raw bytes that no constructor ever ran on, and the two processes that map it
// may be built by different compilers. So each shared atomic is a plain, address-free integer
// accessed through std::atomic_ref, and the wrapper refuses (at compile time) any type whose
// atomic operations would need a lock: a lock would live in one process only.
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <atomic>
#include <cstdint>
#include <type_traits>

namespace shmring {

template <class T>
class SharedAtomic {
    static_assert(std::is_integral_v<T>, "shared atomics are integers");
    static_assert(std::atomic_ref<T>::is_always_lock_free,
                  "a shared atomic must be lock-free, or other processes would not see its lock");
    static_assert(std::atomic_ref<T>::required_alignment == sizeof(T),
                  "a shared atomic must be naturally aligned so that its offset is the same everywhere");

public:
    T load(std::memory_order order) const noexcept { return ref().load(order); }
    void store(T value, std::memory_order order) noexcept { ref().store(value, order); }
    T exchange(T value, std::memory_order order) noexcept { return ref().exchange(value, order); }
    T fetch_add(T delta, std::memory_order order) noexcept { return ref().fetch_add(delta, order); }
    T fetch_sub(T delta, std::memory_order order) noexcept { return ref().fetch_sub(delta, order); }
    T fetch_or(T bits, std::memory_order order) noexcept { return ref().fetch_or(bits, order); }
    T fetch_and(T bits, std::memory_order order) noexcept { return ref().fetch_and(bits, order); }
    bool compare_exchange_strong(T& expected, T desired, std::memory_order success,
                                 std::memory_order failure) noexcept {
        return ref().compare_exchange_strong(expected, desired, success, failure);
    }
    bool compare_exchange_weak(T& expected, T desired, std::memory_order success,
                               std::memory_order failure) noexcept {
        return ref().compare_exchange_weak(expected, desired, success, failure);
    }

    // Single-writer counters: the owner is the only writer, so a relaxed load and store is enough
    // and avoids a locked instruction; readers only need an untorn value.
    void add_by_owner(T delta) noexcept {
        ref().store(ref().load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
    }

    // The futex system call needs the word's address.
    T* address() noexcept { return &value_; }

private:
    std::atomic_ref<T> ref() const noexcept { return std::atomic_ref<T>(const_cast<T&>(value_)); }

    alignas(sizeof(T)) T value_;
};

static_assert(sizeof(SharedAtomic<std::uint64_t>) == 8 && sizeof(SharedAtomic<std::uint32_t>) == 4,
              "a shared atomic occupies exactly the bytes of its integer");
static_assert(std::is_trivially_copyable_v<SharedAtomic<std::uint64_t>>,
              "shared atomics must be implicit-lifetime so mapped bytes can hold them");

}  // namespace shmring
