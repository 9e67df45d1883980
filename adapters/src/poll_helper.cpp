#include "shmring/detail/poll_helper.hpp"

#include <cerrno>
#include <climits>
#include <cstdint>
#include <system_error>
#include <sys/eventfd.h>
#include <unistd.h>

#include "shmring/detail/futex.hpp"
#include "shmring/detail/wait_loop.hpp"

namespace shmring::detail {

Result<std::unique_ptr<PollHelper>> PollHelper::start(layout::WaitEvent& event, const SharedAtomic<std::uint32_t>& light_publishers,
                                                      std::uint32_t endpoint_index,
                                                      std::function<bool()> ready, std::function<bool()> peer_check,
                                                      const WaitTuning& tuning) {
    const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) return system_error("eventfd", errno);
    try {
        return std::unique_ptr<PollHelper>(
            new PollHelper(event, light_publishers, endpoint_index, std::move(ready), std::move(peer_check), tuning, fd));
    } catch (const std::system_error& error) {  // the thread could not start
        ::close(fd);
        return shmring::system_error("pthread_create (poll helper)", error.code().value());
    } catch (...) {
        ::close(fd);
        throw;
    }
}

PollHelper::PollHelper(layout::WaitEvent& event, const SharedAtomic<std::uint32_t>& light_publishers, std::uint32_t endpoint_index,
                       std::function<bool()> ready,
                       std::function<bool()> peer_check, const WaitTuning& tuning, int eventfd)
    : event_(event), light_publishers_(light_publishers), endpoint_index_(endpoint_index), ready_(std::move(ready)), peer_check_(std::move(peer_check)), tuning_(tuning), eventfd_(eventfd) {
    thread_ = std::thread([this] { run(); });
}

PollHelper::~PollHelper() {
    // Release: the helper that sees stop_ also sees that it must not touch the endpoint any more.
    stop_.store(true, std::memory_order_release);
    armed_.store(true, std::memory_order_release);
    armed_.notify_all();
    // The helper may sleep on the shared event: wake it. Other sleepers wake too, see nothing new
    // and sleep again.
    event_.sequence.fetch_add(1, std::memory_order_release);
    futex_wake(event_.sequence.address(), INT_MAX);
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
    SpinWindow unused_window;  // the helper always blocks
    const auto stopping = [this] { return stop_.load(std::memory_order_acquire); };
    while (!stopping()) {
        const Status status = wait_until(
            event_, light_publishers_, helper_sleeper(endpoint_index_), own_counters, WaitStrategy::block, tuning_, unused_window, kNoDeadline,
            [&] { return stopping() || ready_() ? Status::ok : Status::again; },
            [&] { return stopping() || peer_check_() ? Status::interrupted : Status::ok; });
        (void)status;  // ready, peer gone or stopping: each is reported by making the fd readable
        if (stopping()) break;
        const std::uint64_t one = 1;
        (void)!::write(eventfd_, &one, sizeof one);
        armed_.wait(false, std::memory_order_acquire);
        armed_.store(false, std::memory_order_relaxed);  // relaxed: only this thread reads it after the wait
    }
}

}  // namespace shmring::detail
