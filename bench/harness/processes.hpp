// Runs of many processes at once, for the patterns that two processes cannot show (fan-out, the RPC
// pool): forks the children, pins every process round-robin over the usable cores (the calling
// process, the leader, takes the first; child i the (i+1)-th), starts them together and collects
// their verdicts. Every process arms the watchdog at the run's deadline, so that a child that hangs
// or dies fails the run instead of hanging the benchmark; at the end the leader kills them all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "harness/stats.hpp"
#include "harness/summary.hpp"
#include "shmring/error.hpp"
#include "shmring/wait.hpp"

namespace shmring::bench {

// A child's part in the start of a run.
class ChildStart {
public:
    ChildStart(int ready_fd, int go_fd) noexcept : ready_fd_(ready_fd), go_fd_(go_fd) {}

    // Tells the leader that this process is in place (attached, connected): once, before its work.
    void ready() const noexcept;
    // Waits until the leader starts the clock, for a child that must not begin before the others
    // are in place; false if the run was given up first.
    bool wait_for_start() const noexcept;

private:
    int ready_fd_;
    int go_fd_;
};

struct ChildProcess {
    // The child's work; returns its verdict: "" when all went well, else what went wrong.
    using Body = std::function<std::string(const ChildStart&)>;
    Body body;
    // Whether the run waits for its verdict. One that does not (a server, a stalled subscriber)
    // works until the leader kills it, and is heard from only if it fails first.
    bool reports = true;
};

struct ProcessesOutcome {
    std::string error;            // the first failure of any process
    std::int64_t elapsed_ns = 0;  // from the start to the end of `lead` or the last report, whichever is later
};

// Forks `children`, waits until every one is ready, starts the clock, releases those waiting for
// the start, runs `lead` in the calling process (its verdict as a body's), and waits for the
// verdict of every child that reports.
ProcessesOutcome run_processes(const std::vector<int>& cpus, const std::vector<ChildProcess>& children, std::int64_t timeout_ns,
                               const std::function<std::string()>& lead);

// For the children's bodies: the deadline `timeout_ns` from now, for shmring's waits, and a failed
// call's verdict ("<call>: <status>").
Deadline deadline_in(std::int64_t timeout_ns) noexcept;
std::string describe_failure(const char* call, Status status);

// Whole reads and writes on pipes and sockets, resumed after any signal but the watchdog's.
// read_all is false on end of file; both are false on an error.
bool write_all(int fd, const void* data, std::size_t size);
bool read_all(int fd, void* data, std::size_t size);

struct RepeatedRate {
    Spread rate{kNone, kNone, kNone};  // per second, over the repetitions
    std::string error;                 // the first failure; then no rate
};

// Runs `run` `reps` times, each moving `count` things (messages, calls), and says each outcome on
// stderr as "<label> rep i/n: <count per second> <unit>/s". Stops at the first failure.
RepeatedRate repeat_rate(const std::string& label, const char* unit, int reps, std::uint64_t count,
                         const std::function<ProcessesOutcome()>& run);

}  // namespace shmring::bench
