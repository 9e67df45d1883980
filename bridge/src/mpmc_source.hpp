// Internal. The source of a queue on the MPMC engine: its only consumer, holding what it takes
// (MpmcHolder) until the receiver confirms. Positions are ticket + 1. A void ticket (a claim its
// producer gave up) is sent as a record of no payload (kVoidRecord), which the receiver confirms
// and writes nothing for: held slots are handed back only by confirmations, voids included.
#pragma once

#include <atomic>
#include <memory>

#include "shmring/detail/poll_helper.hpp"
#include "shmring/mpmc_ring.hpp"
#include "source.hpp"

namespace shmring::bridge::detail {

class MpmcSource final : public Source {
public:
    static Result<std::unique_ptr<Source>> attach(RingSegment ring);

    Hello hello(std::uint64_t epoch) const override { return hello_for(holder_.ring(), confirmed(), epoch); }
    std::uint64_t confirmed() const noexcept override { return holder_.confirmed(); }
    std::uint64_t read_through() const noexcept override { return holder_.read_through(); }
    // What the held slots take, voids included (they are confirmed like messages).
    std::uint64_t unconfirmed_bytes() const noexcept override {
        return (read_through() - confirmed()) * holder_.ring().geometry().slot_stride;
    }
    SourceRecord next() noexcept override;
    bool confirm(std::uint64_t position) noexcept override;
    Resume resume_at(std::uint64_t position) noexcept override;
    Result<int> poll_fd() override;
    void rearm() noexcept override { poll_.rearm(); }

private:
    explicit MpmcSource(MpmcHolder holder) noexcept;
    void moved() noexcept { ahead_.store(read_through(), std::memory_order_relaxed); }

    MpmcHolder holder_;
    // The ticket read_through() names, for the poll helper's thread. Relaxed: it only decides
    // when to signal, and the signalled thread looks at the ring itself.
    std::atomic<std::uint64_t> ahead_{0};
    shmring::detail::PollDescriptor poll_;  // after the holder: stops before it goes
};

}  // namespace shmring::bridge::detail
