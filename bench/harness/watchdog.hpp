// The run watchdog: no run may hang the benchmark, whatever a transport loses.
//
// Each process arms an interval timer at the run's deadline. SIGALRM is caught without SA_RESTART,
// so a blocking system call returns EINTR; spinning loops poll watchdog_expired(). A transport
// that waits inside a library passes the deadline to it instead.
#pragma once

#include <cstdint>

namespace shmring::bench {

// Once, at start-up: installs the SIGALRM handler and ignores SIGPIPE (a dead peer then gives EPIPE).
void install_watchdog();
void arm_watchdog(std::int64_t deadline_ns);
void disarm_watchdog();
bool watchdog_expired() noexcept;
// After a failed system call: true when it was interrupted by something other than the watchdog
// and should be repeated.
bool retry_interrupted() noexcept;

}  // namespace shmring::bench
