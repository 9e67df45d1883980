#include "harness/run.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/clock.hpp"
#include "harness/patterns.hpp"
#include "harness/watchdog.hpp"

namespace shmring::bench {

namespace {

// What the child sends up the pipe: first a `ready` note once its end of the channel is open (so the
// parent's clock starts only when both are in place), then its outcome. Each note is one write
// below PIPE_BUF, hence atomic.
struct ChildNote {
    enum Kind : std::uint32_t { ready = 1, outcome = 2 } kind;
    char error[512];
    std::uint64_t messages;
    std::int64_t start_ns;
    std::int64_t end_ns;
    std::int64_t cpu_ns;
};
static_assert(sizeof(ChildNote) <= PIPE_BUF, "a note must be written atomically");

void write_note(int fd, ChildNote::Kind kind, const RoleOutcome& outcome) {
    ChildNote note{};
    note.kind = kind;
    std::snprintf(note.error, sizeof note.error, "%s", outcome.error.c_str());
    note.messages = outcome.messages;
    note.start_ns = outcome.start_ns;
    note.end_ns = outcome.end_ns;
    note.cpu_ns = outcome.cpu_ns;
    while (::write(fd, &note, sizeof note) < 0 && errno == EINTR) {
    }
}

// Reads one note; false on end of file (the child died) or when the watchdog expires.
bool read_note(int fd, ChildNote& note) {
    for (;;) {
        const ssize_t n = ::read(fd, &note, sizeof note);
        if (n == static_cast<ssize_t>(sizeof note)) return true;
        if (n < 0 && retry_interrupted()) continue;
        return false;
    }
}

[[noreturn]] void child_main(Channel& channel, const Job& job, const Placement& placement, std::int64_t deadline, int fd) {
    pin_to(placement.child_cpu);
    arm_watchdog(deadline);
    RoleOutcome outcome;
    {
        auto channel_end = channel.open(Side::child);
        if (!channel_end) {
            outcome.error = channel_end.error().message();
        } else {
            write_note(fd, ChildNote::ready, outcome);
            outcome = run_child_role(**channel_end, job);
        }
    }  // the channel end detaches before the outcome says the child is done
    write_note(fd, ChildNote::outcome, outcome);
    // _exit: the parent's objects (the channel above all) belong to the parent.
    ::_exit(0);
}

std::string side_error(const char* side, const std::string& error) {
    return error.empty() ? std::string() : std::string(side) + ": " + error;
}

RunResult combine(const Job& job, const RoleOutcome& parent, const ChildNote& child) {
    RunResult result;
    result.error = side_error("parent", parent.error);
    if (result.error.empty()) result.error = side_error("child", child.error);
    if (result.error.empty() && child.messages != job.count)
        result.error = "child completed " + std::to_string(child.messages) + " of " + std::to_string(job.count) + " messages";
    if (!result.error.empty()) return result;

    result.messages = job.count;
    const double count = static_cast<double>(job.count);
    result.parent_cpu_per_message_ns = static_cast<double>(parent.cpu_ns) / count;
    result.child_cpu_per_message_ns = static_cast<double>(child.cpu_ns) / count;
    if (job.pattern == Pattern::latency) {
        std::vector<double> samples(parent.samples.begin(), parent.samples.end());
        result.latency = percentiles(samples);
        result.seconds = static_cast<double>(parent.end_ns - parent.start_ns) * 1e-9;
    } else {
        result.seconds = static_cast<double>(child.end_ns - parent.start_ns) * 1e-9;
    }
    return result;
}

std::uint64_t g_runs = 0;

constexpr std::int64_t kParentGraceNs = 2'000'000'000;

}  // namespace

void pin_to(int cpu) {
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    ::sched_setaffinity(0, sizeof set, &set);
}

Placement choose_placement() {
    cpu_set_t set;
    CPU_ZERO(&set);
    Placement placement;
    if (::sched_getaffinity(0, sizeof set, &set) != 0) return placement;
    std::vector<int> cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
        if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    placement.usable_cpus = static_cast<int>(cpus.size());
    placement.cpus = cpus;
    if (cpus.size() >= 2) {
        placement.parent_cpu = cpus[0];
        placement.child_cpu = cpus[1];
    }
    return placement;
}

RunResult run_job(const Job& job, const Placement& placement) {
    RunResult failed;
    const std::int64_t deadline = now_ns() + job.timeout_ns;
    ChannelConfig config;
    config.message_size = job.size;
    config.buffer_bytes = job.buffer_bytes;
    config.mode = job.mode;
    config.deadline_ns = deadline;
    config.unique_name = "bench-" + std::to_string(::getpid()) + "-" + std::to_string(g_runs++);

    auto channel = job.transport->create(config);
    if (!channel) {
        failed.error = "setup: " + channel.error().message();
        return failed;
    }
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        failed.error = std::string("pipe2: ") + std::strerror(errno);
        return failed;
    }
    std::fflush(stdout);  // or the child would inherit, and later flush, buffered output
    std::fflush(stderr);
    const pid_t child = ::fork();
    if (child < 0) {
        failed.error = std::string("fork: ") + std::strerror(errno);
        ::close(fds[0]);
        ::close(fds[1]);
        return failed;
    }
    if (child == 0) {
        ::close(fds[0]);
        child_main(**channel, job, placement, deadline, fds[1]);
    }
    ::close(fds[1]);
    pin_to(placement.parent_cpu);
    // The parent gives up a little after the child, so that a child stuck on a lost message
    // reports its own timeout rather than being cut off mid-sentence.
    arm_watchdog(deadline + kParentGraceNs);

    RoleOutcome parent;
    ChildNote note{};
    {
        auto channel_end = (*channel)->open(Side::parent);
        if (!channel_end) {
            parent.error = channel_end.error().message();
        } else if (!read_note(fds[0], note) || note.kind != ChildNote::ready) {
            // The child could not open its end: its outcome says why.
            parent.error = note.kind == ChildNote::outcome ? std::string() : "the child never became ready";
        } else {
            parent = run_parent_role(**channel_end, job);
        }
        // A parent that failed will not feed the child any more: stop it rather than wait for its watchdog.
        if (!parent.error.empty()) ::kill(child, SIGKILL);
        if (note.kind != ChildNote::outcome && !read_note(fds[0], note)) {
            note = ChildNote{};
            std::snprintf(note.error, sizeof note.error, "%s", "died or was stopped before reporting");
        }
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    disarm_watchdog();
    return combine(job, parent, note);
}

}  // namespace shmring::bench
