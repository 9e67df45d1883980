// Internal. PollHelper gives an endpoint a file descriptor that poll/epoll report readable when
// the endpoint can make progress, without any cost on the data path of either side.
//
// The other process cannot write to a descriptor of ours, but it already wakes whoever sleeps on
// the ring's wait event. So a helper thread sleeps there (like a blocked endpoint would), and when
// the endpoint is ready it makes an eventfd readable. It then waits until the endpoint reports that
// it ran dry (rearm(), called on the path that returns EAGAIN), which clears the eventfd, and goes
// back to watching the ring. While nobody asked for a descriptor, nothing of this exists.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/wait.hpp"

namespace shmring::detail {

class PollHelper {
public:
    // `ready` tells, without consuming anything, whether the endpoint can make progress (cheap:
    // called on every wake); `peer_check` tells whether the peer is gone, which also makes the
    // endpoint ready (EOF or EPIPE); it is called every tuning.probe_interval.
    static Result<std::unique_ptr<PollHelper>> start(layout::WaitEvent& event, const SharedAtomic<std::uint32_t>& light_publishers,
                                                     std::uint32_t endpoint_index,
                                                     std::function<bool()> ready, std::function<bool()> peer_check,
                                                     const WaitTuning& tuning);
    ~PollHelper();
    PollHelper(const PollHelper&) = delete;
    PollHelper& operator=(const PollHelper&) = delete;

    int fd() const noexcept { return eventfd_; }
    // The endpoint found nothing to do: clear the descriptor and watch the ring again.
    void rearm() noexcept;

private:
    PollHelper(layout::WaitEvent& event, const SharedAtomic<std::uint32_t>& light_publishers, std::uint32_t endpoint_index,
               std::function<bool()> ready,
               std::function<bool()> peer_check, const WaitTuning& tuning, int eventfd);
    void run() noexcept;

    layout::WaitEvent& event_;
    const SharedAtomic<std::uint32_t>& light_publishers_;
    std::uint32_t endpoint_index_;
    std::function<bool()> ready_;
    std::function<bool()> peer_check_;
    WaitTuning tuning_;
    int eventfd_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> armed_{false};
    std::thread thread_;
};

}  // namespace shmring::detail
