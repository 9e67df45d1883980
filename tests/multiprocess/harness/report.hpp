// The child's half of its report channel: "key=value" lines written to a pipe that the parent reads
// back (ProcessGroup). A child never runs a gtest assertion, which its parent could not see; it
// states what it did here and the parent asserts on it.
//
// Writing a report neither allocates nor makes any system call but write(2), so that a child in
// seccomp strict mode can still report (syscall_free/).
#pragma once

#include <cstdint>
#include <string_view>

namespace shmring::multiprocess {

// Exit statuses of a child, beyond 0 for success.
inline constexpr int kExitFailed = 1;         // the child found something wrong and reported it
inline constexpr int kExitBadArguments = 2;   // the parent started it wrongly
inline constexpr int kExitOrphaned = 125;     // its parent died before it could start
inline constexpr int kExitExecFailed = 127;   // execv of the test binary failed

class Report {
public:
    explicit Report(int fd) noexcept : fd_(fd) {}

    void put(std::string_view key, std::uint64_t value) noexcept;
    void put(std::string_view key, std::string_view value) noexcept;

    // Reports `what` as the child's failure; returns kExitFailed for the child to exit with.
    [[nodiscard]] int fail(std::string_view what) noexcept;

private:
    void write_all(std::string_view text) noexcept;

    int fd_;
};

}  // namespace shmring::multiprocess
