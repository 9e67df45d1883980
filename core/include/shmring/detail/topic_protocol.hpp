// Internal. The topic protocol over a RingView: what the publisher and the subscribers do to the
// slots and positions of a publish-subscribe topic (no counters or wake-ups: topic.hpp adds
// those). The gating handshake is model-checked by verify/topic_gate.pml (verify/run.sh).
//
// One publisher writes message p (p = 0, 1, 2, ...; its sequence number is p + 1) into slot
// p & mask, every subscriber reads it from there: nothing is copied per subscriber. The slot's
// stamp (layout.hpp, kTopic stamps) says which message it holds and whether it is complete, so a
// subscriber polls the slot at its own cursor, never a position that the publisher rewrites per
// message, and a subscriber that copies a message can tell afterwards whether it was overwritten
// meanwhile (a seqlock per slot).
//
// Publishing message p:
//   [T1] stamp := writing(p), release    [T2] release fence: T1 before the payload's bytes
//   [T3] payload and length              [T4] stamp := complete(p), release
//   [T5] ProducerBlock::position := p + 1, release (for joiners, the tool and a successor)
//
// Lossless topics hold the publisher back: message p overwrites message p - slots, so it may be
// written only once every gating subscriber's cursor is past p - bound (bound: the capacity asked
// for, at most the slot count). The publisher keeps a local limit, `used`, and writes at once
// while p < used. At the limit it makes a round:
//   [G1] scan: the gating mask, then each gating subscriber's cursor -> the slowest cursor m1
//        (none: m1 = p - bound + keep, so that at least `keep` messages stay for late joiners)
//   [G2] announce X = max(limit, m1 + bound) in ProducerBlock::limit, release. Never lowered.
//   [G3] seq_cst fence
//   [G4] scan again -> m2; used = min(X, m2 + bound) (no subscriber: X)
// A subscriber joins with:
//   [J1] cursor := where it starts    [J2] set its gating bit    [J3] seq_cst fence
//   [J4] L = limit; cursor := max(cursor, L - bound)
//   [J5] wake the publisher: a round that saw the start before the raise may wait for it
// Either the publisher's [G4] sees the joiner (and waits for its cursor), or the joiner's [J4]
// sees an announcement at least as high as the limit the publisher uses, and starts above what
// that limit lets the publisher overwrite. This is why the announcement never goes down: a lower
// later one would let a joiner start below messages an earlier round allowed to be overwritten.
// A subscriber reads message c when the stamp of its slot says complete(c) ([S1] acquire, pairs
// with [T4]) and then stores cursor := c + 1 ([S6] release, pairs with the acquire loads of [G1]
// and [G4]: the publisher overwrites only slots whose readers are done). A holding reader (a
// bridge, TopicReader::hold) stores the cursor later, through confirm_through, once its far side
// holds the messages: to the publisher it is a slow subscriber. Leaving clears the
// gating bit; the entry of a dead subscriber is ungated by whoever reclaims it, under its lease
// (topic_ungate, called by the endpoint registry), so never after its next owner joined.
//
// Lossy topics never hold the publisher back. A subscriber that copies a message checks the stamp
// again after the copy ([S4] acquire fence, [S5] re-read): changed, the copy may be torn and the
// message counts as lost. A stamp ahead of the cursor means the subscriber was lapped: it resumes
// at the oldest message still there and counts what it skipped.
//
// A publisher that takes over from a dead one resumes after the last complete message: the dead
// one may have completed messages ([T4]) without storing the position ([T5]).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "shmring/detail/mpmc_slots.hpp"
#include "shmring/detail/reset_on_move.hpp"
#include "shmring/detail/stamped_copy.hpp"
#include "shmring/layout.hpp"
#include "shmring/loan.hpp"
#include "shmring/ring_view.hpp"


namespace shmring::detail {

// Signed distance of `stamp` from the stamp of message `position` complete: 0 it is there, below 0
// an earlier message (or this one still being written), above 0 a later one. Stamps run at twice
// the positions, so the difference is exact while the two positions are less than 2^62 apart.
constexpr std::int64_t topic_stamp_lag(std::uint64_t stamp, std::uint64_t position) noexcept {
    return static_cast<std::int64_t>(stamp - layout::topic_stamp_complete(position));
}

// Whether position a is before b, modulo 2^64.
constexpr bool topic_before(std::uint64_t a, std::uint64_t b) noexcept { return static_cast<std::int64_t>(a - b) < 0; }

// How many messages a lossless topic may hold back: its capacity as asked (SegmentHeader::max_messages).
inline std::uint64_t topic_bound(const RingView& ring) noexcept { return ring.geometry().max_messages; }
inline bool topic_lossless(const RingView& ring) noexcept {
    return ring.geometry().topic_policy == layout::TopicPolicy::lossless;
}

// Ungates subscriber `index`: it holds a lossless publisher back no more. Called when it leaves,
// and by whoever takes its entry (under the entry's lease). True when the bit was set: then a
// waiting publisher must be woken to scan again. [Q1] release: the wake's [N1] release and the
// sleeper's [W2] acquire order it before the publisher's next scan.
inline bool topic_ungate(const RingView& ring, std::uint32_t index) noexcept {
    const std::uint64_t bit = std::uint64_t{1} << index;
    return (ring.consumer().gating.fetch_and(~bit, std::memory_order_release) & bit) != 0;
}

// How far behind `position` the slowest gating subscriber is, or nothing when none gates. Reads
// the mask, then the cursors ([G1], [G4]). A cursor ahead of the publisher is garbage or a stale
// look: it counts as caught up. One far behind may be a joiner between [J1] and [J4], which
// raises it soon: it only makes the publisher wait.
inline std::optional<std::uint64_t> topic_slowest_lag(const RingView& ring, std::uint64_t position) noexcept {
    // Acquire, pairs with [J2]: the cursor stored by [J1] before the bit is seen with it.
    std::uint64_t mask = ring.consumer().gating.load(std::memory_order_acquire);
    std::optional<std::uint64_t> slowest;
    while (mask != 0) {
        const auto index = static_cast<std::uint32_t>(__builtin_ctzll(mask));
        mask &= mask - 1;
        // A bit without an attached subscriber's entry is garbage or a dead subscriber being
        // reclaimed: a subscriber is attached before it sets its bit ([R3] in Endpoint::attach,
        // then [J2]) and clears it before it detaches. Acquire, as [A3] there.
        const auto& entry = ring.endpoint(index);
        const auto state = entry.state.load(std::memory_order_acquire);
        // Relaxed: ordered by the acquire of the state, which [R3] published it with.
        const auto role = static_cast<layout::EndpointRole>(entry.role.load(std::memory_order_relaxed));
        if (layout::endpoint_status(state) != layout::EndpointStatus::attached || role != layout::EndpointRole::consumer) continue;
        // Acquire, pairs with [S6]: the subscriber finished reading every message below its cursor.
        const std::uint64_t cursor = entry.cursor.load(std::memory_order_acquire);
        const std::uint64_t lag = topic_before(position, cursor) ? 0 : position - cursor;
        slowest = std::max(slowest.value_or(0), lag);
    }
    return slowest;
}

// A racy look, from any thread, at whether a lossless publisher at `position` would find room
// (poll helpers). Lossy publishers always do.
inline bool topic_has_room(const RingView& ring, std::uint64_t position) noexcept {
    if (!topic_lossless(ring)) return true;
    const auto lag = topic_slowest_lag(ring, position);
    return !lag || *lag < topic_bound(ring);
}

// The publisher's side.
class TopicWriter {
public:
    explicit TopicWriter(const RingView& ring) noexcept : ring_(ring) {}

    // Takes the topic over where the previous publisher left it: after the last complete message,
    // with the announced limit as it stands. corrupt: the positions contradict each other.
    Status resume() noexcept {
        const std::uint64_t slots = ring_.geometry().capacity;
        // Acquire, pairs with [T5]: the messages below it are complete.
        std::uint64_t next = ring_.producer().position.load(std::memory_order_acquire);
        // A predecessor that died between [T4] and [T5] completed messages nobody announced.
        // Acquire, pairs with [T4].
        for (std::uint64_t i = 0; i < slots && slot_at(ring_, next).sequence.load(std::memory_order_acquire) ==
                                                   layout::topic_stamp_complete(next);
             ++i)
            ++next;
        // Every message below the position is complete: the last one is still in its slot (or,
        // with one slot, the message after it is being written there).
        if (next != 0) {
            // Relaxed: a check of a number only.
            const std::uint64_t stamp = slot_at(ring_, next - 1).sequence.load(std::memory_order_relaxed);
            if (stamp != layout::topic_stamp_complete(next - 1) && !(slots == 1 && stamp == layout::topic_stamp_writing(next)))
                return fail_corrupt();
        }
        // Acquire: the announcement, as a joiner would see it.
        announced_ = ring_.producer().limit.load(std::memory_order_acquire);
        if (topic_lossless(ring_)) {
            const auto ahead = static_cast<std::int64_t>(announced_ - next);
            // A fresh topic announces 0; afterwards the announcement covers every message written.
            const bool fresh = announced_ == 0 && next == 0;
            if (!fresh && (ahead < 0 || static_cast<std::uint64_t>(ahead) > topic_bound(ring_))) return fail_corrupt();
        }
        next_ = next;
        used_ = next;  // the first message makes a round
        // [T5] for the messages found complete. Release, as [T5].
        ring_.producer().position.store(next_, std::memory_order_release);
        return Status::ok;
    }

    std::size_t max_message() const noexcept { return ring_.geometry().slot_size; }
    // The position of the next message: its sequence number is this plus one.
    std::uint64_t position() const noexcept { return next_; }

    // Lends the slot of the next message. again: a lossless topic's slowest subscriber is a
    // capacity behind; busy: a loan is open already.
    Loan try_claim() noexcept {
        if (const Status status = begin(); status != Status::ok) return {status, {}};
        open_ = true;
        return {Status::ok, {payload_at(ring_, next_), max_message()}};
    }

    // Publishes the loaned slot holding its first `length` bytes. Returns the bytes published, or
    // nothing when no loan is open.
    std::optional<std::uint32_t> commit(std::size_t length) noexcept {
        if (!open_) return std::nullopt;
        open_ = false;
        const auto committed = static_cast<std::uint32_t>(std::min(length, max_message()));
        finish(committed);
        return committed;
    }

    // Gives the loan up: the slot keeps its writing stamp, which subscribers wait behind, and the
    // next message is written there again. True when a loan was open.
    bool abort() noexcept {
        const bool was_open = open_;
        open_ = false;
        return was_open;
    }

    // try_claim, a copy of `message` (at most max_message() bytes) and commit in one step.
    Status try_send(std::span<const std::byte> message) noexcept {
        if (const Status status = begin(); status != Status::ok) return status;
        if (!message.empty()) std::memcpy(payload_at(ring_, next_), message.data(), message.size());
        finish(static_cast<std::uint32_t>(message.size()));
        return Status::ok;
    }

private:
    bool has_room() noexcept { return !topic_lossless(ring_) || topic_before(next_, used_) || round(); }

    // [G1]..[G4]: a new local limit; true when it lets the next message through.
    bool round() noexcept {
        const std::uint64_t bound = topic_bound(ring_);
        const std::uint64_t keep = std::max<std::uint64_t>(1, bound / 2);
        const auto first = topic_slowest_lag(ring_, next_);                    // [G1]
        const std::uint64_t wanted = first ? next_ - *first + bound : next_ + keep;
        if (topic_before(announced_, wanted)) announced_ = wanted;
        // [G2] release, pairs with the joiner's acquire at [J4]: the position stored by [T5] before
        // it is seen with it (a joiner checks that the announcement is not past it).
        ring_.producer().limit.store(announced_, std::memory_order_release);
        std::atomic_thread_fence(std::memory_order_seq_cst);                   // [G3], pairs with [J3]
        const auto second = topic_slowest_lag(ring_, next_);                   // [G4]
        used_ = announced_;
        if (second && topic_before(next_ - *second + bound, used_)) used_ = next_ - *second + bound;
        return topic_before(next_, used_);
    }

    // Starts writing the next message, if no loan is open (busy) and it may be written now (again).
    Status begin() noexcept {
        if (open_) return Status::busy;
        if (!has_room()) return Status::again;
        // [T1] release: a subscriber that sees this stamp also sees the position stored by the
        // previous [T5] (it resumes from there when lapped).
        slot_at(ring_, next_).sequence.store(layout::topic_stamp_writing(next_), std::memory_order_release);
        // [T2], pairs with [S4]: a subscriber that read any byte written after this sees [T1] at [S5].
        std::atomic_thread_fence(std::memory_order_release);
        return Status::ok;
    }

    void finish(std::uint32_t length) noexcept {
        auto& slot = slot_at(ring_, next_);
        // Relaxed: published by [T4].
        slot.length.store(length, std::memory_order_relaxed);
        // [T4] release, pairs with [S1]: the payload and length are written.
        slot.sequence.store(layout::topic_stamp_complete(next_), std::memory_order_release);
        ++next_;
        // [T5] release, pairs with the acquire loads of joiners, of a lapped subscriber and of a
        // successor's resume: every message below is complete.
        ring_.producer().position.store(next_, std::memory_order_release);
    }

    Status fail_corrupt() noexcept {
        ring_.mark_corrupt();
        return Status::corrupt;
    }

    RingView ring_;
    std::uint64_t next_ = 0;       // position of the next message
    std::uint64_t used_ = 0;       // lossless: messages below it may be written without a round
    std::uint64_t announced_ = 0;  // lossless: the highest limit announced ([G2])
    ResetOnMove<bool> open_;       // a moved-from writer has no loan open
};

// Where a new subscriber starts.
enum class TopicStart { next, oldest };

// Whether message `position` is complete in its slot or overwritten by a later one: a racy look
// for the poll helper of a reader whose reading position is not its cursor (custody).
inline bool topic_message_ready(const RingView& ring, std::uint64_t position) noexcept {
    // Acquire, as [S1].
    return topic_stamp_lag(slot_at(ring, position).sequence.load(std::memory_order_acquire), position) >= 0;
}

// A subscriber's side. `cursor` and `lost` are its registry entry's words; `bit` its gating bit.
class TopicReader {
public:
    TopicReader(const RingView& ring, SharedAtomic<std::uint64_t>& cursor, SharedAtomic<std::uint64_t>& lost, std::uint64_t bit) noexcept
        : ring_(ring), cursor_(&cursor), lost_(&lost), bit_(bit) {}

    std::size_t max_message() const noexcept { return ring_.geometry().slot_size; }
    std::uint64_t position() const noexcept { return next_; }
    std::uint64_t lost() const noexcept { return lost_count_; }

    // Starts reading at the next message published, or at the oldest one still there. corrupt:
    // the announced limit is past the publisher's position.
    Status join(TopicStart start) noexcept {
        // Acquire, pairs with [T5]: messages below it are complete.
        const std::uint64_t published = ring_.producer().position.load(std::memory_order_acquire);
        const std::uint64_t slots = ring_.geometry().capacity;
        const bool lossless = topic_lossless(ring_);
        // Lossless: the raise at [J4] moves an oldest start up to what the publisher still keeps.
        // Lossy: the slot of `published - slots` may be being overwritten.
        const std::uint64_t back = lossless ? topic_bound(ring_) : slots - 1;
        std::uint64_t first = published;
        if (start == TopicStart::oldest) first = published > back ? published - back : 0;
        next_ = first;
        held_ = first;
        lost_count_ = 0;
        lost_->store(0, std::memory_order_relaxed);  // relaxed: statistics
        // [J1] relaxed: published to the publisher by [J2].
        cursor_->store(first, std::memory_order_relaxed);
        if (!lossless) return Status::ok;
        // [J2] release, pairs with the publisher's acquire of the mask in [G1]/[G4].
        ring_.consumer().gating.fetch_or(bit_, std::memory_order_release);
        std::atomic_thread_fence(std::memory_order_seq_cst);  // [J3], pairs with [G3]
        // [J4] acquire, pairs with [G2]: the position stored before the announcement comes with it.
        const std::uint64_t announced = ring_.producer().limit.load(std::memory_order_acquire);
        const std::uint64_t kept_from = announced - topic_bound(ring_);
        // Acquire, as above.
        const std::uint64_t now = ring_.producer().position.load(std::memory_order_acquire);
        // A publisher announces before it writes: the position never passes the announcement
        // (read first, so a later position read is no earlier than the one it rested on), and
        // the announcement is at most a capacity past the position.
        const bool consistent = announced == 0 ? published == 0 : !topic_before(announced, published) && !topic_before(now, kept_from);
        if (!consistent) {
            leave();
            return fail_corrupt();
        }
        if (announced != 0 && topic_before(first, kept_from)) {
            next_ = kept_from;
            held_ = kept_from;
            // Release, as [S6]: the publisher reads it in its next round.
            cursor_->store(kept_from, std::memory_order_release);
        }
        return Status::ok;
    }

    // Custody, for a forwarder (the bridge) that must not let a lossless publisher overwrite a
    // message before its far side holds it: after hold(), reading no longer moves the cursor that
    // holds the publisher back; confirm_through does. seek() moves the reading position anywhere
    // from the confirmed one to the publisher's. In a lossy topic nothing holds the publisher: a
    // message read again may have been overwritten, and then counts as lost.
    void hold() noexcept {
        if (holding_) return;
        holding_ = true;
        held_ = next_;
    }
    bool holding() const noexcept { return holding_; }
    std::uint64_t confirmed() const noexcept { return held_; }
    // False, storing nothing, when not holding or `position` is not between confirmed() and position().
    bool confirm_through(std::uint64_t position) noexcept {
        if (!holding_ || position - held_ > next_ - held_) return false;
        held_ = position;
        // [S6] release. The messages below are done with in this process; a bridge sending one
        // from its slot in place confirms it only once its far side has it, so the network
        // round trip, not this store, orders that read before the publisher's overwrite.
        cursor_->store(held_, std::memory_order_release);
        return true;
    }
    // False when not holding, or `position` is before confirmed() or past the last complete
    // message (the position, or one more when a publisher that died completed it unannounced).
    bool seek(std::uint64_t position) noexcept {
        // Acquire, pairs with [T5]: messages below it are complete.
        const std::uint64_t published = ring_.producer().position.load(std::memory_order_acquire);
        // Acquire, as [S1].
        const bool unannounced = position == published + 1 &&
                                 slot_at(ring_, published).sequence.load(std::memory_order_acquire) == layout::topic_stamp_complete(published);
        if (!holding_ || open_ || topic_before(position, held_) || (topic_before(published, position) && !unannounced)) return false;
        next_ = position;
        return true;
    }

    // Stops holding a lossless publisher back.
    void leave() noexcept {
        if (topic_lossless(ring_)) topic_ungate(ring_, static_cast<std::uint32_t>(__builtin_ctzll(bit_)));
    }

    // The next message, in place until release(). again: none published yet; busy: a message is
    // open; corrupt: the slot contradicts the protocol. A lossy subscriber that was lapped moves
    // on to the oldest message still there first.
    View try_peek() noexcept {
        if (open_) return {Status::busy, {}};
        std::uint32_t length = 0;
        if (const Status status = find(length); status != Status::ok) return {status, {}};
        open_ = true;
        View view{Status::ok, {payload_at(ring_, next_), length}};
        view.sequence = next_ + 1;
        return view;
    }

    // Done with the message peeked: ok, or overwritten when a lossy publisher rewrote its slot
    // meanwhile (the bytes seen may be torn; the message counts as lost). Nothing when none is open.
    std::optional<Status> release() noexcept {
        if (!open_) return std::nullopt;
        open_ = false;
        return finish_read() ? Status::ok : Status::overflow;
    }

    // try_peek, a copy into `buffer` and release in one step. too_large: the message is longer
    // than `buffer` and stays next. A copy that a lossy publisher overwrote is dropped (lost) and
    // the next message tried.
    Status try_receive(std::span<std::byte> buffer, std::size_t& length, std::uint64_t* sequence) noexcept {
        if (open_) return Status::busy;
        for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
            std::uint32_t size = 0;
            if (const Status status = find(size); status != Status::ok) return status;
            if (size > buffer.size()) {
                if (unchanged(open_stamp_)) return Status::too_large;
                (void)finish_read();  // overwritten meanwhile: lost, and the next one is tried
                continue;
            }
            copy_payload(buffer.data(), payload_at(ring_, next_), size);
            const std::uint64_t number = next_ + 1;
            if (!finish_read()) continue;
            length = size;
            if (sequence != nullptr) *sequence = number;
            return Status::ok;
        }
        return Status::again;
    }

    // A racy look, from any thread, at whether the next message is there (poll helpers).
    bool has_data() const noexcept {
        // Relaxed: the cursor as the subscriber's own thread last stored it, only a number here.
        const std::uint64_t next = cursor_->load(std::memory_order_relaxed);
        // Acquire, as [S1].
        return topic_stamp_lag(slot_at(ring_, next).sequence.load(std::memory_order_acquire), next) >= 0;
    }

private:
    // A lossy subscriber overwritten again on every try gives up after this many and says again
    // (a waiting caller tries again), so a call never loops unbounded.
    static constexpr int kMaxRetries = 16;

    // Finds the next message complete in its slot ([S1], [S2]), resuming after a lap; its stamp is
    // kept in open_stamp_ for the check after reading.
    Status find(std::uint32_t& length) noexcept {
        for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
            auto& slot = slot_at(ring_, next_);
            // [S1] acquire, pairs with [T4]: the payload and length are complete.
            const std::uint64_t stamp = slot.sequence.load(std::memory_order_acquire);
            const std::int64_t lag = topic_stamp_lag(stamp, next_);
            // A slot holds this message, the one a lap before, or one being written: nothing
            // older. An older stamp puts our cursor ahead of the publisher.
            if (lag < -2 * static_cast<std::int64_t>(ring_.geometry().capacity)) {
                if (topic_lossless(ring_)) return fail_corrupt();
                resume_at_publisher();
                return Status::again;
            }
            if (lag < 0) return Status::again;
            if (lag > 0) {
                // Lossless slots are never overwritten before every gating subscriber is past them.
                if (topic_lossless(ring_)) return fail_corrupt();
                resume_after_lap();
                continue;
            }
            // Relaxed: ordered by [S1]. Checked before use: [S2].
            length = slot.length.load(std::memory_order_relaxed);
            open_stamp_ = stamp;
            if (length <= max_message()) return Status::ok;
            if (topic_lossless(ring_) || unchanged(stamp)) return fail_corrupt();
            count_lost(1);  // a torn length: overwritten while we looked
            advance();
        }
        return Status::again;
    }

    // Done reading the message found last, by copy or in place: [S4], [S5], then [S6]. False
    // when the slot was overwritten meanwhile (lossy): what was read may be torn, and is lost.
    bool finish_read() noexcept {
        const bool intact = unchanged(open_stamp_);
        if (!intact) count_lost(1);
        advance();
        return intact;
    }

    // [S4], [S5]: whether the slot still holds the message read (lossless slots always do).
    bool unchanged(std::uint64_t stamp) const noexcept {
        if (topic_lossless(ring_)) return true;
        std::atomic_thread_fence(std::memory_order_acquire);  // [S4], pairs with [T2]
        // Relaxed: ordered by [S4].
        return slot_at(ring_, next_).sequence.load(std::memory_order_relaxed) == stamp;
    }

    // Lapped: the publisher wrote a later message into our slot. Resumes at the oldest message
    // that is still there, counting the ones skipped as lost.
    void resume_after_lap() noexcept {
        const std::uint64_t slots = ring_.geometry().capacity;
        // Relaxed: [S1]'s acquire of the stamp, which [T1] or [T4] stored after [T5], makes the
        // publisher's position at least a lap ahead of us visible.
        const std::uint64_t published = ring_.producer().position.load(std::memory_order_relaxed);
        // The oldest message not about to be overwritten, and at least one step: a garbage stamp
        // with the position not ahead costs one message, never a loop.
        std::uint64_t resume = next_ + 1;
        if (topic_before(next_ + slots, published + 1) && topic_before(resume, published - slots + 1)) resume = published - slots + 1;
        count_lost(resume - next_);
        next_ = resume;
        // Release, as [S6].
        cursor_->store(next_, std::memory_order_release);
    }

    // Lossy, a cursor ahead of the publisher (a garbage position at the join): go back to it.
    void resume_at_publisher() noexcept {
        // Acquire, pairs with [T5].
        next_ = ring_.producer().position.load(std::memory_order_acquire);
        // Release, as [S6].
        cursor_->store(next_, std::memory_order_release);
    }

    void count_lost(std::uint64_t count) noexcept {
        lost_count_ += count;
        lost_->store(lost_count_, std::memory_order_relaxed);  // relaxed: statistics, for the tool
    }

    void advance() noexcept {
        ++next_;
        if (holding_) return;  // confirm_through stores the cursor
        // [S6] release, pairs with [G1]/[G4]: we are done with every message below.
        cursor_->store(next_, std::memory_order_release);
    }

    Status fail_corrupt() noexcept {
        ring_.mark_corrupt();
        return Status::corrupt;
    }

    RingView ring_;
    SharedAtomic<std::uint64_t>* cursor_;
    SharedAtomic<std::uint64_t>* lost_;
    std::uint64_t bit_;
    std::uint64_t next_ = 0;        // position of the next message to read
    std::uint64_t lost_count_ = 0;  // messages missed (lossy)
    std::uint64_t open_stamp_ = 0;  // the stamp of the message found last
    ResetOnMove<bool> open_;        // a moved-from reader has no message open
    bool holding_ = false;          // custody: the cursor moves only by confirm_through
    std::uint64_t held_ = 0;        // custody: the cursor's value (the first unconfirmed message)
};

}  // namespace shmring::detail
