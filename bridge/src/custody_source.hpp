// Internal. The sender's side of a ring: its consumer, reading ahead under custody (SpscConsumer's
// released_through / flush_through / rewind). A record read and sent stays in the ring, its room
// not given back, until the receiver confirms that the far ring holds it; after a reconnection
// or a restart, reading starts again at the first unconfirmed record. The stream positions are
// the ring's own byte positions: the position after a record names it, and a record read again
// has the same one.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "shmring/detail/poll_helper.hpp"
#include "shmring/spsc_ring.hpp"
#include "wire.hpp"

namespace shmring::bridge::detail {

class CustodySource {
public:
    static Result<std::unique_ptr<CustodySource>> attach(const std::string& ring);

    // The HELLO that announces this ring's geometry and stream, custody starting at confirmed().
    Hello hello(std::uint64_t epoch) const;

    std::uint64_t confirmed() const noexcept { return consumer_.position(); }
    std::uint64_t read_through() const noexcept { return consumer_.released_through(); }

    // The next record after read_through(), in place. again: none yet; corrupt.
    View peek() noexcept;
    // The position after the last record taken (read_through() may be past it by a padding record
    // skipped since): where the next record sent follows on.
    std::uint64_t last_record_end() const noexcept { return last_record_end_; }
    // Counts the peeked record as read (read_through() moves past it); it stays in the ring.
    void take() noexcept;

    // The receiver holds the stream through `position`: give the room before it back. False when
    // `position` is not between confirmed() and read_through().
    bool confirm(std::uint64_t position) noexcept { return consumer_.flush_through(position); }

    // Starts reading again at `position`, which the receiver says it holds: rewinds to the first
    // unconfirmed record, then reads forward to `position` and confirms it. behind: the ring gave
    // those records up already; off_grid: no record of the ring ends there (the receiver speaks
    // of another stream, or lies); corrupt: the ring is.
    enum class Resume { ok, behind, off_grid, corrupt };
    Resume resume_at(std::uint64_t position) noexcept;

    // A descriptor readable when a record past read_through() may be there; rearm() when peek()
    // said again.
    Result<int> poll_fd();
    void rearm() noexcept { poll_.rearm(); }

    CustodySource(const CustodySource&) = delete;
    CustodySource& operator=(const CustodySource&) = delete;
    // Gives back only the confirmed records' room: the unconfirmed ones stay for the next sender.
    ~CustodySource() { consumer_.rewind(); }

private:
    explicit CustodySource(SpscConsumer consumer) noexcept : consumer_(std::move(consumer)) {}

    SpscConsumer consumer_;
    // read_through(), for the poll helper's thread. Relaxed: it only decides when to signal, and
    // the signalled thread looks at the ring itself.
    std::atomic<std::uint64_t> ahead_{0};
    std::uint64_t last_record_end_ = 0;
    shmring::detail::PollDescriptor poll_;  // after the consumer: stops before it goes
};

}  // namespace shmring::bridge::detail
