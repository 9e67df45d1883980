// Ctrl-C (SIGINT) and SIGTERM ask a running command to stop. The command then leaves its ring in
// order, detaching its endpoint, instead of dying attached and leaving a dead endpoint behind.
#pragma once

#include <chrono>

namespace shmring::cli {

// How long a blocking ring call may wait before the command looks at stop_requested() again:
// the library's waits do not end on a signal, so commands wait in slices of this length.
inline constexpr std::chrono::milliseconds kStopCheckInterval{100};

// Installs the handlers (without SA_RESTART, so that a blocking read of stdin returns EINTR) and
// ignores SIGPIPE, so that a closed stdout shows up as EPIPE from write(2).
void install_stop_handlers();

bool stop_requested() noexcept;

// Sleeps for `seconds` unless a stop is requested first (the signal interrupts nanosleep).
void sleep_unless_stopped(double seconds);

// The signal that asked for the stop (SIGINT or SIGTERM), or 0.
int stop_signal() noexcept;

}  // namespace shmring::cli
