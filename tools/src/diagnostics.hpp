// How the command reports: exit codes and the one-line error format on stderr.
#pragma once

#include <string>
#include <string_view>

#include "shmring/error.hpp"

namespace shmring::cli {

inline constexpr int kExitSuccess = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// A command that moves data and was stopped by a signal ends as a shell reports a program killed by
// it: 128 + the signal (130 for Ctrl-C, 143 for SIGTERM), with no message.
int interrupted();

// After a failed write to stdout: a reader that went away (EPIPE) ends the command quietly with
// status 0, as a reader of a pipe that is closed has nothing to lose; a stop request while the
// reader did not read is an interruption; any other error is reported ("shmring: WHO: stdout: ...").
int stdout_failed(std::string_view who);

// At the end of every command: what stdio still holds is written, and an error doing so (a full
// disk: "shmring: stdout: No space left on device") turns `status` into a failure. EPIPE stays
// quiet, as above.
int flush_stdout(int status);

// Writes "shmring: <ring>: <reason>" as one line on stderr and returns kExitFailure.
int fail(std::string_view ring, std::string_view reason);

// What to show of a library error after the ring's name: the library's message without the
// ring's name it repeats, and plain words for the outcomes a user meets most.
std::string reason_of(const Error& error, std::string_view ring);

// A data-path status in words, with its errno name: "ring corrupt (EPROTO)".
std::string reason_of(Status status);

}  // namespace shmring::cli
