// Internal. The source of a topic: a subscriber with custody (TopicSubscriber::hold). Positions
// are the messages' sequence numbers. A lossless topic holds its publisher back until the
// receiver confirms, so the remote subscribers count as one subscriber of the local topic and
// miss nothing; a lossy topic holds nothing back, so what its publisher overwrites before the
// bridge reads it is lost, and counted (lost()).
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "shmring/detail/poll_helper.hpp"
#include "shmring/topic.hpp"
#include "source.hpp"

namespace shmring::bridge::detail {

class TopicSource final : public Source {
public:
    static Result<std::unique_ptr<Source>> attach(RingSegment ring);

    Hello hello(std::uint64_t epoch) const override;
    std::uint64_t confirmed() const noexcept override { return subscriber_.confirmed(); }
    std::uint64_t read_through() const noexcept override { return subscriber_.position(); }
    // From the last record returned: positions a lossy reader skipped were never sent, and no
    // confirmation will cover them.
    std::uint64_t unconfirmed_bytes() const noexcept override { return (last_end_ - confirmed()) * subscriber_.max_message(); }
    SourceRecord next() noexcept override;
    bool confirm(std::uint64_t position) noexcept override { return subscriber_.confirm_through(position); }
    Resume resume_at(std::uint64_t position) noexcept override;
    std::uint64_t lost() const noexcept override { return subscriber_.lost(); }
    Result<int> poll_fd() override;
    void rearm() noexcept override { poll_.rearm(); }

private:
    explicit TopicSource(TopicSubscriber subscriber);

    TopicSubscriber subscriber_;
    bool lossless_;
    std::vector<std::byte> copy_;  // lossy: the last message, copied before its slot is rewritten
    std::uint64_t last_end_ = 0;   // the end of the last record returned (or the resume position)
    // position(), for the poll helper's thread. Relaxed: it only decides when to signal.
    std::atomic<std::uint64_t> ahead_{0};
    shmring::detail::PollDescriptor poll_;  // after the subscriber: stops before it goes
};

}  // namespace shmring::bridge::detail
