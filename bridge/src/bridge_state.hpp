// Internal. A bridge's state object: a small POSIX shared-memory object per ring and side
// (/shmring-bridge-send.NAME, /shmring-bridge-recv.NAME, outside the rings' namespace), which
// outlives the bridge process. It holds the receiver's delivery journal, which a restarted
// receiver needs, and the statistics `shmring bridge status` shows.
//
// A live bridge holds an OFD write lock on the object (the kernel drops it when the process dies):
// a second bridge of the same ring and side is refused, and a reader tells a running bridge from
// one that died. Its header is checked on open; the journal's words are trusted as the positions
// this user's bridge wrote (a process that may write the object can make a receiver skip or repeat
// records, as one that may write the ring can make it hold anything).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shmring/bridge.hpp"
#include "shmring/shared_atomic.hpp"

namespace shmring::bridge::detail {

inline constexpr std::uint64_t kStateMagic = 0x65676469726273ULL;  // "sbridge"
inline constexpr std::uint32_t kStateVersion = 1;

// The receiver's record of what the far ring holds (delivery.hpp has the protocol).
struct DeliveryJournal {
    SharedAtomic<std::uint64_t> ring;          // the far ring's creation time: the ring the words speak of
    SharedAtomic<std::uint64_t> stream;        // the sender's stream this journal follows
    SharedAtomic<std::uint64_t> delivered;     // stream position through which the ring holds it
    SharedAtomic<std::uint64_t> pending_end;   // stream position after the batch being published
    SharedAtomic<std::uint64_t> pending_mark;  // the ring's producer position once it is published
};

// Statistics for people. Only the bridge holding the object's lock writes them; every access is
// relaxed: nothing is ordered by them, and a reader may see them a little stale.
struct StateCounters {
    SharedAtomic<std::uint64_t> connected;
    SharedAtomic<std::uint64_t> messages;
    SharedAtomic<std::uint64_t> bytes;
    SharedAtomic<std::uint64_t> reconnects;
    SharedAtomic<std::uint64_t> in_flight;
    SharedAtomic<std::uint64_t> in_flight_bytes;
    SharedAtomic<std::uint64_t> acknowledged;
    SharedAtomic<std::uint64_t> refused;
    SharedAtomic<std::uint64_t> lost;  // sender of a lossy topic: messages overwritten before it read them
    SharedAtomic<std::uint64_t> updated_realtime_ns;
};

struct StateLayout {
    std::uint64_t magic;
    std::uint32_t version;
    std::uint32_t side;  // Side
    SharedAtomic<std::uint32_t> pid;
    std::uint32_t reserved;
    DeliveryJournal journal;
    StateCounters counters;
};
static_assert(sizeof(StateLayout) == 24 + 40 + 80, "the state object's header, journal and counters");
static_assert(offsetof(StateLayout, journal) == 24 && offsetof(StateLayout, counters) == 64, "state object offsets");

std::string state_object_name(std::string_view ring, Side side);

// The state object of a running bridge: created or reopened, locked, mapped.
class BridgeState {
public:
    // busy: another live bridge holds it; corrupt: the object is not a bridge's state of `side`.
    static Result<BridgeState> acquire(std::string_view ring, Side side);

    DeliveryJournal& journal() noexcept { return layout_->journal; }
    StateCounters& counters() noexcept { return layout_->counters; }
    // Stamps the update time: a reader can tell a bridge that publishes from one that stalled.
    void touch() noexcept;

    BridgeState(BridgeState&& other) noexcept;
    BridgeState& operator=(BridgeState&&) = delete;
    ~BridgeState();

private:
    BridgeState(int fd, StateLayout* layout) noexcept : fd_(fd), layout_(layout) {}
    int fd_;
    StateLayout* layout_;
};

Result<std::optional<Statistics>> read_state(std::string_view ring, Side side);

}  // namespace shmring::bridge::detail
