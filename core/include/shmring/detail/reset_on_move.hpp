// Internal. A value that a move leaves at its default. A handle keeps in one what says that it
// still owns something (its registry entry, its role, an open claim): its move operations can then
// be defaulted, and a moved-from handle owns nothing, without a hand-written list of fields.
#pragma once

#include <utility>

namespace shmring::detail {

template <class T>
class ResetOnMove {
public:
    ResetOnMove() = default;
    ResetOnMove(T value) noexcept : value_(value) {}  // NOLINT: stands for a T
    ResetOnMove(ResetOnMove&& other) noexcept : value_(std::exchange(other.value_, T{})) {}
    ResetOnMove& operator=(ResetOnMove&& other) noexcept {
        value_ = std::exchange(other.value_, T{});
        return *this;
    }
    ResetOnMove& operator=(T value) noexcept {
        value_ = value;
        return *this;
    }

    operator T() const noexcept { return value_; }  // NOLINT: stands for a T
    T operator->() const noexcept { return value_; }

private:
    T value_{};
};

}  // namespace shmring::detail
