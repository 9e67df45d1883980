// Internal. A pipe handle's session (pipe.hpp): the peer it is paired with, and whether that peer
// has gone. Shared by both ends, which differ only in which role is the peer.
//
// Each handle's session has one peer, the first live endpoint it sees holding the other role (its
// role word, unique by generation). The session is over once that peer's role word is gone
// (closed) or its holder is dead; a live peer that comes later starts the next one. Until a first
// peer comes, nothing is over: a writer fills the ring and a reader waits. A reader that opens to
// bytes whose writer has already left belongs to that writer's session: it reads them, then end of
// file. So does a side whose peer came and left before this side looked at the role word.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "shmring/ring_segment.hpp"
#include "shmring/wait.hpp"

namespace shmring::detail {

// Opens pipe `name` for either end.
inline Result<RingSegment> open_pipe_ring(std::string_view name, const SegmentOptions& options) {
    return RingSegment::open(name, Access::read_write, {layout::Engine::spsc, layout::ChannelKind::pipe}, options);
}

class PipeSession {
public:
    enum class Side { writer, reader };

    // Called once the handle holds its role. `ring` outlives the session (both live in the
    // handle's Impl, which never moves).
    PipeSession(const RingSegment& ring, Side side, const WaitTuning& tuning) noexcept;
    PipeSession(const PipeSession&) = delete;
    PipeSession& operator=(const PipeSession&) = delete;

    // Whether the session is over. `thorough` tests a held role's lease; otherwise one load of the
    // role word decides. Thread-safe: the poll helper asks too.
    bool over(bool thorough) noexcept;
    // over(), with the lease test only when one is due (every probe_interval / 5): for the paths
    // that found nothing to do, which may run in a tight loop.
    bool peer_gone(bool thorough) noexcept;

private:
    SharedAtomic<std::uint64_t>& peer_word() const noexcept;
    SharedAtomic<std::uint32_t>& peer_takes() const noexcept;

    const RingSegment& ring_;
    Side side_;
    std::chrono::nanoseconds check_interval_;
    Deadline next_check_{};
    // The session's peer: kNoPeerYet, its role word, or kPeerGone. Atomic: the poll helper
    // thread reads and adopts it too. Relaxed: it only names a word; the role word's own acquire
    // load orders what the peer wrote.
    std::atomic<std::uint64_t> peer_;
    std::uint32_t peer_takes_at_open_ = 0;  // the other side's take counter when we attached
};

}  // namespace shmring::detail
