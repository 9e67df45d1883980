// An epoll set of one poll descriptor, for the tests of Pipe::poll_fd and Queue::poll_fd.
#pragma once

#include <chrono>
#include <sys/epoll.h>
#include <unistd.h>

namespace shmring::adapters_test {

// One descriptor in an epoll set, level-triggered: readable as long as its eventfd is.
class Epoll {
public:
    explicit Epoll(int fd) : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.fd = fd;
        added_ = epoll_ >= 0 && ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) == 0;
    }
    ~Epoll() { ::close(epoll_); }
    Epoll(const Epoll&) = delete;
    Epoll& operator=(const Epoll&) = delete;

    bool ok() const { return added_; }
    bool readable_within(std::chrono::milliseconds timeout) {
        epoll_event event{};
        return ::epoll_wait(epoll_, &event, 1, static_cast<int>(timeout.count())) == 1 && (event.events & EPOLLIN) != 0;
    }

private:
    int epoll_;
    bool added_ = false;
};

}  // namespace shmring::adapters_test
