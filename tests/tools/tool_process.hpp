// Test support: runs the built shmring binary as a user would, and captures what it says.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace shmring::testing {

// The binary under test (set by CMake).
inline const std::string kTool = SHMRING_TOOL_PATH;

struct Finished {
    bool exited = false;  // false: killed by `signal` (or by the runner at its timeout)
    int code = -1;
    int signal = 0;
    std::string out;
    std::string err;
};

// Runs `shmring args...` to completion with `input` on stdin. Killed after `timeout`.
Finished run_tool(const std::vector<std::string>& args, const std::string& input = {},
                  std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Runs a bash script (with -e -o pipefail) in which $SHMRING is the binary under test.
Finished run_shell(const std::string& script, std::chrono::milliseconds timeout = std::chrono::seconds(90));

// A bash script (with -e -o pipefail, $SHMRING set) for Running.
struct Script {
    std::string text;
};

// A tool process (or a script) that runs while the test looks at it. Its process group is killed
// (SIGKILL) if it still runs when the handle dies, so that a failing test leaves nothing behind.
class Running {
public:
    enum class Stdout { discard, capture };
    explicit Running(const std::vector<std::string>& args, Stdout out = Stdout::discard);
    explicit Running(const Script& script);
    ~Running();
    Running(const Running&) = delete;
    Running& operator=(const Running&) = delete;

    pid_t pid() const { return pid_; }
    // The next line of captured stdout without its newline; nullopt at the timeout or end.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    void signal(int number) const;
    // Waits for the exit (SIGKILL after `timeout`); stderr is in the result, stdout not.
    Finished wait(std::chrono::milliseconds timeout = std::chrono::seconds(10));

private:
    void start(const std::vector<std::string>& argv, Stdout out);

    pid_t pid_ = -1;
    bool reaped_ = false;
    int out_fd_ = -1;
    int err_fd_ = -1;
    std::string pending_;
};

// Retries `condition` every 20 ms until it holds (true) or `timeout` passes (false).
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The ring's file, for tests that damage it on purpose.
std::string ring_file(const std::string& name);

}  // namespace shmring::testing
