#include "harness/processes.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/clock.hpp"
#include "harness/run.hpp"
#include "harness/watchdog.hpp"

namespace shmring::bench {

namespace {

// What a child sends up the notes pipe when its body returns: who it is, its verdict, and when it
// finished. One write below PIPE_BUF, hence atomic: the children share the pipe.
struct Note {
    std::uint32_t child;
    char error[256];
    std::int64_t end_ns;
};
static_assert(sizeof(Note) <= PIPE_BUF, "a note must be written atomically");

[[noreturn]] void child_main(const ChildProcess& child, std::uint32_t index, int cpu, std::int64_t deadline, const ChildStart& start,
                             int notes_fd) {
    pin_to(cpu);
    arm_watchdog(deadline);
    Note note{};
    note.child = index;
    std::snprintf(note.error, sizeof note.error, "%s", child.body(start).c_str());
    note.end_ns = now_ns();
    write_all(notes_fd, &note, sizeof note);
    // _exit: the leader's objects belong to the leader.
    ::_exit(0);
}

// Waits for `count` ready bytes. A note that comes first is from a child that ended before the
// start (it could not attach, say): its verdict is the run's.
std::string await_ready(int ready_fd, int notes_fd, std::size_t count) {
    for (std::size_t got = 0; got < count;) {
        pollfd fds[2] = {{ready_fd, POLLIN, 0}, {notes_fd, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (retry_interrupted()) continue;
            return "a process did not get ready in time";
        }
        if (fds[1].revents != 0) {
            Note note{};
            if (!read_all(notes_fd, &note, sizeof note)) return "a process died before it was ready";
            return note.error[0] != '\0' ? std::string(note.error) : "a process ended before the start";
        }
        char byte = 0;
        if (!read_all(ready_fd, &byte, 1)) return "a process did not get ready in time";
        ++got;
    }
    return {};
}

}  // namespace

void ChildStart::ready() const noexcept { (void)write_all(ready_fd_, "r", 1); }

bool ChildStart::wait_for_start() const noexcept {
    // The leader never writes on the go pipe: it closes it, and end of file is the start.
    for (;;) {
        char byte = 0;
        const ssize_t n = ::read(go_fd_, &byte, 1);
        if (n >= 0) return true;
        if (!retry_interrupted()) return false;
    }
}

ProcessesOutcome run_processes(const std::vector<int>& cpus, const std::vector<ChildProcess>& children, std::int64_t timeout_ns,
                               const std::function<std::string()>& lead) {
    const auto cpu_of = [&](std::size_t process) { return cpus.empty() ? -1 : cpus[process % cpus.size()]; };
    ProcessesOutcome outcome;
    int ready[2], go[2], notes[2];
    if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(go, O_CLOEXEC) != 0 || ::pipe2(notes, O_CLOEXEC) != 0)
        return {std::string("pipe2: ") + std::strerror(errno)};
    const std::int64_t deadline = now_ns() + timeout_ns;
    std::fflush(stdout);  // or each child would inherit, and later flush, buffered output
    std::fflush(stderr);
    std::vector<pid_t> pids;
    for (std::size_t i = 0; i < children.size() && outcome.error.empty(); ++i) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            // Only the leader may hold the go pipe's writing end: its close is the start.
            ::close(go[1]);
            child_main(children[i], static_cast<std::uint32_t>(i), cpu_of(i + 1), deadline, ChildStart(ready[1], go[0]), notes[1]);
        }
        if (pid < 0) outcome.error = std::string("fork: ") + std::strerror(errno);
        else pids.push_back(pid);
    }
    ::close(ready[1]);
    ::close(notes[1]);
    pin_to(cpu_of(0));
    arm_watchdog(deadline);
    if (outcome.error.empty()) outcome.error = await_ready(ready[0], notes[0], pids.size());
    const std::int64_t start = now_ns();
    ::close(go[1]);  // releases every child waiting for the start (end of file)
    if (outcome.error.empty() && lead) outcome.error = lead();
    std::int64_t end = now_ns();
    auto reporting =
        static_cast<std::size_t>(std::count_if(children.begin(), children.end(), [](const ChildProcess& c) { return c.reports; }));
    while (outcome.error.empty() && reporting > 0) {
        Note note{};
        if (!read_all(notes[0], &note, sizeof note)) {
            outcome.error = "a process died or timed out";
        } else if (note.error[0] != '\0') {
            outcome.error = note.error;
        } else if (note.child < children.size() && children[note.child].reports) {
            --reporting;
            end = std::max(end, note.end_ns);
        }
    }
    disarm_watchdog();
    for (const pid_t pid : pids) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
    ::close(ready[0]);
    ::close(go[0]);
    ::close(notes[0]);
    outcome.elapsed_ns = end - start;
    return outcome;
}

Deadline deadline_in(std::int64_t timeout_ns) noexcept { return Deadline(std::chrono::nanoseconds(now_ns() + timeout_ns)); }

std::string describe_failure(const char* call, Status status) { return std::string(call) + ": " + describe(status); }

bool write_all(int fd, const void* data, std::size_t size) {
    const auto* bytes = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, bytes, size);
        if (n < 0 && retry_interrupted()) continue;
        if (n <= 0) return false;
        bytes += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

bool read_all(int fd, void* data, std::size_t size) {
    auto* bytes = static_cast<char*>(data);
    while (size > 0) {
        const ssize_t n = ::read(fd, bytes, size);
        if (n < 0 && retry_interrupted()) continue;
        if (n <= 0) return false;
        bytes += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

RepeatedRate repeat_rate(const std::string& label, const char* unit, int reps, std::uint64_t count,
                         const std::function<ProcessesOutcome()>& run) {
    RepeatedRate result;
    std::vector<double> rates;
    for (int rep = 0; rep < reps; ++rep) {
        const ProcessesOutcome outcome = run();
        const double rate = static_cast<double>(count) / (static_cast<double>(std::max<std::int64_t>(outcome.elapsed_ns, 1)) * 1e-9);
        const std::string said =
            outcome.error.empty() ? std::to_string(static_cast<long long>(rate)) + " " + unit + "/s" : "FAILED: " + outcome.error;
        std::fprintf(stderr, "%s rep %d/%d: %s\n", label.c_str(), rep + 1, reps, said.c_str());
        if (!outcome.error.empty()) {
            result.error = outcome.error;
            return result;
        }
        rates.push_back(rate);
    }
    result.rate = spread(rates);
    return result;
}

}  // namespace shmring::bench
