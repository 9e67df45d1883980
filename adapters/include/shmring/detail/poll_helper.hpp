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

#include "shmring/endpoint.hpp"
#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/wait.hpp"

namespace shmring::detail {

class PollHelper {
public:
    // Watches `event` of `endpoint`'s ring on the endpoint's behalf. `ready` tells, without
    // consuming anything, whether the endpoint can make progress (cheap: called on every wake);
    // `probe` is called every tuning().probe_interval, and true means ready too (the peer is gone:
    // EOF or EPIPE). Both run on the helper thread: they may only read the ring and the endpoint's
    // identity, which stay put while the helper runs.
    static Result<std::unique_ptr<PollHelper>> start(const Endpoint& endpoint, layout::WaitEvent& event,
                                                     std::function<bool()> ready, std::function<bool()> probe);
    ~PollHelper();
    PollHelper(const PollHelper&) = delete;
    PollHelper& operator=(const PollHelper&) = delete;

    int fd() const noexcept { return eventfd_; }
    // The endpoint found nothing to do: clear the descriptor and watch the ring again.
    void rearm() noexcept;

private:
    PollHelper(const Endpoint& endpoint, layout::WaitEvent& event, std::function<bool()> ready, std::function<bool()> probe,
               int eventfd);
    void run() noexcept;

    layout::WaitEvent& event_;
    std::uint32_t endpoint_index_;
    std::function<bool()> ready_;
    std::function<bool()> probe_;
    WaitTuning tuning_;
    int eventfd_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> armed_{false};
    std::thread thread_;
};

// A handle's poll descriptor: nothing until first asked for, then a PollHelper. Declared after the
// endpoint it watches in the handle, so that it stops before the endpoint goes.
class PollDescriptor {
public:
    // The descriptor, starting the helper on first use (PollHelper::start).
    Result<int> get(const Endpoint& endpoint, layout::WaitEvent& event, std::function<bool()> ready, std::function<bool()> probe) {
        if (!helper_) {
            auto helper = PollHelper::start(endpoint, event, std::move(ready), std::move(probe));
            if (!helper) return helper.error();
            helper_ = std::move(*helper);
        }
        return helper_->fd();
    }
    // The handle found nothing to do: the descriptor must fire again when it can.
    void rearm() noexcept {
        if (helper_) helper_->rearm();
    }
    // `status`, after rearming when it says again.
    Status rearm_on_again(Status status) noexcept {
        if (status == Status::again) rearm();
        return status;
    }

private:
    std::unique_ptr<PollHelper> helper_;
};

}  // namespace shmring::detail
