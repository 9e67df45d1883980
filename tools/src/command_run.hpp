// Running a command the way `serve` answers a request, as inetd does: no shell, the input on its
// stdin, its stdout captured into a buffer, its stderr the tool's own.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace shmring::cli {

struct CommandRun {
    int spawn_error = 0;       // the errno of posix_spawnp when the command could not be started; else 0
    bool interrupted = false;  // a stop was requested while it ran: it was killed, its output is to be dropped
    std::size_t length = 0;    // bytes of its stdout in the buffer
    bool truncated = false;    // it wrote more than the buffer holds: its stdout was closed on it
    int wait_status = 0;       // as waitpid(2) gives it
};

// Runs `argv` (argv[0] looked up in PATH) with `input` on its stdin and its stdout read into
// `output`, until it has exited; waits in slices of kStopCheckInterval, so that a stop request kills
// it (SIGKILL) instead of waiting for it. Leaves no descriptor open and no child unreaped. The
// caller ignores SIGPIPE (install_stop_handlers): a command that stops reading its input is then an
// EPIPE, not the caller's death.
CommandRun run_command(const std::vector<std::string>& argv, std::span<const std::byte> input, std::span<std::byte> output);

// "exited with status 3", "killed by signal 9 (SIGKILL)"; empty for an exit with status 0.
std::string failure_of(int wait_status);

}  // namespace shmring::cli
