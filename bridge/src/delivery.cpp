#include "delivery.hpp"

#include <cstring>

#include "shmring/detail/mpmc_repair.hpp"
#include "shmring/detail/mpmc_slots.hpp"
#include "shmring/layout.hpp"
#include "shmring/pipe.hpp"
#include "shmring/queue.hpp"

namespace shmring::bridge::detail {

namespace {

using layout::ChannelKind;
using layout::Engine;

// Creates the far ring with the geometry the sender announced; exists is no failure (another
// receiver of an earlier run, or the user, made it).
Outcome create_like(const std::string& ring, const Hello& hello, unsigned mode) {
    const auto engine = static_cast<Engine>(hello.engine);
    const auto kind = static_cast<ChannelKind>(hello.kind);
    Outcome created = Ok{};
    if (kind == ChannelKind::queue && (engine == Engine::spsc || engine == Engine::mpmc)) {
        QueueConfig config;
        config.max_messages = hello.max_messages;
        config.max_message_size = hello.max_message;
        config.engine = engine;
        config.mode = mode;
        created = create_queue(ring, config);
    } else if (engine == Engine::spsc && kind == ChannelKind::pipe) {
        created = create_pipe(ring, hello.capacity, mode);
    } else if (engine == Engine::spsc && kind == ChannelKind::raw) {
        created = create_spsc_ring(ring, hello.capacity, ChannelKind::raw, mode);
    } else if (engine == Engine::mpmc && kind == ChannelKind::raw) {
        created = create_mpmc_ring(ring, hello.capacity, hello.slot_size, ChannelKind::raw, mode);
    } else if (engine == Engine::topic && hello.policy <= static_cast<std::uint32_t>(layout::TopicPolicy::lossy)) {
        created = create_topic(ring, hello.max_messages, hello.max_message, static_cast<layout::TopicPolicy>(hello.policy), mode);
    } else {
        return Error(Errc::invalid_argument, "ring '" + ring + "': the sender's ring is of an engine and kind a bridge does not carry");
    }
    if (!created && created.error().code() != Errc::exists) return created.error();
    return Ok{};
}

// The producer of the ring's own engine (a queue may be on either).
Result<FarProducer> attach_producer(const std::string& name) {
    EndpointOptions options;
    auto ring = RingSegment::open(name, Access::read_write, {}, options.segment);
    if (!ring) return ring.error();
    if (ring->geometry().engine == Engine::spsc) {
        auto producer = SpscProducer::attach(std::move(*ring), options);
        if (!producer) return producer.error();
        return FarProducer(std::move(*producer));
    }
    if (ring->geometry().engine == Engine::topic) {
        auto publisher = TopicPublisher::attach(std::move(*ring), options);
        if (!publisher) return publisher.error();
        return FarProducer(std::move(*publisher));
    }
    if (ring->geometry().engine != Engine::mpmc) return Error(Errc::wrong_kind, "ring '" + name + "': not a pipe, a queue or a topic");
    auto producer = MpmcProducer::attach(std::move(*ring), options);
    if (!producer) return producer.error();
    return FarProducer(std::move(*producer));
}

}  // namespace

Result<Delivery> Delivery::open(const std::string& ring, const Hello& hello, unsigned mode, DeliveryJournal& journal) {
    if (auto created = create_like(ring, hello, mode); !created) return created.error();
    auto producer = attach_producer(ring);
    if (!producer) return producer.error();
    Delivery delivery(std::move(*producer), journal);
    delivery.recover();
    return delivery;
}

std::string Delivery::incompatibility(const Hello& hello) const {
    const RingGeometry& g = std::visit([](const auto& p) -> const RingGeometry& { return p.ring().geometry(); }, producer_);
    // A queue may continue on the other engine (one producer here, many consumers there); a pipe
    // or a raw ring only on its own.
    const bool queues = g.kind == ChannelKind::queue && hello.kind == static_cast<std::uint32_t>(ChannelKind::queue);
    if (static_cast<std::uint32_t>(g.kind) != hello.kind || (!queues && static_cast<std::uint32_t>(g.engine) != hello.engine))
        return "the far ring is of another kind or engine than the sender's";
    if (g.engine == Engine::topic && static_cast<std::uint32_t>(g.topic_policy) != hello.policy)
        return "the far topic's policy (lossless or lossy) is not the sender's";
    if (hello.max_message > g.max_message)
        return "the far ring's largest message (" + std::to_string(g.max_message) + " bytes) is smaller than the sender's (" +
               std::to_string(hello.max_message) + ")";
    return {};
}

// Acquire, pairs with restart_stream's release: the stream comes with its positions.
std::uint64_t Delivery::stream() const noexcept { return journal_->stream.load(std::memory_order_acquire); }

std::uint32_t Delivery::max_message() const noexcept {
    return std::visit([](const auto& p) { return static_cast<std::uint32_t>(p.max_message()); }, producer_);
}

// Acquire, every journal load here: pairs with the release stores below, which a predecessor made
// before it died (its death, then our lock on the state object, order them before us anyway).
void Delivery::recover() noexcept {
    const RingView& view = std::visit([](const auto& p) -> const RingView& { return p.ring(); }, producer_);
    const std::uint64_t ring = view.header().created_realtime_ns;
    // Acquire and release, as the other journal words: a successor reads them in the order written.
    if (journal_->ring.load(std::memory_order_acquire) != ring) {
        // A journal of another far ring (this one was removed and created again): its positions
        // say nothing here. The stream continues where it was delivered to the old ring.
        journal_->pending_mark.store(~std::uint64_t{0}, std::memory_order_release);
        journal_->ring.store(ring, std::memory_order_release);
    }
    const std::uint64_t mark = journal_->pending_mark.load(std::memory_order_acquire);
    const std::uint64_t end = journal_->pending_end.load(std::memory_order_acquire);
    std::uint64_t delivered = journal_->delivered.load(std::memory_order_acquire);
    if (auto* spsc = std::get_if<SpscProducer>(&producer_)) {
        if (spsc->position() == mark) delivered = end;
    } else if (auto* topic = std::get_if<TopicPublisher>(&producer_)) {
        // Attached: the publisher's position counts a message completed without it ([T4], [T5]).
        if (topic->next_sequence() - 1 == mark) delivered = end;
    } else {
        const MpmcProducer& producer = std::get<MpmcProducer>(producer_);
        const RingSegment& ring = producer.ring();
        // Acquire, pairs with the producers' claim CAS: a claim we count is one that happened.
        const std::uint64_t position = ring.producer().position.load(std::memory_order_acquire);
        if (position == mark && mark != 0) {
            using shmring::detail::ClaimFate;
            const ClaimFate fate = shmring::detail::claim_fate(ring, mark - 1);
            if (fate == ClaimFate::published) delivered = end;
            // The predecessor died holding the claim: void it now, or the consumers stop at it
            // until one of them waits long enough to repair it.
            if (fate == ClaimFate::unpublished) shmring::detail::repair_unpublished(ring, producer.endpoint(), mark - 1);
        }
    }
    note_delivered(delivered);
    written_end_ = delivered;
}

// The ring's position as the journal marks it, with nothing written since.
std::uint64_t Delivery::mark_now() const noexcept {
    return std::visit(
        [](const auto& p) -> std::uint64_t {
            using P = std::decay_t<decltype(p)>;
            if constexpr (std::is_same_v<P, SpscProducer>) return p.position();
            else if constexpr (std::is_same_v<P, TopicPublisher>) return p.next_sequence() - 1;
            // Acquire, as in recover: our own last claim.
            else return p.ring().producer().position.load(std::memory_order_acquire);
        },
        producer_);
}

void Delivery::restart_stream(std::uint64_t stream, std::uint64_t start) noexcept {
    const std::uint64_t mark = mark_now();
    // Release, all three: a successor that reads the new stream reads its positions.
    journal_->delivered.store(start, std::memory_order_release);
    journal_->pending_end.store(start, std::memory_order_release);
    journal_->pending_mark.store(mark, std::memory_order_release);
    journal_->stream.store(stream, std::memory_order_release);
    delivered_ = start;
    written_end_ = start;
}

// Release, both: the mark is visible before the end, and both before the store that publishes the
// records (itself a release store, later in program order).
void Delivery::note_pending(std::uint64_t mark, std::uint64_t end) noexcept {
    journal_->pending_mark.store(mark, std::memory_order_release);
    journal_->pending_end.store(end, std::memory_order_release);
}

// Release: the publishing store before it is visible first, so `delivered` never runs ahead of the ring.
void Delivery::note_delivered(std::uint64_t end) noexcept {
    journal_->delivered.store(end, std::memory_order_release);
    delivered_ = end;
}

Status Delivery::write(const Record& record) noexcept {
    return std::visit(
        [&](auto& producer) {
            using P = std::decay_t<decltype(producer)>;
            if constexpr (std::is_same_v<P, SpscProducer>) return write_spsc(producer, record);
            else if constexpr (std::is_same_v<P, TopicPublisher>) return write_topic(producer, record);
            else return write_mpmc(producer, record);
        },
        producer_);
}

Status Delivery::write_spsc(SpscProducer& producer, const Record& record) noexcept {
    const Loan loan = producer.try_claim(record.payload.size());
    if (loan.status != Status::ok) return loan.status;
    if (!record.payload.empty()) std::memcpy(loan.data.data(), record.payload.data(), record.payload.size());
    producer.commit(record.payload.size(), record.type, Flush::later);
    written_end_ = record.end;
    unpublished_ = unpublished_ + 1;
    unpublished_bytes_ += record.payload.size();
    return Status::ok;
}

Status Delivery::write_mpmc(MpmcProducer& producer, const Record& record) noexcept {
    // Acquire, pairs with the producers' claim CAS. As the only producer, ours takes this ticket.
    const std::uint64_t ticket = producer.ring().producer().position.load(std::memory_order_acquire);
    note_pending(ticket + 1, record.end);
    const Loan loan = producer.try_claim(record.payload.size());
    if (loan.status != Status::ok) return loan.status;
    // Relaxed: our own claim record, written by this thread.
    if (producer.endpoint().entry().claim.load(std::memory_order_relaxed) != ticket + 1) {
        producer.abort();  // another producer took our ticket: the journal cannot speak for this ring
        return Status::busy;
    }
    if (!record.payload.empty()) std::memcpy(loan.data.data(), record.payload.data(), record.payload.size());
    producer.commit(record.payload.size());
    note_written(record);
    return Status::ok;
}

Status Delivery::write_topic(TopicPublisher& publisher, const Record& record) noexcept {
    note_pending(publisher.next_sequence(), record.end);  // the position after this message
    const Status status = publisher.try_send(record.payload);
    if (status != Status::ok) return status;
    note_written(record);
    return Status::ok;
}

// A message published by itself (MPMC, topics): delivered at once.
void Delivery::note_written(const Record& record) noexcept {
    note_delivered(record.end);
    written_end_ = record.end;
    ++messages_;
    bytes_ += record.payload.size();
}

// An SPSC batch being written carries the skip to its publish(), whose journal end covers it.
// Otherwise the journal notes it at once, marked with the ring as it stands: a successor that
// finds the ring there counts the skip delivered, and one that does not (a later store) knows
// more, so no record is written twice; a skip lost with a crash is only sent again.
void Delivery::skip(const Record& record) noexcept {
    written_end_ = record.end;
    if (std::holds_alternative<SpscProducer>(producer_) && unpublished_ != 0) return;
    note_pending(mark_now(), record.end);
    note_delivered(record.end);
}

bool Delivery::publish() noexcept {
    auto* spsc = std::get_if<SpscProducer>(&producer_);
    if (spsc == nullptr || unpublished_ == 0) return false;
    note_pending(spsc->committed_through(), written_end_);
    spsc->flush();
    note_delivered(written_end_);
    messages_ += unpublished_;
    bytes_ += unpublished_bytes_;
    unpublished_ = 0;
    unpublished_bytes_ = 0;
    return true;
}

Status Delivery::wait_for_room(std::size_t length, Deadline deadline) noexcept {
    return std::visit(
        [&](auto& producer) {
            const auto room = [&] {
                if constexpr (std::is_same_v<std::decay_t<decltype(producer)>, TopicPublisher>) return producer.has_room();
                else return producer.has_room(length);
            };
            return producer.wait_for_room(deadline, [&] { return room() ? Status::ok : Status::again; });
        },
        producer_);
}

}  // namespace shmring::bridge::detail
