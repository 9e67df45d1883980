// The inspector: a read-only look at one ring, for the tool alone.
//
// Everything in a segment is untrusted input: the file may be truncated, half-written, damaged
// by hand, or changed by other processes while it is read. The inspector never opens a ring for
// writing and never waits on it: it maps what the file holds (fstat first) with PROT_READ, copies
// the header out once and validates that copy (validate_header), then copies the rest field by
// field and bounds-checks every position, index and length before using it. Reads of the
// mapping happen under run_guarded, so a file truncated mid-read is a verdict, not a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shmring/layout.hpp"
#include "shmring/process.hpp"
#include "shmring/ring_segment.hpp"

namespace shmring::cli {

struct CounterValues {
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    std::uint64_t full = 0;
    std::uint64_t empty = 0;
    std::uint64_t sleeps = 0;
    std::uint64_t wakes = 0;

    CounterValues& operator+=(const CounterValues& other) noexcept;
};

inline constexpr std::uint32_t kSeenProducer = 1U << 0;
inline constexpr std::uint32_t kSeenConsumer = 1U << 1;

// One registry entry as it was read: `state`, the packed word (layout::endpoint_state), loaded
// first; then its fields for display; `alive` as the library judges it (entry_presence: the
// owner's lease, tested while the ring was mapped).
struct EndpointCopy {
    std::uint32_t index = 0;
    std::uint64_t state = 0;
    bool alive = false;
    std::uint32_t role = 0;
    std::uint32_t pid = 0;
    std::uint64_t start_time = 0;
    std::uint64_t attached_realtime_ns = 0;
    std::uint64_t claim = 0;
    std::uint32_t wait_strategy = 0;
    CounterValues counters;
    std::uint64_t cursor = 0;  // topic subscribers: the next message's position
    std::uint64_t lost = 0;    // topic subscribers: messages missed (lossy)
};

// One call slot of a service that is not free, as it was read. `state` (layout::call_state) is
// checked: a known phase, client and server tags naming registry entries or none. The other fields
// belong to that state when `settled` (it did not change while they were read); the request's length
// and sending time are meaningful once the call is queued, the response's once it is answered.
struct CallCopy {
    std::uint64_t index = 0;
    std::uint64_t state = 0;
    bool settled = false;
    std::uint64_t sent_realtime_ns = 0;
    std::uint32_t request_length = 0;
    std::uint32_t response_length = 0;
};

// Every call slot is counted, but only this many pending calls are copied one by one: a service
// may have millions of slots, and the copy is made without allocating (run_guarded).
inline constexpr std::size_t kMaxCallsListed = 256;

// Cells, locks and semaphores (layout::keeps_state): their state block as it was read.
struct StateCopy {
    // Locks: the lock; cells: the writer lock (layout::OwnerLock). `holder` is checked: 0 or a role
    // word naming a registry entry; `consistency` a layout::LockConsistency.
    std::uint64_t holder = 0;
    std::uint32_t consistency = 0;
    std::uint64_t since_realtime_ns = 0;
    std::uint64_t owner_deaths = 0;
    std::uint64_t version = 0;       // cells: the latest complete version, 0 before the first write
    bool value_known = false;        // cells: whether its buffer still held it, unchanged, while it was read
    std::uint32_t value_bytes = 0;   // ... and then its length (at most the value size)
    std::uint32_t count = 0;         // semaphores: the count (at most the maximum)
};

// A validated copy of a ring. Values were read racily while the ring may be in use: each one is
// untorn and in range, but they are not one atomic picture.
struct RingCopy {
    layout::SegmentHeader header{};
    RingGeometry geometry{};
    std::uint64_t object_size = 0;
    std::uint32_t owner_uid = 0;
    std::uint32_t file_mode = 0;

    std::uint64_t producer_role = 0;
    std::uint64_t consumer_role = 0;
    std::uint32_t corrupt_flag = 0;
    std::uint32_t roles_seen = 0;  // kSeen* bits: which SPSC roles were ever taken
    std::uint64_t lost_messages = 0;
    CounterValues retired_producers;
    CounterValues retired_consumers;

    std::uint64_t producer_position = 0;
    std::uint64_t consumer_position = 0;
    std::uint64_t read_position = 0;  // SPSC byte-stream reader stopped mid-record, else 0 (may be stale)
    // producer - consumer, within 0..capacity (SPSC bytes, MPMC tickets); topics: how far the
    // slowest attached subscriber is behind the publisher, in messages, within 0..capacity;
    // services: the pending calls, within 0..max_messages; cells: the latest value's bytes (0 when
    // not known); locks: 1 while held; semaphores: the count.
    std::uint64_t used = 0;
    std::uint64_t topic_limit = 0;   // lossless topics: the publisher's announced limit
    std::uint64_t topic_gating = 0;  // lossless topics: the gating mask (bit i: entry i holds the publisher back)

    // Services: the servers' mask (bit i: entry i is a server clients count on), how many call
    // slots are not free, the first kMaxCallsListed of them, and when they were read (CLOCK_REALTIME;
    // also for cells, locks and semaphores).
    std::uint64_t server_mask = 0;
    std::uint64_t pending_calls = 0;
    std::vector<CallCopy> calls;
    std::uint64_t read_realtime_ns = 0;

    std::uint64_t repair_lock = 0;     // MPMC: role word of the endpoint repairing a slot, or 0
    std::uint32_t data_sleepers = 0;   // endpoints and poll helpers asleep waiting for data
    std::uint64_t data_sleeper_mask = 0;  // the endpoints among them (bit i: entry i); cells, locks and semaphores: the waiters
    std::uint32_t space_sleepers = 0;  // ... waiting for space
    std::vector<EndpointCopy> endpoints;  // the entries that are not free, in index order
    StateCopy state;                      // cells, locks and semaphores
};

enum class Verdict {
    ok,
    missing,       // no such ring
    unreadable,    // this user may not read it, or a system call failed
    initialising,  // its creator has not published it (yet): empty file or state not ready
    corrupt,       // anything else that breaks the layout
};

struct Inspection {
    Verdict verdict = Verdict::ok;
    std::string reason;           // when the verdict is not ok
    std::uint32_t owner_uid = 0;  // of the file, once it was opened
    ProcessIdentity creator;      // as far as the header says (zero when not written yet)
    RingCopy ring;                // when the verdict is ok
};

Inspection inspect_ring(std::string_view name);

// Topics: how many messages `subscriber` is behind the publisher (0 for a cursor ahead of it, at
// most the slot count), and the largest lag of the attached subscribers.
std::uint64_t subscriber_lag(const RingCopy& ring, const EndpointCopy& subscriber);
std::uint64_t slowest_subscriber_lag(const RingCopy& ring);

// The creator's identity as the header records it. The header has no pid namespace: the
// creator's pid is judged in ours.
ProcessIdentity creator_of(const layout::SegmentHeader& header);

// "ok", "missing", "unreadable", "initialising" or "corrupt": the word `ls` shows.
std::string_view verdict_name(Verdict verdict);

}  // namespace shmring::cli
