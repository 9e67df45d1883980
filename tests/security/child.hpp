// What the security tests need: another user to act as, a forked child that runs as that user
// (or as the test, but under a deadline), and outcomes written as the errno names a user sees.
#pragma once

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <grp.h>
#include <optional>
#include <poll.h>
#include <pwd.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <variant>

#include "shmring/error.hpp"
#include "shmring/segment.hpp"

namespace shmring::security_test {

struct Account {
    uid_t uid;
    gid_t gid;
};

inline constexpr const char kUserName[] = "shmring-test";

// The unprivileged account the tests act as, created on first use (a system account without a
// home or a login shell). Gives the reason instead when this machine cannot provide one.
inline std::variant<Account, std::string> other_user() {
    if (::geteuid() != 0) return std::string("not running as root: cannot act as another user");
    const auto look_up = []() -> std::optional<Account> {
        const passwd* entry = ::getpwnam(kUserName);
        if (entry == nullptr) return std::nullopt;
        return Account{entry->pw_uid, entry->pw_gid};
    };
    if (auto account = look_up()) return *account;
    const char* useradd = "/usr/sbin/useradd";
    if (::access(useradd, X_OK) != 0) return std::string("no useradd on this machine: cannot create user ") + kUserName;
    // Several test processes may get here at once: useradd then fails in all but one (the name is
    // taken, or /etc/passwd is locked), so whatever it says, look again, and retry a little.
    for (int attempt = 0; attempt < 20; ++attempt) {
        char* const argv[] = {const_cast<char*>(useradd), const_cast<char*>("--system"), const_cast<char*>("--no-create-home"),
                              const_cast<char*>("--shell"), const_cast<char*>("/usr/sbin/nologin"),
                              const_cast<char*>(kUserName), nullptr};
        pid_t pid = 0;
        if (::posix_spawn(&pid, useradd, nullptr, nullptr, argv, environ) == 0) {
            int status = 0;
            ::waitpid(pid, &status, 0);
        }
        if (auto account = look_up()) return *account;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return std::string("useradd could not create user ") + kUserName;
}

// Gives up root for good: supplementary groups, then the group, then the user.
inline bool become(const Account& account) {
    return ::setgroups(0, nullptr) == 0 && ::setgid(account.gid) == 0 && ::setuid(account.uid) == 0 &&
           ::geteuid() == account.uid && ::setuid(0) != 0;
}

// Runs `body` in a forked child, as `account` if there is one, and returns the text it returns.
// A child that cannot change user, dies, or is still running after `timeout` (a call that blocks
// for ever) is killed, and the text says so: the test fails instead of hanging.
inline std::string in_child(const std::optional<Account>& account, const std::function<std::string()>& body,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return std::string("pipe2: ") + std::strerror(errno);
    const pid_t pid = ::fork();
    if (pid < 0) return std::string("fork: ") + std::strerror(errno);
    if (pid == 0) {
        ::close(fds[0]);
        const std::string text = !account || become(*account) ? body() : std::string("cannot become the other user: ") + std::strerror(errno);
        for (std::size_t done = 0; done < text.size();) {
            const ssize_t n = ::write(fds[1], text.data() + done, text.size() - done);
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool hung = true;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) break;
        pollfd p{fds[0], POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) < 0 && errno != EINTR) break;
        char buffer[512];
        const ssize_t n = (p.revents & (POLLIN | POLLHUP)) != 0 ? ::read(fds[0], buffer, sizeof buffer) : -1;
        if (n == 0) {
            hung = false;
            break;
        }
        if (n > 0) text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    if (hung) ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (hung) return text + "[still running after " + std::to_string(timeout.count()) + " ms: killed]";
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return text + "[child died with status " + std::to_string(status) + "]";
    return text;
}

inline std::string errno_name(int value) {
    switch (value) {
        case 0: return "ok";
        case EACCES: return "EACCES";
        case EPERM: return "EPERM";
        case EPROTO: return "EPROTO";
        case EEXIST: return "EEXIST";
        case ENOENT: return "ENOENT";
        case EISDIR: return "EISDIR";
        case ELOOP: return "ELOOP";
        case EINVAL: return "EINVAL";
        default: return "errno " + std::to_string(value);
    }
}

inline std::string errc_name(Errc code) {
    switch (code) {
        case Errc::permission_denied: return "permission_denied";
        case Errc::not_a_ring: return "not_a_ring";
        case Errc::exists: return "exists";
        case Errc::not_found: return "not_found";
        case Errc::system: return "system";
        default: return describe(code);
    }
}

// "ok", or the error's code and the errno the C API would return for it: "not_a_ring/EPROTO".
template <class T>
std::string outcome(const Result<T>& result) {
    if (result) return "ok";
    return errc_name(result.error().code()) + "/" + errno_name(result.error().errno_value());
}

// What a C API call returning 0 or -errno said.
inline std::string c_outcome(long result) { return errno_name(result < 0 ? static_cast<int>(-result) : 0); }

// What a system call returning 0 or -1 with errno said.
inline std::string sys_outcome(int result) { return result == 0 ? "ok" : errno_name(errno); }

// Whether open(2) of `path` with `flags` succeeds (the descriptor is closed again).
inline std::string open_outcome(const std::string& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return errno_name(errno);
    ::close(fd);
    return "ok";
}

inline std::string object_path(std::string_view name) { return "/dev/shm" + Segment::object_name(name); }

}  // namespace shmring::security_test
