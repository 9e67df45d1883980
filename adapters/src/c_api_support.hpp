// Internal. What every C API call does the same way: errno translation, argument defaults,
// timeouts, and keeping C++ exceptions out of C.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <new>
#include <sys/types.h>
#include <system_error>

#include "patience.hpp"
#include "shmring/error.hpp"
#include "shmring/shmring.h"
#include "shmring/wait.hpp"

namespace shmring::c_api {

inline int fail(const shmring::Error& error) { return -error.errno_value(); }

// Every status but ok becomes its negative errno (Status values are errno values).
inline int negated(Status status) { return -static_cast<int>(status); }

inline bool valid_strategy(int strategy) {
    return strategy == SHMRING_WAIT_ADAPTIVE || strategy == SHMRING_WAIT_SPIN || strategy == SHMRING_WAIT_BLOCK;
}

inline unsigned mode_or_default(unsigned mode) { return mode == 0 ? 0600U : mode; }

// A C timeout as the C++ calls take it: below zero no deadline; otherwise a timeout counted from
// the first miss (zero only tries), so that a call that succeeds at once reads no clock.
template <class Call>
auto with_timeout(int64_t timeout_ns, Call call) noexcept {
    if (timeout_ns < 0) return call(shmring::kNoDeadline);
    return call(std::chrono::nanoseconds(timeout_ns));
}

// A C timeout as a Patience: below zero none, else counted from the first miss.
inline detail::Patience patience_of(int64_t timeout_ns) {
    if (timeout_ns < 0) return detail::Patience(shmring::kNoDeadline);
    return detail::Patience(std::chrono::nanoseconds(timeout_ns));
}

// A call's length when it succeeded, else its negative errno.
inline ssize_t length_or_error(Status status, std::size_t length) {
    return status == Status::ok ? static_cast<ssize_t>(length) : negated(status);
}

// No exception may cross into C: setup allocates (names, errors, handles) and may start a thread.
template <class Call>
auto guarded(Call call) noexcept -> decltype(call()) {
    try {
        return call();
    } catch (const std::bad_alloc&) {
        return -ENOMEM;
    } catch (const std::system_error& error) {
        return -(error.code().value() != 0 ? error.code().value() : EIO);
    } catch (...) {
        return -EIO;
    }
}

}  // namespace shmring::c_api
