#include "shmring/pipe.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>

#include "shmring/detail/poll_helper.hpp"

namespace shmring {

namespace {

using layout::ChannelKind;

// The other side's role word and its take counter, seen from `role`.
SharedAtomic<std::uint64_t>& peer_word(const RingSegment& ring, PipeRole role) {
    auto& control = ring.control();
    return role == PipeRole::writer ? control.consumer_role : control.producer_role;
}
SharedAtomic<std::uint32_t>& peer_takes(const RingSegment& ring, PipeRole role) {
    auto& control = ring.control();
    return role == PipeRole::writer ? control.consumer_takes : control.producer_takes;
}

// Values of Pipe::Impl::session_peer_ besides a peer's role word.
constexpr std::uint64_t kNoPeerYet = 0;
constexpr std::uint64_t kPeerGone = ~std::uint64_t{0};  // the session's peer has gone

}  // namespace

Outcome create_pipe(std::string_view name, std::uint64_t capacity_bytes, unsigned mode, const SegmentOptions& options) {
    if (capacity_bytes < layout::kMinSpscCapacity || capacity_bytes > layout::kMaxSpscCapacity)
        return Error(Errc::invalid_argument, "pipe '" + std::string(name) + "': capacity must be 64 bytes to 1 GiB");
    return create_spsc_ring(name, std::bit_ceil(capacity_bytes), ChannelKind::pipe, mode, options);
}

class Pipe::Impl {
public:
    Impl(std::variant<SpscProducer, SpscConsumer> side, std::uint64_t read_position);
    ~Impl() { poll_.reset(); }  // the helper reads the ring that side_ keeps mapped: stop it first

    IoResult write(std::span<const std::byte> data, Blocking blocking, Deadline deadline) noexcept;
    IoResult read(std::span<std::byte> buffer, Blocking blocking, Deadline deadline) noexcept;
    Result<int> poll_fd();
    void set_wait(WaitStrategy strategy) noexcept;
    PipeRole role() const noexcept { return std::holds_alternative<SpscProducer>(side_) ? PipeRole::writer : PipeRole::reader; }
    const RingSegment& ring() const noexcept;

private:
    // Sessions, as with a FIFO: each handle's session has one peer, the first live endpoint it sees
    // holding the other role (its role word, unique by generation). The session is over once that
    // peer's role word is gone (closed) or its holder is dead; a live peer that comes later starts
    // the next one. Until a first peer comes, nothing is over: a writer fills the ring and a reader
    // waits. A reader that opens to bytes whose writer has already left belongs to that writer's
    // session: it reads them, then end of file. So does a side whose peer came and left before
    // this side looked at the role word.
    // `thorough` tests a held role's lease; otherwise one load of the role word decides.
    bool session_over(bool thorough) noexcept;
    // session_over, with the lease test only when one is due (every probe_interval / 5).
    bool peer_gone(bool thorough) noexcept;
    std::size_t drain(std::span<std::byte> buffer, Status& status) noexcept;
    void rearm_poll() noexcept;

    std::variant<SpscProducer, SpscConsumer> side_;
    std::uint64_t resume_position_;  // reader: a predecessor's read_position, until the first record is read
    std::uint64_t partial_offset_ = 0;  // reader: bytes of the current record already returned
    std::uint64_t record_position_ = 0; // reader: position of the current record
    std::size_t chunk_;             // writer: largest record; a quarter of the ring, so reader and writer overlap
    Deadline next_peer_check_{};
    // The session's peer: kNoPeerYet, its role word, or kPeerGone. Atomic: the poll helper
    // thread reads and adopts it too. Relaxed: it only names a word; the role word's own acquire
    // load orders what the peer wrote.
    std::atomic<std::uint64_t> session_peer_{kNoPeerYet};
    std::uint32_t peer_takes_at_open_ = 0;  // the other side's take counter when we attached
    std::unique_ptr<detail::PollHelper> poll_;
};

Result<Pipe> Pipe::open(std::string_view name, PipeRole role, const EndpointOptions& options) {
    auto ring = RingSegment::open(name, Access::read_write, {layout::Engine::spsc, ChannelKind::pipe}, options.segment);
    if (!ring) return ring.error();
    AttachOptions attach{options.wait, options.segment};
    if (role == PipeRole::writer) {
        auto producer = SpscProducer::attach(std::move(*ring), attach);
        if (!producer) return producer.error();
        return Pipe(std::make_unique<Impl>(std::move(*producer), 0));
    }
    auto consumer = SpscConsumer::attach(std::move(*ring), attach);
    if (!consumer) return consumer.error();
    // Relaxed: written only by readers, the last of which gave the role back with a release that our
    // role acquisition acquired (a reader that died instead may have left a stale value: checked).
    const std::uint64_t resume = consumer->ring().consumer().read_position.load(std::memory_order_relaxed);
    return Pipe(std::make_unique<Impl>(std::move(*consumer), resume));
}

Pipe::Pipe(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pipe::Pipe(Pipe&&) noexcept = default;
Pipe& Pipe::operator=(Pipe&&) noexcept = default;
Pipe::~Pipe() = default;

IoResult Pipe::write(std::span<const std::byte> data, Blocking blocking, Deadline deadline) noexcept {
    return impl_->write(data, blocking, deadline);
}
IoResult Pipe::read(std::span<std::byte> buffer, Blocking blocking, Deadline deadline) noexcept {
    return impl_->read(buffer, blocking, deadline);
}
Result<int> Pipe::poll_fd() { return impl_->poll_fd(); }
void Pipe::set_wait(WaitStrategy strategy) noexcept { impl_->set_wait(strategy); }
PipeRole Pipe::role() const noexcept { return impl_->role(); }
const RingSegment& Pipe::ring() const noexcept { return impl_->ring(); }

Pipe::Impl::Impl(std::variant<SpscProducer, SpscConsumer> side, std::uint64_t read_position)
    : side_(std::move(side)), resume_position_(read_position) {
    const auto& g = ring().geometry();
    chunk_ = std::max<std::size_t>(1, std::min<std::size_t>(g.max_message, g.capacity / 4));
    // [A4] acquire, pairs with [R4] in Endpoint::take_role: read before the role word, so that a
    // peer that takes the role after this load is counted, and one that took it before shows in
    // the word below (or has left).
    peer_takes_at_open_ = peer_takes(ring(), role()).load(std::memory_order_acquire);
    if (role() == PipeRole::reader) {
        // Acquire, pairs with the release that gave the writer's role back: its last records are
        // visible to the look at the positions below.
        const std::uint64_t writer = peer_word(ring(), role()).load(std::memory_order_acquire);
        const bool writer_gone = writer == 0 || role_holder_presence(ring(), writer) != Presence::alive;
        // Acquire, as [A1]: the records up to the producer's position are written. Relaxed: the
        // consumer position is ours, moved by nobody else while we hold the role.
        const bool unread = ring().producer().position.load(std::memory_order_acquire) !=
                            ring().consumer().position.load(std::memory_order_relaxed);
        if (writer_gone && unread) session_peer_.store(kPeerGone, std::memory_order_relaxed);
    }
    session_over(true);  // adopts a live peer already there
}

const RingSegment& Pipe::Impl::ring() const noexcept {
    return std::visit([](const auto& side) -> const RingSegment& { return side.ring(); }, side_);
}

void Pipe::Impl::set_wait(WaitStrategy strategy) noexcept {
    std::visit([&](auto& side) { side.endpoint().set_wait_strategy(strategy); }, side_);
}

bool Pipe::Impl::session_over(bool thorough) noexcept {
    std::uint64_t peer = session_peer_.load(std::memory_order_relaxed);
    // Acquire, pairs with the release that gave the role back (Endpoint::detach): what the peer
    // published before leaving (the writer's last records) is visible to our next look at the ring.
    const std::uint64_t word = peer_word(ring(), role()).load(std::memory_order_acquire);
    if (peer != kNoPeerYet && peer != kPeerGone) {
        if (word == peer && !(thorough && role_holder_presence(ring(), word) != Presence::alive)) return false;
        session_peer_.store(kPeerGone, std::memory_order_relaxed);  // our peer has gone
        peer = kPeerGone;
    }
    // No peer of ours here: a live one that is (not a dead holder of an earlier session) starts a
    // new session, as a FIFO that a new writer or reader opens.
    if (word != 0 && role_holder_presence(ring(), word) == Presence::alive) {
        session_peer_.compare_exchange_strong(peer, word, std::memory_order_relaxed);
        return false;
    }
    if (peer == kPeerGone) return true;
    // Waiting for a first peer. One came and went unseen if the role was taken since we attached
    // ([A4] acquire, pairs with [R4]); one that took it and is still here shows in the word now.
    if (peer_takes(ring(), role()).load(std::memory_order_acquire) == peer_takes_at_open_) return false;
    const std::uint64_t newcomer = peer_word(ring(), role()).load(std::memory_order_acquire);
    if (newcomer != 0 && role_holder_presence(ring(), newcomer) == Presence::alive) {
        session_peer_.compare_exchange_strong(peer, newcomer, std::memory_order_relaxed);
        return false;
    }
    session_peer_.store(kPeerGone, std::memory_order_relaxed);
    return true;
}

bool Pipe::Impl::peer_gone(bool thorough) noexcept {
    if (!thorough) {
        const Deadline now = Clock::now();
        const auto interval = std::visit([](auto& side) { return side.endpoint().tuning().probe_interval; }, side_) / 5;
        thorough = now >= next_peer_check_;
        if (thorough) next_peer_check_ = now + interval;
    }
    return session_over(thorough);
}

IoResult Pipe::Impl::write(std::span<const std::byte> data, Blocking blocking, Deadline deadline) noexcept {
    auto* producer = std::get_if<SpscProducer>(&side_);
    if (producer == nullptr) return {Status::wrong_role, 0};
    if (session_over(false)) return {Status::peer_gone, 0};
    std::size_t written = 0;
    while (written < data.size()) {
        Claim claim{Status::again, {}};
        const auto attempt = [&] {
            claim = producer->try_claim_up_to(std::min(data.size() - written, chunk_));
            // A reader that closes gives its role back, then wakes us. The wait loop probes the
            // peer only before it re-arms, so a wake-up landing between probe and sleep would be
            // noticed a probe interval late: look at the role word (one load) on every failed try.
            if (claim.status == Status::again && session_over(false)) return Status::peer_gone;
            return claim.status;
        };
        Status status = attempt();
        if (status == Status::again) {
            if (blocking == Blocking::no) {
                if (written == 0 && peer_gone(false)) return {Status::peer_gone, 0};
                if (written == 0) rearm_poll();
                break;
            }
            status = producer->wait_for_room(deadline, attempt, [&] { return peer_gone(true) ? Status::peer_gone : Status::ok; });
        }
        if (status != Status::ok) return {written > 0 ? Status::ok : status, written};
        std::memcpy(claim.data.data(), data.data() + written, claim.data.size());
        producer->commit();
        written += claim.data.size();
    }
    return {written > 0 || data.empty() ? Status::ok : Status::again, written};
}

std::size_t Pipe::Impl::drain(std::span<std::byte> buffer, Status& status) noexcept {
    auto& consumer = std::get<SpscConsumer>(side_);
    std::size_t copied = 0;
    status = Status::ok;
    while (copied < buffer.size()) {
        const Record record = consumer.try_peek();
        if (record.status != Status::ok) {
            if (record.status != Status::again) status = record.status;
            break;
        }
        // Half-way through a record, the next peek must return that record again, at least as long
        // as what was already read: anything else was written by someone else, and a length below
        // partial_offset_ would send the copy below past the record.
        if (partial_offset_ != 0 && (record.position != record_position_ || record.data.size() <= partial_offset_)) {
            consumer.ring().mark_corrupt();
            status = Status::corrupt;
            break;
        }
        if (resume_position_ != 0) {
            // A predecessor stopped inside this record if its read position falls within the
            // payload; any other value is stale (it died before storing it) and means "from the start".
            const std::uint64_t payload = record.position + sizeof(layout::RecordHeader);
            const std::uint64_t into = resume_position_ - payload;
            partial_offset_ = into < record.data.size() ? into : 0;
            resume_position_ = 0;
        }
        record_position_ = record.position;
        const std::size_t take = std::min(record.data.size() - partial_offset_, buffer.size() - copied);
        std::memcpy(buffer.data() + copied, record.data.data() + partial_offset_, take);
        copied += take;
        partial_offset_ += take;
        if (partial_offset_ < record.data.size()) break;  // the buffer is full mid-record
        partial_offset_ = 0;
        consumer.release(Publish::later);
    }
    consumer.publish();
    // Relaxed: read by the next reader only after it acquires the role we give back with a release.
    const std::uint64_t read_position = partial_offset_ == 0 ? 0 : record_position_ + sizeof(layout::RecordHeader) + partial_offset_;
    consumer.ring().consumer().read_position.store(read_position, std::memory_order_relaxed);
    return copied;
}

IoResult Pipe::Impl::read(std::span<std::byte> buffer, Blocking blocking, Deadline deadline) noexcept {
    auto* consumer = std::get_if<SpscConsumer>(&side_);
    if (consumer == nullptr) return {Status::wrong_role, 0};
    if (buffer.empty()) return {Status::ok, 0};
    Status status = Status::ok;
    std::size_t copied = drain(buffer, status);
    if (copied > 0 || status != Status::ok) return {copied > 0 ? Status::ok : status, copied};
    // Empty. If the writer has left, anything it published before leaving is visible now (the
    // acquire in session_over), so one more look decides between data and end of file.
    const auto drained_after_peer_left = [&](bool thorough) {
        if (!peer_gone(thorough)) return false;
        copied = drain(buffer, status);
        return true;
    };
    if (drained_after_peer_left(false)) return {copied > 0 ? Status::ok : status, copied};
    if (blocking == Blocking::no) {
        rearm_poll();
        return {Status::again, 0};
    }
    const Status waited = consumer->wait_for_data(
        deadline,
        [&] {
            copied = drain(buffer, status);
            if (copied > 0 || status != Status::ok) return copied > 0 ? Status::ok : status;
            // As in write: a writer that closes wakes us after giving its role back, so every empty
            // try looks at the role word, and then once more at the ring.
            if (!session_over(false)) return Status::again;
            copied = drain(buffer, status);
            return Status::peer_gone;
        },
        [&] { return drained_after_peer_left(true) ? Status::peer_gone : Status::ok; });
    if (waited == Status::peer_gone) return {copied > 0 ? Status::ok : status, copied};  // data, or end of file
    return {waited, copied};
}

Result<int> Pipe::Impl::poll_fd() {
    if (poll_) return poll_->fd();
    const RingSegment& r = ring();
    const PipeRole my_role = role();
    const std::uint64_t capacity = r.geometry().capacity;
    auto ready = [this, &r, my_role, capacity] {
        // Racy looks at both positions: the helper only decides when to signal, never moves data.
        const std::uint64_t produced = r.producer().position.load(std::memory_order_acquire);
        const std::uint64_t consumed = r.consumer().position.load(std::memory_order_acquire);
        const bool progress = my_role == PipeRole::reader ? produced != consumed
                                                          : spsc_room(capacity, produced, consumed).payload != 0;
        return progress || session_over(false);
    };
    auto peer_check = [this] { return session_over(true); };
    const WaitTuning tuning = std::visit([](auto& side) { return side.endpoint().tuning(); }, side_);
    auto& event = my_role == PipeRole::reader ? r.data_event() : r.space_event();
    const std::uint32_t index = std::visit([](auto& side) { return side.endpoint().index(); }, side_);
    auto helper = detail::PollHelper::start(event, r.control().light_publishers, index, ready, peer_check, tuning);
    if (!helper) return helper.error();
    poll_ = std::move(*helper);
    return poll_->fd();
}

void Pipe::Impl::rearm_poll() noexcept {
    if (poll_) poll_->rearm();
}

}  // namespace shmring
