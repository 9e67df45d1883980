#include "tool_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "shmring/segment.hpp"

extern char** environ;

namespace shmring::testing {

namespace {

using Clock = std::chrono::steady_clock;

// A test that writes to a tool which has already exited must see EPIPE, not die of SIGPIPE; and
// scripts find the binary under test as $SHMRING.
const bool kProcessSetUp = [] {
    std::signal(SIGPIPE, SIG_IGN);
    ::setenv("SHMRING", SHMRING_TOOL_PATH, 1);
    return true;
}();

struct PipeEnds {
    int read = -1;
    int write = -1;
};

PipeEnds make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) std::abort();
    return {fds[0], fds[1]};
}

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

// Starts argv[0] in a process group of its own (so that a timeout can kill a whole script) with
// the given descriptors as its stdin, stdout and stderr.
pid_t spawn(const std::vector<std::string>& argv, int in, int out, int err) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err, STDERR_FILENO);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, &attributes, args.data(), environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0 ? pid : -1;
}

void decode(int status, Finished& finished) {
    finished.exited = WIFEXITED(status);
    finished.code = finished.exited ? WEXITSTATUS(status) : -1;
    finished.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

// Feeds `input`, collects stdout and stderr until both close, then reaps the process. At the
// timeout the process group is killed.
Finished collect(pid_t pid, int in, int out, int err, const std::string& input, std::chrono::milliseconds timeout) {
    Finished finished;
    const auto deadline = Clock::now() + timeout;
    std::size_t fed = 0;
    if (input.empty()) close_fd(in);
    bool killed = false;
    while (out >= 0 || err >= 0) {
        std::vector<pollfd> fds;
        if (out >= 0) fds.push_back({out, POLLIN, 0});
        if (err >= 0) fds.push_back({err, POLLIN, 0});
        if (in >= 0) fds.push_back({in, POLLOUT, 0});
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0 && !killed) {
            ::kill(-pid, SIGKILL);
            killed = true;
        }
        if (::poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(left, 100))) < 0 && errno != EINTR) break;
        for (const pollfd& p : fds) {
            if (p.revents == 0) continue;
            if (p.fd == in) {
                const ssize_t n = ::write(in, input.data() + fed, input.size() - fed);
                if (n > 0) fed += static_cast<std::size_t>(n);
                if (n < 0 || fed == input.size()) close_fd(in);
                continue;
            }
            char buffer[65536];
            const ssize_t n = ::read(p.fd, buffer, sizeof buffer);
            std::string& sink = p.fd == out ? finished.out : finished.err;
            if (n > 0) {
                sink.append(buffer, static_cast<std::size_t>(n));
            } else {
                close_fd(p.fd == out ? out : err);
            }
        }
    }
    close_fd(in);
    int status = 0;
    ::waitpid(pid, &status, 0);
    decode(status, finished);
    return finished;
}

std::vector<std::string> bash(const std::string& script) { return {"/bin/bash", "-c", "set -e -o pipefail\n" + script}; }

Finished run(const std::vector<std::string>& argv, const std::string& input, std::chrono::milliseconds timeout) {
    const PipeEnds in = make_pipe();
    const PipeEnds out = make_pipe();
    const PipeEnds err = make_pipe();
    const pid_t pid = spawn(argv, in.read, out.write, err.write);
    ::close(in.read);
    ::close(out.write);
    ::close(err.write);
    if (pid < 0) {
        ::close(in.write);
        ::close(out.read);
        ::close(err.read);
        return {};
    }
    return collect(pid, in.write, out.read, err.read, input, timeout);
}

}  // namespace

Finished run_tool(const std::vector<std::string>& args, const std::string& input, std::chrono::milliseconds timeout) {
    std::vector<std::string> argv{kTool};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, input, timeout);
}

Finished run_shell(const std::string& script, std::chrono::milliseconds timeout) { return run(bash(script), {}, timeout); }

Running::Running(const std::vector<std::string>& args, Stdout out) {
    std::vector<std::string> argv{kTool};
    argv.insert(argv.end(), args.begin(), args.end());
    start(argv, out);
}

Running::Running(const Script& script) { start(bash(script.text), Stdout::discard); }

void Running::start(const std::vector<std::string>& argv, Stdout out) {
    const int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int null_out = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    const PipeEnds captured = make_pipe();
    const PipeEnds err = make_pipe();
    pid_ = spawn(argv, null_in, out == Stdout::capture ? captured.write : null_out, err.write);
    ::close(null_in);
    ::close(null_out);
    ::close(captured.write);
    ::close(err.write);
    out_fd_ = captured.read;
    err_fd_ = err.read;
}

Running::~Running() {
    if (pid_ > 0 && !reaped_) {
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    close_fd(out_fd_);
    close_fd(err_fd_);
}

std::optional<std::string> Running::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (const auto end = pending_.find('\n'); end != std::string::npos) {
            std::string line = pending_.substr(0, end);
            pending_.erase(0, end + 1);
            return line;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return std::nullopt;
        pollfd p{out_fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
        char buffer[4096];
        const ssize_t n = ::read(out_fd_, buffer, sizeof buffer);
        if (n <= 0) return std::nullopt;
        pending_.append(buffer, static_cast<std::size_t>(n));
    }
}

void Running::signal(int number) const { ::kill(pid_, number); }

Finished Running::wait(std::chrono::milliseconds timeout) {
    Finished finished;
    const auto deadline = Clock::now() + timeout;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (Clock::now() >= deadline) {
            ::kill(-pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    reaped_ = true;
    decode(status, finished);
    char buffer[4096];
    ssize_t n = 0;
    while ((n = ::read(err_fd_, buffer, sizeof buffer)) > 0) finished.err.append(buffer, static_cast<std::size_t>(n));
    return finished;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!condition()) {
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

std::string ring_file(const std::string& name) { return "/dev/shm" + Segment::object_name(name); }

}  // namespace shmring::testing
