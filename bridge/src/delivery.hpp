// Internal. The receiver's side of a ring: it writes the records it receives into the far ring,
// exactly once, and keeps the delivery journal (bridge_state.hpp) that proves how far it got.
//
// The journal protocol, for a receiver that may be killed between any two of its steps. Before
// the store that publishes records in the ring, the receiver notes the stream position after them
// (pending_end) and the ring's producer position that store will set (pending_mark); after it, it
// notes pending_end as delivered. Only the receiver moves the ring's producer position (it is the
// ring's only producer), so its successor knows the store happened exactly when the ring's producer
// position equals pending_mark: then the stream is delivered through pending_end, otherwise
// through `delivered`. pending_mark is written before pending_end, and each batch moves the
// position, so a successor never pairs a new mark with an old end or the reverse.
//   - SPSC rings publish a batch of records with one store of the producer position: the mark is
//     the position after the batch.
//   - MPMC rings publish each message by itself, in the slot of the ticket the receiver claimed:
//     the mark is that ticket + 1 (the producer counter after the claim), and the successor asks
//     the slot whether the message was published or voided by the repair of the dead claim
//     (detail::claim_fate).
//   - Topics publish each message by itself: the mark is the publisher's position after it. A
//     successor that takes the publisher role counts a message its predecessor completed without
//     storing the position (TopicWriter::resume), so the position it finds says.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>

#include "bridge_state.hpp"
#include "shmring/detail/reset_on_move.hpp"
#include "shmring/mpmc_ring.hpp"
#include "shmring/spsc_ring.hpp"
#include "shmring/topic.hpp"
#include "shmring/wait.hpp"
#include "wire.hpp"

namespace shmring::bridge::detail {

using FarProducer = std::variant<SpscProducer, MpmcProducer, TopicPublisher>;

class Delivery {
public:
    // Opens `ring` as its producer, creating it with the sender's geometry when it is missing, and
    // recovers from the journal how far the stream got.
    static Result<Delivery> open(const std::string& ring, const Hello& hello, unsigned mode, DeliveryJournal& journal);

    // Why records of `hello`'s stream cannot go into this ring, or empty when they can.
    std::string incompatibility(const Hello& hello) const;

    // The stream position through which the ring holds the stream.
    std::uint64_t delivered() const noexcept { return delivered_; }
    // The stream position after the last record written, published or not.
    std::uint64_t written_through() const noexcept { return written_end_; }
    std::uint64_t stream() const noexcept;

    // Follows a stream that starts at `start` (a new source, or one the receiver fell behind).
    void restart_stream(std::uint64_t stream, std::uint64_t start) noexcept;

    // Writes a record whose end is past delivered(). again: no room (publish(), then wait);
    // corrupt: the ring is; busy: another producer writes into an MPMC ring.
    Status write(const Record& record) noexcept;

    // Moves the stream past a record that holds nothing to write (an MPMC source's void ticket).
    void skip(const Record& record) noexcept;
    // Publishes what write() wrote (SPSC) through the journal. True when it published records.
    bool publish() noexcept;

    // Waits until a record of `length` bytes fits, or `deadline`. Call publish() first.
    Status wait_for_room(std::size_t length, Deadline deadline) noexcept;

    // Publishes through the journal what was written: left to the producer's own close, it would
    // be published without a mark, and a successor would write it again.
    ~Delivery() { publish(); }
    Delivery(Delivery&&) noexcept = default;
    Delivery& operator=(Delivery&&) = delete;

    std::uint64_t messages() const noexcept { return messages_; }
    std::uint64_t bytes() const noexcept { return bytes_; }
    std::uint32_t max_message() const noexcept;

private:
    Delivery(FarProducer producer, DeliveryJournal& journal) noexcept
        : producer_(std::move(producer)), journal_(&journal) {}
    void recover() noexcept;
    std::uint64_t mark_now() const noexcept;
    void note_pending(std::uint64_t mark, std::uint64_t end) noexcept;
    void note_delivered(std::uint64_t end) noexcept;
    Status write_spsc(SpscProducer& producer, const Record& record) noexcept;
    Status write_mpmc(MpmcProducer& producer, const Record& record) noexcept;
    Status write_topic(TopicPublisher& publisher, const Record& record) noexcept;
    void note_written(const Record& record) noexcept;

    FarProducer producer_;
    DeliveryJournal* journal_;
    std::uint64_t delivered_ = 0;
    std::uint64_t written_end_ = 0;    // SPSC: stream position after the last record written
    shmring::detail::ResetOnMove<std::uint64_t> unpublished_;  // SPSC: records written and not yet published
    std::uint64_t unpublished_bytes_ = 0;
    std::uint64_t messages_ = 0;
    std::uint64_t bytes_ = 0;
};

}  // namespace shmring::bridge::detail
