// Internal. The source of a pipe or a queue on the SPSC engine: its consumer, with custody
// through SpscConsumer's released_through / flush_through / rewind. Positions are the ring's
// byte positions.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "shmring/detail/poll_helper.hpp"
#include "shmring/spsc_ring.hpp"
#include "source.hpp"

namespace shmring::bridge::detail {

class SpscSource final : public Source {
public:
    static Result<std::unique_ptr<Source>> attach(RingSegment ring);

    Hello hello(std::uint64_t epoch) const override;
    std::uint64_t confirmed() const noexcept override { return consumer_.position(); }
    std::uint64_t read_through() const noexcept override { return consumer_.released_through(); }
    std::uint64_t unconfirmed_bytes() const noexcept override { return read_through() - confirmed(); }
    SourceRecord next() noexcept override;
    bool confirm(std::uint64_t position) noexcept override { return consumer_.flush_through(position); }
    Resume resume_at(std::uint64_t position) noexcept override;
    Result<int> poll_fd() override;
    void rearm() noexcept override { poll_.rearm(); }

    SpscSource(const SpscSource&) = delete;
    SpscSource& operator=(const SpscSource&) = delete;
    // Gives back only the confirmed records' room: the unconfirmed ones stay for the next sender.
    ~SpscSource() override { consumer_.rewind(); }

private:
    explicit SpscSource(SpscConsumer consumer) noexcept;
    void rewound() noexcept;

    SpscConsumer consumer_;
    // read_through(), for the poll helper's thread. Relaxed: it only decides when to signal, and
    // the signalled thread looks at the ring itself.
    std::atomic<std::uint64_t> ahead_{0};
    shmring::detail::PollDescriptor poll_;  // after the consumer: stops before it goes
};

}  // namespace shmring::bridge::detail
