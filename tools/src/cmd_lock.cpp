// shmring lock NAME -- COMMAND [ARG...]: runs a command while holding a lock, as flock(1) does.
//
// It takes the lock (waiting for ever, --timeout S, or not at all with --nonblock), runs COMMAND
// (looked up in PATH, no shell) with the tool's stdin, stdout and stderr, waits for it, gives the
// lock back and ends with the command's status (128+N when a signal N killed it). While the command
// runs the tool holds the lock: the lock's lease is the tool's, and its descriptors close on exec.
// SIGINT and SIGTERM sent to the tool by a process are passed on to the command (one from the
// terminal reaches it already: it is in the tool's process group); the tool waits for it either
// way. If the tool itself dies, the command gets SIGTERM, and the next taker of the lock takes it
// from the dead holder with a warning.
//
// A lock taken from a dead holder (EOWNERDEAD) guards state that may be half-changed: the command
// runs all the same, after a warning. If it exits with status 0 the lock is marked consistent
// again; otherwise it is given back as a death would, so that its next taker is warned too.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "command_run.hpp"
#include "commands.hpp"
#include "diagnostics.hpp"
#include "message_io.hpp"
#include "shmring/lock.hpp"
#include "stop_signal.hpp"

namespace shmring::cli {

namespace {

// Shell conventions for a command that could not be run: not found, or found and not runnable.
constexpr int kExitNotFound = 127;
constexpr int kExitCannotRun = 126;

volatile std::sig_atomic_t forward_signal = 0;

// SIGINT or SIGTERM sent by a process (kill(1), a supervisor) is passed on to the command; one the
// terminal sends went to the whole foreground process group, the command included.
void on_forwarded(int signal, siginfo_t* info, void*) {
    if (info == nullptr || info->si_code <= 0) forward_signal = signal;  // SI_USER, SI_QUEUE, SI_TKILL: from a process
}

void forward_signals() {
    struct sigaction action {};
    action.sa_sigaction = on_forwarded;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
}

// The pid of the endpoint that holds the lock now, when the registry still names it.
std::optional<std::uint32_t> holder_pid(const Lock& lock) {
    const RingSegment& ring = lock.ring();
    const std::uint64_t word = owner_lock_of(ring).holder.load(std::memory_order_relaxed);
    if (word == 0 || layout::role_index(word) >= layout::kMaxEndpoints) return std::nullopt;
    const layout::EndpointEntry& entry = ring.endpoint(layout::role_index(word));
    const std::uint32_t pid = entry.pid.load(std::memory_order_relaxed);
    if (layout::endpoint_generation(entry.state.load(std::memory_order_acquire)) != layout::role_generation(word)) return std::nullopt;
    return pid;
}

std::string pid_words(const std::optional<std::uint32_t>& pid) { return pid ? " by pid " + std::to_string(*pid) : std::string(); }

std::string seconds_text(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", seconds);
    return text;
}

// Starts `argv` with the tool's stdin, stdout and stderr; SIGTERM for it if the tool dies. The pid,
// or -1 with `error` set to the errno of the exec that failed.
pid_t start(const std::vector<std::string>& argv, int& error) {
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) {
        error = errno;
        return -1;
    }
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(report[0]);
        // The command no longer holds the lock once the tool is gone: it is told so.
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) ::_exit(kExitCannotRun);
        // The tool ignores SIGPIPE (stop_signal.hpp), and an ignored signal stays ignored across exec.
        std::signal(SIGPIPE, SIG_DFL);
        ::execvp(args[0], args.data());
        const int failed = errno;
        (void)!::write(report[1], &failed, sizeof failed);
        ::_exit(kExitNotFound);
    }
    ::close(report[1]);
    if (pid < 0) {
        error = errno;
        ::close(report[0]);
        return -1;
    }
    // End of file: the exec closed the pipe. An errno: it failed.
    int failed = 0;
    ssize_t n = 0;
    while ((n = ::read(report[0], &failed, sizeof failed)) < 0 && errno == EINTR) {
    }
    ::close(report[0]);
    if (n == static_cast<ssize_t>(sizeof failed)) {
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        error = failed;
        return -1;
    }
    return pid;
}

// Waits for `pid` to end, passing on the signals forward_signals() catches; its wait status.
int wait_for(pid_t pid) {
    // Readable once the command has exited; without pidfds (before Linux 5.3) the timeout paces the looks.
    const int exited = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U));
    int status = 0;
    for (;;) {
        if (const int signal = forward_signal; signal != 0) {
            forward_signal = 0;
            ::kill(pid, signal);
        }
        const pid_t waited = ::waitpid(pid, &status, WNOHANG);
        if (waited == pid || (waited < 0 && errno != EINTR)) break;
        pollfd fd{exited, POLLIN, 0};
        (void)::poll(&fd, exited >= 0 ? 1 : 0, static_cast<int>(kStopCheckInterval.count()));
    }
    if (exited >= 0) ::close(exited);
    return status;
}

int exit_status_of(int wait_status) {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return kExitFailure;
}

}  // namespace

int run_lock(const LockOptions& options) {
    install_stop_handlers();
    auto lock = Lock::attach(options.name);
    if (!lock) return fail(options.name, reason_of(lock.error(), options.name));
    const Deadline give_up = options.nonblock ? kTryOnce : deadline_in(options.timeout_seconds);
    std::optional<std::uint32_t> last_holder;
    Status taken = Status::again;
    for (;;) {
        if (stop_requested()) return interrupted();
        last_holder = holder_pid(*lock);
        taken = lock->acquire(options.nonblock ? kTryOnce : slice_before(give_up));
        const bool held_by_another = taken == Status::timed_out || taken == Status::again;
        if (!held_by_another) break;
        if (options.nonblock) return fail(options.name, "the lock is held" + pid_words(holder_pid(*lock)) + " (EAGAIN)");
        if (Clock::now() >= give_up)
            return fail(options.name, "timed out after " + seconds_text(options.timeout_seconds) + " s: the lock is held" +
                                          pid_words(holder_pid(*lock)) + " (ETIMEDOUT)");
    }
    if (taken != Status::ok && taken != Status::owner_died) return fail(options.name, reason_of(taken));
    const std::string program = "'" + options.command.front() + "'";
    const bool owner_died = taken == Status::owner_died;
    if (owner_died)
        fail(options.name, "warning: the previous holder" + (last_holder ? " (pid " + std::to_string(*last_holder) + ")" : std::string()) +
                               " died holding the lock (EOWNERDEAD); it is marked consistent again if " + program +
                               " exits with status 0");

    forward_signals();  // from here on SIGINT and SIGTERM go to the command; the tool waits for it
    int error = 0;
    const pid_t pid = start(options.command, error);
    if (pid < 0) {
        // The lock goes back as it was taken: after a death, still marked so (the destructor).
        if (!owner_died) (void)lock->release();
        fail(options.name, "cannot run " + program + ": " + std::strerror(error));
        return error == ENOENT ? kExitNotFound : kExitCannotRun;
    }
    const int wait_status = wait_for(pid);
    const int status = exit_status_of(wait_status);
    if (owner_died && status != 0) {
        // Given back as a death would (Lock's destructor): its next taker is warned in turn.
        fail(options.name, "warning: " + program + " " + failure_of(wait_status) +
                               ": the lock stays marked as taken from a dead holder (EOWNERDEAD) for its next taker");
        return status;
    }
    if (owner_died) (void)lock->make_consistent();
    if (const Status released = lock->release(); released != Status::ok) return fail(options.name, "release: " + reason_of(released));
    return status;
}

}  // namespace shmring::cli
