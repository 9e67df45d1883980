#include "pipe_session.hpp"

#include "shmring/endpoint.hpp"

namespace shmring::detail {

namespace {

// Values of PipeSession::peer_ besides a peer's role word.
constexpr std::uint64_t kNoPeerYet = 0;
constexpr std::uint64_t kPeerGone = ~std::uint64_t{0};  // the session's peer has gone

}  // namespace

PipeSession::PipeSession(const RingSegment& ring, Side side, const WaitTuning& tuning) noexcept
    : ring_(ring), side_(side), check_interval_(tuning.probe_interval / 5), peer_(kNoPeerYet) {
    // [A4] acquire, pairs with [R4] in Endpoint::take_role: read before the role word, so that a
    // peer that takes the role after this load is counted, and one that took it before shows in
    // the word below (or has left).
    peer_takes_at_open_ = peer_takes().load(std::memory_order_acquire);
    if (side == Side::reader) {
        // Acquire, pairs with the release that gave the writer's role back: its last records are
        // visible to the look at the positions below.
        const std::uint64_t writer = peer_word().load(std::memory_order_acquire);
        const bool writer_gone = writer == 0 || role_holder_presence(ring_, writer) != Presence::alive;
        // Acquire, as [A10]: the records up to the producer's position are written. Relaxed: the
        // consumer position is ours, moved by nobody else while we hold the role.
        const bool unread = ring_.producer().position.load(std::memory_order_acquire) !=
                            ring_.consumer().position.load(std::memory_order_relaxed);
        if (writer_gone && unread) peer_.store(kPeerGone, std::memory_order_relaxed);
    }
    over(true);  // adopts a live peer already there
}

SharedAtomic<std::uint64_t>& PipeSession::peer_word() const noexcept {
    return side_ == Side::writer ? ring_.control().consumer_role : ring_.control().producer_role;
}

SharedAtomic<std::uint32_t>& PipeSession::peer_takes() const noexcept {
    return side_ == Side::writer ? ring_.control().consumer_takes : ring_.control().producer_takes;
}

bool PipeSession::over(bool thorough) noexcept {
    std::uint64_t peer = peer_.load(std::memory_order_relaxed);
    // Acquire, pairs with the release that gave the role back (Endpoint::detach): what the peer
    // published before leaving (the writer's last records) is visible to our next look at the ring.
    const std::uint64_t word = peer_word().load(std::memory_order_acquire);
    if (peer != kNoPeerYet && peer != kPeerGone) {
        if (word == peer && !(thorough && role_holder_presence(ring_, word) != Presence::alive)) return false;
        peer_.store(kPeerGone, std::memory_order_relaxed);  // our peer has gone
        peer = kPeerGone;
    }
    // No peer of ours here: a live one that is (not a dead holder of an earlier session) starts a
    // new session, as a FIFO that a new writer or reader opens.
    if (word != 0 && role_holder_presence(ring_, word) == Presence::alive) {
        peer_.compare_exchange_strong(peer, word, std::memory_order_relaxed);
        return false;
    }
    if (peer == kPeerGone) return true;
    // Waiting for a first peer. One came and went unseen if the role was taken since we attached
    // ([A4] acquire, pairs with [R4]); one that took it and is still here shows in the word now.
    if (peer_takes().load(std::memory_order_acquire) == peer_takes_at_open_) return false;
    const std::uint64_t newcomer = peer_word().load(std::memory_order_acquire);
    if (newcomer != 0 && role_holder_presence(ring_, newcomer) == Presence::alive) {
        peer_.compare_exchange_strong(peer, newcomer, std::memory_order_relaxed);
        return false;
    }
    peer_.store(kPeerGone, std::memory_order_relaxed);
    return true;
}

bool PipeSession::peer_gone(bool thorough) noexcept {
    if (!thorough) {
        const Deadline now = Clock::now();
        thorough = now >= next_check_;
        if (thorough) next_check_ = now + check_interval_;
    }
    return over(thorough);
}

}  // namespace shmring::detail
