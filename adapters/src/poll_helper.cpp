#include "shmring/detail/poll_helper.hpp"

#include <cerrno>
#include <cstdint>
#include <system_error>
#include <sys/eventfd.h>
#include <unistd.h>

#include "shmring/detail/wait_loop.hpp"

namespace shmring::detail {

Result<std::unique_ptr<PollHelper>> PollHelper::start(const Endpoint& endpoint, layout::WaitEvent& event,
                                                      std::function<bool()> ready, std::function<bool()> probe) {
    const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) return system_error("eventfd", errno);
    try {
        return std::unique_ptr<PollHelper>(
            new PollHelper(endpoint, event, std::move(ready), std::move(probe), fd));
    } catch (const std::system_error& error) {  // the thread could not start
        ::close(fd);
        return shmring::system_error("pthread_create (poll helper)", error.code().value());
    } catch (...) {
        ::close(fd);
        throw;
    }
}

PollHelper::PollHelper(const Endpoint& endpoint, layout::WaitEvent& event, std::function<bool()> ready, std::function<bool()> probe,
                       int eventfd)
    : event_(event),
      endpoint_index_(endpoint.index()),
      ready_(std::move(ready)),
      probe_(std::move(probe)),
      tuning_(endpoint.tuning()),
      eventfd_(eventfd) {
    thread_ = std::thread([this] { run(); });
}

PollHelper::~PollHelper() {
    // Release: the helper that sees stop_ also sees that it must not touch the endpoint any more.
    stop_.store(true, std::memory_order_release);
    armed_.store(true, std::memory_order_release);
    armed_.notify_all();
    // The helper may sleep on the shared event: wake it. Other sleepers wake too, see nothing new
    // and sleep again.
    wake_sleepers(event_);
    thread_.join();
    ::close(eventfd_);
}

void PollHelper::rearm() noexcept {
    std::uint64_t drained = 0;
    (void)!::read(eventfd_, &drained, sizeof drained);
    // Release, pairs with the acquire in run(): the drain happened before the helper watches again.
    armed_.store(true, std::memory_order_release);
    armed_.notify_one();
}

void PollHelper::run() noexcept {
    // The helper's sleeps are not the endpoint's: they go to counters of its own.
    layout::Counters own_counters{};
    // It always blocks: no spin window.
    const Waiter waiter{event_, helper_sleeper(endpoint_index_), own_counters, WaitStrategy::block, tuning_, nullptr, nullptr};
    const auto stopping = [this] { return stop_.load(std::memory_order_acquire); };
    while (!stopping()) {
        const Status status = wait_until(
            waiter, kNoDeadline, [&] { return stopping() || ready_() ? Status::ok : Status::again; },
            [&] { return stopping() || probe_() ? Status::interrupted : Status::ok; });
        (void)status;  // ready, peer gone or stopping: each is reported by making the fd readable
        if (stopping()) break;
        const std::uint64_t one = 1;
        (void)!::write(eventfd_, &one, sizeof one);
        armed_.wait(false, std::memory_order_acquire);
        armed_.store(false, std::memory_order_relaxed);  // relaxed: only this thread reads it after the wait
    }
}

}  // namespace shmring::detail
