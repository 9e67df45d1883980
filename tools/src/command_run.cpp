#include "command_run.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stop_signal.hpp"

extern char** environ;

namespace shmring::cli {

namespace {

// A descriptor, closed when it goes out of scope if not before.
class Fd {
public:
    explicit Fd(int fd = -1) noexcept : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { close(); }

    int get() const noexcept { return fd_; }
    bool open() const noexcept { return fd_ >= 0; }
    void reset(int fd) noexcept {
        close();
        fd_ = fd;
    }
    void close() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

// Both ends close on exec: the command gets only the copies it is given as stdin and stdout.
bool make_pipe(Fd& read_end, Fd& write_end) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
    return true;
}

// Starts `argv` with `in` as its stdin and `out` as its stdout; 0 or the errno. SIGPIPE goes back to
// its default: the tool ignores it (stop_signal.hpp), an ignored signal stays ignored across exec,
// and a command whose stdout we close (its output was too long) should end as it would in a shell.
int spawn(const std::vector<std::string>& argv, int in, int out, pid_t& pid) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const int error = ::posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return error;
}

// A descriptor that polls readable once `pid` has exited, or -1. Through syscall(2): glibc 2.36's
// <sys/pidfd.h> declares pidfd_open without C linkage.
int pidfd_of(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U)); }

// Writes what the pipe takes of the rest of `input`; closes it when all is written, or when the
// command will read no more (EPIPE: it has what it took).
void feed(Fd& to_child, std::span<const std::byte> input, std::size_t& fed) {
    const ssize_t n = ::write(to_child.get(), input.data() + fed, input.size() - fed);
    if (n > 0) fed += static_cast<std::size_t>(n);
    if ((n < 0 && errno != EAGAIN && errno != EINTR) || fed == input.size()) to_child.close();
}

// Reads what the command wrote into the rest of `output`. Once it is full, one byte more tells end
// of file from output past the limit: then the pipe is closed, so that the command gets SIGPIPE
// rather than a reader that never comes.
void drain(Fd& from_child, std::span<std::byte> output, CommandRun& run) {
    const bool full = run.length == output.size();
    std::byte extra{};
    const ssize_t n = full ? ::read(from_child.get(), &extra, 1)
                           : ::read(from_child.get(), output.data() + run.length, output.size() - run.length);
    if (n > 0 && full) {
        run.truncated = true;
        from_child.close();
    } else if (n > 0) {
        run.length += static_cast<std::size_t>(n);
    } else if (n == 0 || errno != EINTR) {
        from_child.close();
    }
}

}  // namespace

CommandRun run_command(const std::vector<std::string>& argv, std::span<const std::byte> input, std::span<std::byte> output) {
    CommandRun run;
    Fd child_in, to_child, from_child, child_out;
    if (!make_pipe(child_in, to_child) || !make_pipe(from_child, child_out)) {
        run.spawn_error = errno;
        return run;
    }
    pid_t pid = -1;
    run.spawn_error = spawn(argv, child_in.get(), child_out.get(), pid);
    child_in.close();  // the command's copies are its own: our output pipe ends when it (and its children) close theirs
    child_out.close();
    if (run.spawn_error != 0) return run;
    // Non-blocking: a command that writes before it reads must find us reading, not stuck writing.
    ::fcntl(to_child.get(), F_SETFL, O_NONBLOCK);
    if (input.empty()) to_child.close();
    // Readable once the command has exited, so that one poll waits for its output and its end. If
    // the kernel has no pidfds (before Linux 5.3), the poll's timeout paces the looks instead.
    const Fd exited(pidfd_of(pid));
    const int slice = static_cast<int>(kStopCheckInterval.count());
    std::size_t fed = 0;
    bool reaped = false;
    for (;;) {
        if (!reaped) {
            const pid_t waited = ::waitpid(pid, &run.wait_status, WNOHANG);
            reaped = waited == pid || (waited < 0 && errno != EINTR);
        }
        if (reaped && !from_child.open()) return run;
        if (stop_requested()) break;
        // poll skips the negative descriptors of closed pipes.
        pollfd fds[3] = {{from_child.get(), POLLIN, 0}, {to_child.get(), POLLOUT, 0}, {reaped ? -1 : exited.get(), POLLIN, 0}};
        if (::poll(fds, 3, slice) <= 0) continue;  // EINTR included: a stop request is looked at first
        if (fds[1].revents != 0) feed(to_child, input, fed);
        if (fds[0].revents != 0) drain(from_child, output, run);
    }
    run.interrupted = true;
    if (!reaped) {
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, &run.wait_status, 0) < 0 && errno == EINTR) {
        }
    }
    return run;
}

std::string failure_of(int wait_status) {
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status) == 0 ? std::string() : "exited with status " + std::to_string(WEXITSTATUS(wait_status));
    if (WIFSIGNALED(wait_status)) {
        const int signal = WTERMSIG(wait_status);
        const char* name = ::sigabbrev_np(signal);
        return "killed by signal " + std::to_string(signal) + (name != nullptr ? " (SIG" + std::string(name) + ")" : std::string());
    }
    return "ended with wait status " + std::to_string(wait_status);
}

}  // namespace shmring::cli
