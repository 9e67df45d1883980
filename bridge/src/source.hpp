// Internal. The sender's side of a ring: its consumer, reading ahead under custody. A record read
// and sent stays the source's (its room not given back, its topic slot not overwritable) until the
// receiver confirms that the far ring holds it; after a reconnection or a restart, reading starts
// again at the first unconfirmed record. Every record has a stream position, the position after it
// (a number that grows with each record and is the same when the record is read again): the ring's
// byte position for SPSC rings (spsc_source.hpp), the ticket after the message's for MPMC queues
// (mpmc_source.hpp), the message's sequence number for topics (topic_source.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "shmring/error.hpp"
#include "shmring/ring_view.hpp"
#include "wire.hpp"

namespace shmring::bridge::detail {

struct SourceRecord {
    // ok: the fields below describe the record; again: none yet; corrupt; busy: another consumer
    // takes from the source, which must have the bridge as its only one.
    Status status;
    std::uint64_t end = 0;
    std::uint32_t type = 0;
    std::span<const std::byte> payload = {};
    // The payload stays where it is until confirmed (custody): it may be sent from there in place.
    // Otherwise it is valid until the next call only.
    bool stays = false;
    bool void_ticket = false;  // no message: an MPMC queue's void ticket, sent for its position only
};

class Source {
public:
    virtual ~Source() = default;

    // The HELLO that announces the ring's geometry and stream, custody starting at confirmed().
    virtual Hello hello(std::uint64_t epoch) const = 0;
    virtual std::uint64_t confirmed() const noexcept = 0;
    // The position up to which records were read (and sent): what is in flight ends there.
    virtual std::uint64_t read_through() const noexcept = 0;
    // What the records read and not yet confirmed take in the source, in bytes: the window.
    virtual std::uint64_t unconfirmed_bytes() const noexcept = 0;

    // Reads the next record.
    virtual SourceRecord next() noexcept = 0;

    // The receiver holds the stream through `position`, the end of a record read: release what
    // is before it. False when `position` is not between confirmed() and read_through().
    virtual bool confirm(std::uint64_t position) noexcept = 0;

    // Starts reading again at `position`, which the receiver says it holds. behind: the source
    // gave those records up already; off_grid: no record ends there (the receiver speaks of
    // another stream, or lies); corrupt: the ring is.
    enum class Resume { ok, behind, off_grid, corrupt };
    virtual Resume resume_at(std::uint64_t position) noexcept = 0;

    // Records the source lost before they were read (lossy topics).
    virtual std::uint64_t lost() const noexcept { return 0; }

    // A descriptor readable when a record past read_through() may be there; rearm() when next()
    // said again.
    virtual Result<int> poll_fd() = 0;
    virtual void rearm() noexcept = 0;
};

// The HELLO announcing `ring`'s geometry and stream (named by its creation time: a ring removed
// and created again starts a new one), custody starting at `start`.
Hello hello_for(const RingView& ring, std::uint64_t start, std::uint64_t epoch);

// The source of ring `ring`: a pipe, a queue (on either engine) or a topic.
Result<std::unique_ptr<Source>> attach_source(const std::string& ring);

}  // namespace shmring::bridge::detail
