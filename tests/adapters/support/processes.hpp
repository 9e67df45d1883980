// What the adapter tests need around multiprocess::ProcessGroup: a signal between processes, a
// clock every process reads alike, and the parent's verdict on a group of children.
#pragma once

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include "harness/process_group.hpp"
#include "harness/report.hpp"
#include "shmring/error.hpp"
#include "shmring/wait.hpp"

namespace shmring::adapters_test {

using multiprocess::ProcessGroup;
using multiprocess::Report;

// Nanoseconds on CLOCK_MONOTONIC, which every process on the machine shares: a time one process
// reports can be compared with a time another one took.
inline std::uint64_t now_ns() noexcept {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

inline double ms_between(std::uint64_t from_ns, std::uint64_t to_ns) noexcept {
    return static_cast<double>(static_cast<std::int64_t>(to_ns - from_ns)) / 1e6;
}

// A one-way signal between processes: a pipe made before fork, so both sides hold it. open()
// lets one wait() through (they count, like a semaphore). A wait has a deadline so that a peer
// that never gets there fails the test instead of hanging it.
class Gate {
public:
    Gate() {
        if (::pipe2(fds_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    }
    ~Gate() {
        ::close(fds_[0]);
        ::close(fds_[1]);
    }
    Gate(const Gate&) = delete;
    Gate& operator=(const Gate&) = delete;

    void open() noexcept {
        const char one = 1;
        while (::write(fds_[1], &one, 1) < 0 && errno == EINTR) {
        }
    }

    [[nodiscard]] bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(10)) noexcept {
        const Deadline deadline = deadline_after(timeout);
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
            if (left < 0) return false;
            pollfd p{fds_[0], POLLIN, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(left) + 1);
            if (ready < 0 && errno != EINTR) return false;
            char byte;
            if (ready > 0 && ::read(fds_[0], &byte, 1) == 1) return true;
        }
    }

private:
    int fds_[2];
};

// The deadline of a call that should return promptly: far enough to survive a loaded machine,
// near enough that a hang fails the test instead of stalling it.
inline Deadline soon() { return deadline_after(std::chrono::seconds(10)); }

// What a child reports when a call fails.
inline std::string failed(std::string_view what, const Error& error) { return std::string(what) + ": " + error.message(); }
inline std::string failed(std::string_view what, Status status) { return std::string(what) + ": " + describe(status); }

// Waits for every child of the group; on failure, the message says what each child did.
inline ::testing::AssertionResult all_succeeded(ProcessGroup& group) {
    if (group.wait_for_all()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "children failed:\n" << group.describe();
}

// A child's report, for the parent: the number it reported under `key`, or a failed test.
inline std::uint64_t reported(const ProcessGroup& group, ProcessGroup::Child child, std::string_view key) {
    const auto value = group.child(child).number(key);
    EXPECT_TRUE(value.has_value()) << "no '" << key << "' in the report of " << group.describe();
    return value.value_or(0);
}

}  // namespace shmring::adapters_test
