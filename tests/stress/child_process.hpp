// Test support for stress tests: forked children that report through their exit status, and a
// shared anonymous mapping for their results.
#pragma once

#include <chrono>
#include <csignal>
#include <cstddef>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace shmring::testing {

// Forks a child that runs `body` and exits with its return value (0: success).
template <class Body>
pid_t spawn(Body body) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(body());
    return pid;
}

// Waits for every child until `limit`; kills the stragglers. True if all exited with status 0.
inline bool reap_all(std::vector<pid_t>& children, std::chrono::seconds limit) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    bool all_ok = true;
    for (const pid_t child : children) {
        int status = 0;
        for (;;) {
            const pid_t done = ::waitpid(child, &status, WNOHANG);
            if (done == child) break;
            if (std::chrono::steady_clock::now() >= give_up) {
                ::kill(child, SIGKILL);
                ::waitpid(child, &status, 0);
                all_ok = false;
                break;
            }
            ::usleep(2000);
        }
        all_ok = all_ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    children.clear();
    return all_ok;
}

// Memory shared with forked children (MAP_SHARED | MAP_ANONYMOUS), zero-filled.
template <class T>
class SharedArray {
public:
    explicit SharedArray(std::size_t count) : count_(count) {
        void* p = ::mmap(nullptr, count * sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        data_ = p == MAP_FAILED ? nullptr : static_cast<T*>(p);
    }
    ~SharedArray() {
        if (data_ != nullptr) ::munmap(data_, count_ * sizeof(T));
    }
    SharedArray(const SharedArray&) = delete;
    SharedArray& operator=(const SharedArray&) = delete;
    T& operator[](std::size_t i) { return data_[i]; }
    std::size_t size() const { return count_; }
    explicit operator bool() const { return data_ != nullptr; }

private:
    T* data_;
    std::size_t count_;
};

}  // namespace shmring::testing
