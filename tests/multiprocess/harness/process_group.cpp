#include "harness/process_group.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/role.hpp"

namespace shmring::multiprocess {

namespace {

// A child copies the descriptors it is handed to here first, above every target, so that moving
// them into place (3, 4, ...) can never overwrite one not yet moved.
constexpr int kScratchFd = 64;
// How often a waiting parent looks for exited children between reports.
constexpr int kReapIntervalMs = 10;

struct Pipe {
    int read_end;
    int write_end;
};

Pipe make_report_pipe() {
    int fds[2];
    // Close-on-exec: only the child it is meant for gets the write end, moved onto kReportFd.
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
    return {fds[0], fds[1]};
}

// In a new child, before anything else: die with the parent, and give up if it already died.
// Only async-signal-safe calls: the parent may be multi-threaded (gtest death tests, sanitizers).
void tie_to_parent(pid_t parent) noexcept {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(kExitOrphaned);
}

}  // namespace

bool ChildRecord::succeeded() const noexcept { return reaped && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0; }

bool ChildRecord::failed() const noexcept { return reaped && !killed_by_group && !succeeded(); }

std::string ChildRecord::fate() const {
    if (!reaped) return "still running";
    if (killed_by_group) return "killed by the harness";
    if (WIFEXITED(wait_status)) return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
    if (WIFSIGNALED(wait_status)) {
        const int signal = WTERMSIG(wait_status);
        return "killed by signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
    }
    return "ended with wait status " + std::to_string(wait_status);
}

std::optional<std::string> ChildRecord::text(std::string_view key) const {
    std::optional<std::string> found;
    std::string_view rest(report);
    // Complete lines only: a running child's last line may still be on its way.
    for (auto end = rest.find('\n'); end != std::string_view::npos; end = rest.find('\n')) {
        const std::string_view line = rest.substr(0, end);
        if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == '=')
            found = std::string(line.substr(key.size() + 1));
        rest.remove_prefix(end + 1);
    }
    return found;
}

std::optional<std::uint64_t> ChildRecord::number(std::string_view key) const {
    const auto value = text(key);
    if (!value) return std::nullopt;
    std::uint64_t number = 0;
    const auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), number);
    if (error != std::errc{} || end != value->data() + value->size()) return std::nullopt;
    return number;
}

ProcessGroup::~ProcessGroup() {
    kill_all();
    for (ChildRecord& child : children_)
        if (child.report_fd >= 0) ::close(child.report_fd);
}

ProcessGroup::Child ProcessGroup::start_role(const std::string& role, const std::vector<std::string>& args,
                                             const std::vector<int>& passed_fds) {
    if (kReportFd + 1 + static_cast<int>(passed_fds.size()) > kScratchFd) throw std::invalid_argument("too many descriptors to pass");
    // Everything the child needs is built before fork: after it, the child may only make
    // async-signal-safe calls until execv.
    std::vector<std::string> words{"/proc/self/exe", std::string(kRoleFlag), role};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    const Pipe pipe = make_report_pipe();
    std::vector<int> sources{pipe.write_end};
    sources.insert(sources.end(), passed_fds.begin(), passed_fds.end());
    std::vector<int> scratch(sources.size());

    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        tie_to_parent(parent);
        for (std::size_t i = 0; i < sources.size(); ++i) {
            scratch[i] = ::fcntl(sources[i], F_DUPFD_CLOEXEC, kScratchFd);
            if (scratch[i] < 0) ::_exit(kExitExecFailed);
        }
        // dup2 clears close-on-exec on the target; the scratch copies close at exec.
        for (std::size_t i = 0; i < scratch.size(); ++i)
            if (::dup2(scratch[i], kReportFd + static_cast<int>(i)) < 0) ::_exit(kExitExecFailed);
        ::execv("/proc/self/exe", argv.data());
        ::_exit(kExitExecFailed);
    }
    ::close(pipe.write_end);
    return start(role, pid, pipe.read_end);
}

ProcessGroup::Child ProcessGroup::start_forked(const std::string& label, const std::function<int(Report&)>& body) {
    const Pipe pipe = make_report_pipe();
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        tie_to_parent(parent);
        ::close(pipe.read_end);
        Report report(pipe.write_end);
        // _exit, not exit: the parent's stdio buffers and gtest's at-exit work are not ours to run.
        ::_exit(body(report));
    }
    ::close(pipe.write_end);
    return start(label, pid, pipe.read_end);
}

ProcessGroup::Child ProcessGroup::start(const std::string& name, pid_t pid, int report_fd) {
    ChildRecord record;
    record.name = name;
    record.pid = pid;
    record.report_fd = report_fd;
    children_.push_back(std::move(record));
    return children_.size() - 1;
}

bool ProcessGroup::wait_for_all() {
    std::vector<Child> all(children_.size());
    for (Child i = 0; i < all.size(); ++i) all[i] = i;
    return wait_for(all);
}

bool ProcessGroup::wait_for(std::span<const Child> children) {
    return wait_until([&] {
        return std::all_of(children.begin(), children.end(), [&](Child c) { return children_.at(c).reaped; });
    });
}

bool ProcessGroup::wait_for_reports(std::span<const Child> children, std::string_view key) {
    return wait_until([&] {
        return std::all_of(children.begin(), children.end(), [&](Child c) { return children_.at(c).text(key).has_value(); });
    });
}

bool ProcessGroup::wait_until(const std::function<bool()>& done) {
    for (;;) {
        for (ChildRecord& child : children_) {
            drain(child);
            reap(child, false);
        }
        if (std::any_of(children_.begin(), children_.end(), [](const ChildRecord& c) { return c.failed(); })) {
            kill_all();
            return false;
        }
        if (done()) return true;
        const Deadline now = Clock::now();
        if (now >= deadline_) {
            deadline_passed_ = true;
            kill_all();
            return false;
        }
        std::vector<pollfd> reports;
        for (const ChildRecord& child : children_)
            if (child.report_fd >= 0) reports.push_back({child.report_fd, POLLIN, 0});
        const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now).count();
        ::poll(reports.data(), reports.size(), static_cast<int>(std::clamp<long long>(remaining, 1, kReapIntervalMs)));
    }
}

void ProcessGroup::drain(ChildRecord& child) {
    char buffer[4096];
    while (child.report_fd >= 0) {
        const ssize_t n = ::read(child.report_fd, buffer, sizeof buffer);
        if (n > 0) {
            child.report.append(buffer, static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            if (n == 0) {  // end of file: the child and every copy of its write end are gone
                ::close(child.report_fd);
                child.report_fd = -1;
            }
            return;  // EAGAIN: nothing more for now
        }
    }
}

void ProcessGroup::reap(ChildRecord& child, bool block) {
    if (child.reaped) return;
    int status = 0;
    pid_t result;
    do {
        result = ::waitpid(child.pid, &status, block ? 0 : WNOHANG);
    } while (result < 0 && errno == EINTR);
    if (result != child.pid) return;
    child.reaped = true;
    child.wait_status = status;
    drain(child);  // whatever it wrote before exiting is in the pipe now
}

void ProcessGroup::kill(Child which) noexcept {
    ChildRecord& child = children_.at(which);
    reap(child, false);
    if (child.reaped) return;
    ::kill(child.pid, SIGKILL);
    child.killed_by_group = true;
    reap(child, true);
}

void ProcessGroup::kill_all() noexcept {
    for (ChildRecord& child : children_) {
        reap(child, false);  // one that already ended keeps its own fate
        if (child.reaped) continue;
        ::kill(child.pid, SIGKILL);
        child.killed_by_group = true;
    }
    for (ChildRecord& child : children_) {
        reap(child, true);
        // It may have exited between the look above and the signal.
        if (child.killed_by_group && !WIFSIGNALED(child.wait_status)) child.killed_by_group = false;
    }
}

void pause_until_killed() noexcept {
    for (;;) ::pause();
}

std::string ProcessGroup::describe() const {
    std::string text;
    if (deadline_passed_) text += "the deadline passed; every child still running was killed\n";
    for (const ChildRecord& child : children_) {
        text += child.name + " (pid " + std::to_string(child.pid) + "): " + child.fate() + "\n";
        std::string_view rest(child.report);
        while (!rest.empty()) {
            const auto end = rest.find('\n');
            text += "    ";
            text += rest.substr(0, end);
            text += "\n";
            rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
        }
    }
    return text;
}

}  // namespace shmring::multiprocess
