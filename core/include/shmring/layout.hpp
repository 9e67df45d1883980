// The shared layout: every byte of a shmring segment is declared here and nowhere else.
//
// A segment is one POSIX shared-memory object, /dev/shm/shmring.<name>, laid out as
//
//   offset 0     SegmentHeader    written once by the creator, immutable after `state` is ready
//   offset 128   ControlBlock     role words, corruption flag, totals, repair lock; written rarely, by anyone
//   offset 384   ProducerBlock    the producers' position; written by producers only
//   offset 512   ConsumerBlock    the consumers' position; written by consumers only
//   offset 640   WaitEvent        "data ready": consumers park on it, producers wake them
//   offset 768   WaitEvent        "space ready": producers park on it, consumers wake them
//   offset 896   EndpointEntry[kMaxEndpoints]  one 128-byte line per attached process
//   header_size  data area        SPSC: `capacity` bytes of records; MPMC and topics: `capacity` slots;
//                                 services: `capacity` request-queue slots, then `max_messages` calls;
//                                 cells, locks and semaphores: a state block (CellBlock, LockBlock,
//                                 SemaphoreBlock); cells: then `capacity` value buffers
//
// Every block that one role writes starts on its own 128-byte boundary (kFalseSharingRange): 128,
// not 64, because the adjacent-line prefetcher pulls cache lines in pairs on x86.
//
// Positions and indexes. A position is a free-running unsigned 64-bit counter that never goes back;
// an index is `position & (capacity - 1)`, so capacity is a power of two. "used" is always
// `producer_position - consumer_position` computed modulo 2^64, which stays right when the
// counters wrap past 2^64, and is valid only while it is <= capacity: a reader checks that before
// trusting either position. SPSC positions count bytes; MPMC positions count tickets (messages);
// topic positions count messages published (message p carries the sequence number p + 1).
//
// Nothing here is a pointer: the segment is mapped at a different address in every process.
// Everything read from the segment is untrusted (another process can write any byte at any time):
// a reader loads a field once, validates it, and only then uses its local copy.
//
// Bump kLayoutVersion whenever any offset, size, meaning or encoding below changes; the layout
// test (tests/unit/layout_test.cpp) pins every offset so that a change cannot go unnoticed.
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <cstddef>
#include <cstdint>

#include "shmring/shared_atomic.hpp"

namespace shmring::layout {

inline constexpr std::size_t kFalseSharingRange = 128;
inline constexpr std::uint64_t kMagic = 0x31474e49524d4853ULL;  // "SHMRING1" read as little-endian bytes
inline constexpr std::uint32_t kLayoutVersion = 8;
inline constexpr std::uint32_t kStateReady = 0x59444552U;  // "REDY": zero-filled memory is never ready
inline constexpr std::uint32_t kMaxEndpoints = 64;  // one bit each in WaitEvent::sleepers
inline constexpr const char kObjectPrefix[] = "/shmring.";  // shm_open name = prefix + ring name
inline constexpr std::size_t kMaxNameLength = 200;

// Rings move messages (spsc, mpmc, topic, service); cells, locks and semaphores keep shared state.
enum class Engine : std::uint32_t { spsc = 1, mpmc = 2, topic = 3, service = 4, cell = 5, lock = 6, semaphore = 7 };
constexpr const char* engine_name(Engine engine) {
    return engine == Engine::spsc        ? "spsc"
           : engine == Engine::mpmc      ? "mpmc"
           : engine == Engine::topic     ? "topic"
           : engine == Engine::service   ? "service"
           : engine == Engine::cell      ? "cell"
           : engine == Engine::lock      ? "lock"
           : engine == Engine::semaphore ? "semaphore"
                                         : "unknown";
}
// Whether a segment of `engine` keeps shared state rather than a ring of messages.
constexpr bool keeps_state(Engine engine) {
    return engine == Engine::cell || engine == Engine::lock || engine == Engine::semaphore;
}
// Topics: whether the publisher waits for its slowest subscriber (lossless) or overwrites (lossy).
enum class TopicPolicy : std::uint32_t { lossless = 0, lossy = 1 };
enum class ChannelKind : std::uint32_t { raw = 0, pipe = 1, queue = 2 };

// Creation options recorded for the tool (SegmentHeader::options).
inline constexpr std::uint32_t kOptionPrefault = 1U << 0;
inline constexpr std::uint32_t kOptionLocked = 1U << 1;
inline constexpr std::uint32_t kOptionHugePages = 1U << 2;

struct SegmentHeader {
    std::uint64_t magic;
    std::uint32_t layout_version;
    std::uint32_t header_size;          // offset of the data area
    std::uint64_t total_size;           // size of the whole object, checked against fstat
    std::uint32_t engine;               // Engine
    std::uint32_t kind;                 // ChannelKind
    std::uint64_t capacity;             // SPSC: data bytes; MPMC: slots. Power of two.
    std::uint32_t slot_size;            // MPMC: payload bytes per slot; SPSC: 0
    std::uint32_t slot_stride;          // MPMC: bytes per slot with its header; SPSC: 0
    std::uint32_t max_message;          // largest payload one send may carry (SPSC: at most spsc_max_message)
    std::uint32_t max_endpoints;        // entries in the endpoint registry
    std::uint32_t creator_uid;
    std::uint32_t creator_pid;
    std::uint64_t creator_start_time;   // process start time of the creator, see process.hpp
    std::uint64_t created_realtime_ns;  // CLOCK_REALTIME at creation
    std::uint32_t mode;                 // permission bits applied at creation
    std::uint32_t options;              // kOption* bits
    // Queues: the most messages the ring holds at once, with either engine (at most capacity
    // slots; SPSC: at most capacity / record_size(max_message)). Topics: the capacity asked for,
    // in messages (at most capacity slots): how far a subscriber may fall behind before a lossless
    // publisher waits. Services: the calls that may be pending at once (the call slots; at most
    // capacity / 2 queue slots). Other kinds: 0.
    // Semaphores: the largest count (at most kMaxSemaphoreCount).
    std::uint64_t max_messages;
    std::uint32_t topic_policy;         // topics: TopicPolicy; other engines: 0
    std::uint32_t max_response;         // services: the largest response (max_message: request); others: 0
    std::uint32_t call_stride;          // services: bytes per call slot (call_stride_for); others: 0
    std::uint8_t reserved[12];
    SharedAtomic<std::uint32_t> state;  // 0 while initialising, kStateReady once every byte is set
    std::uint32_t reserved_tail;
};

// Statistics of one endpoint. Only that endpoint writes them (SharedAtomic::add_by_owner).
struct Counters {
    SharedAtomic<std::uint64_t> messages;    // records or slots moved
    SharedAtomic<std::uint64_t> bytes;       // payload bytes moved
    SharedAtomic<std::uint64_t> full;        // times a send found no space
    SharedAtomic<std::uint64_t> empty;       // times a receive found nothing
    SharedAtomic<std::uint64_t> sleeps;      // times this endpoint parked on a futex
    SharedAtomic<std::uint64_t> wakes;       // futex wake calls this endpoint issued
};

// A role word names the endpoint entry that holds a role (role_word below), or is 0 when the role
// is free. The generation makes a stale word recognisable after the entry was released and retaken.
struct ControlBlock {
    SharedAtomic<std::uint64_t> producer_role;  // SPSC; topics: the publisher
    // SPSC; MPMC: the custody mark, the role word of the MpmcHolder whose slots are held (detail/mpmc_custody.hpp)
    SharedAtomic<std::uint64_t> consumer_role;
    SharedAtomic<std::uint32_t> corrupt;        // non-zero: an endpoint found a broken invariant
    std::uint32_t reserved;
    SharedAtomic<std::uint64_t> lost_messages;  // MPMC claims given up because their owner died
    Counters retired_producers;                 // counters of producers that have detached
    Counters retired_consumers;                 // counters of consumers that have detached
    // MPMC: role word (role_word) of the endpoint repairing a slot abandoned by a dead endpoint,
    // 0 when none. Repairs are rare and must not overlap, see detail/mpmc_repair.hpp.
    SharedAtomic<std::uint64_t> repair_lock;
    std::uint32_t reserved_word;
    // SPSC: how many times each role was taken (wrapping). A pipe tells from them that a peer came
    // and went while it was not looking (a session, pipe.hpp); the tool, that a role was ever held.
    SharedAtomic<std::uint32_t> producer_takes;
    SharedAtomic<std::uint32_t> consumer_takes;
    std::uint32_t reserved_pair;
    // Services: bit i set while endpoint entry i is a server, so that a client learns without a
    // system call whether anybody could answer. Here, where words change rarely, and not beside
    // the queue's positions: every call reads it.
    SharedAtomic<std::uint64_t> servers;
    std::uint8_t pad[96];
};

// Producers' side. SPSC: `position` is the byte position one past the last published record,
// stored by the single producer. MPMC: the next enqueue ticket, claimed by CAS. Topics: the
// position of the next message to publish (every message below it is complete), and `limit`, the
// position below which a lossless publisher has announced it may write: it never goes down
// (detail/topic_protocol.hpp).
struct ProducerBlock {
    SharedAtomic<std::uint64_t> position;
    SharedAtomic<std::uint64_t> limit;
    std::uint8_t pad[kFalseSharingRange - 16];
};

// Consumers' side. SPSC: `position` is the byte position of the next unread record, and
// `read_position` the position of the next unread payload byte when a byte-stream reader stopped
// in the middle of a record (0 otherwise): one word, so that a reader killed between storing it
// and `position` leaves either a value inside the record at `position` or one that a successor
// recognises as stale. MPMC and services' request queues: the next dequeue ticket. Topics: `gating`
// has bit i set while the subscriber of endpoint entry i holds a lossless publisher back (its
// cursor is in the entry).
struct ConsumerBlock {
    SharedAtomic<std::uint64_t> position;
    SharedAtomic<std::uint64_t> read_position;
    SharedAtomic<std::uint64_t> gating;
    std::uint8_t pad[kFalseSharingRange - 24];
};

// A process-shared futex and who sleeps on it. `sequence` is the futex word: a waker bumps it
// before FUTEX_WAKE so that a sleeper that read the old value cannot go to sleep after the wake.
// `sleepers` has bit i set while endpoint i is about to sleep or sleeps here, `helper_sleepers`
// the same for endpoint i's poll helper thread; the other side skips the system call while both
// are zero. Bits rather than a count, so that the bit of a process that died asleep can be
// cleared by whoever reclaims its entry (a count could not be corrected). `light_publishers` has
// bit i set while endpoint i publishes on this event with a compiler-only fence: a sleeper that
// sees any bit must issue the heavy barrier first. Protocol in detail/wait_loop.hpp and
// detail/publish_fence.hpp.
struct WaitEvent {
    SharedAtomic<std::uint32_t> sequence;
    std::uint32_t reserved;
    SharedAtomic<std::uint64_t> sleepers;
    SharedAtomic<std::uint64_t> helper_sleepers;
    SharedAtomic<std::uint64_t> light_publishers;
    std::uint8_t pad[kFalseSharingRange - 32];
};

// How many endpoints and helpers sleep on `event` (a racy look, for the tool).
inline int sleeper_count(const WaitEvent& event) {
    return __builtin_popcountll(event.sleepers.load(std::memory_order_relaxed)) +
           __builtin_popcountll(event.helper_sleepers.load(std::memory_order_relaxed));
}

enum class EndpointStatus : std::uint32_t { free = 0, claiming = 1, attached = 2 };

// Generations count the takes of one entry in 56 bits: at a million takes a second they would
// wrap after two thousand years, so a stale role word never names a later owner.
inline constexpr std::uint64_t kGenerationMask = (std::uint64_t{1} << 56) - 1;

constexpr std::uint64_t endpoint_state(std::uint64_t generation, EndpointStatus status) {
    return ((generation & kGenerationMask) << 8) | static_cast<std::uint64_t>(status);
}
constexpr std::uint64_t endpoint_generation(std::uint64_t state) { return state >> 8; }
constexpr EndpointStatus endpoint_status(std::uint64_t state) { return EndpointStatus(state & 0xFFU); }

// A role word: (generation << 8) | (entry index + 1), 0 when free.
constexpr std::uint64_t role_word(std::uint64_t generation, std::uint32_t index) {
    return ((generation & kGenerationMask) << 8) | (index + 1U);
}
constexpr std::uint64_t role_generation(std::uint64_t word) { return word >> 8; }
constexpr std::uint32_t role_index(std::uint64_t word) { return static_cast<std::uint32_t>(word & 0xFFU) - 1U; }
// `user`: a handle of a cell, lock or semaphore, which may both read and write.
enum class EndpointRole : std::uint32_t { none = 0, producer = 1, consumer = 2, observer = 3, user = 4 };

// One attached process. `state` packs (generation << 8) | EndpointStatus; the generation grows each
// time the entry is taken, so that a stale reference to it (a role word) can be recognised. Whoever
// changes `state` holds the entry's lease, an OFD lock on the entry's own bytes of the segment file
// (detail/lease.hpp): the owner from attach to detach, or a process reclaiming the entry of a dead
// owner. The owner writes every other field; others only read them. pid, start time and pid
// namespace are for people (the tool): liveness is the lease's. A topic subscriber keeps its
// position here: `cursor`, the next message it will read, and `lost`, the messages it missed (lossy).
struct EndpointEntry {
    SharedAtomic<std::uint64_t> state;
    SharedAtomic<std::uint32_t> role;            // EndpointRole
    SharedAtomic<std::uint32_t> pid;             // in the owner's pid namespace
    SharedAtomic<std::uint64_t> start_time;      // see process.hpp
    SharedAtomic<std::uint64_t> attached_realtime_ns;
    SharedAtomic<std::uint64_t> claim;           // MPMC: ticket + 1 this endpoint is claiming, or 0
    SharedAtomic<std::uint32_t> wait_strategy;   // WaitStrategy, for the tool
    SharedAtomic<std::uint32_t> pid_namespace;   // inode of the owner's pid namespace (process.hpp)
    Counters counters;
    SharedAtomic<std::uint64_t> cursor;          // topic subscribers
    SharedAtomic<std::uint64_t> lost;            // topic subscribers
    std::uint8_t pad[kFalseSharingRange - 112];
};

// SPSC records. Each record starts 8-byte aligned with this header; the payload follows. A record
// that would cross the end of the data area is preceded by a padding record that fills the rest.
// In a queue every record spans record_size(max_message) bytes whatever its length, so that the
// positions count messages too (detail/spsc_records.hpp, spsc_count_limit).
struct RecordHeader {
    std::uint32_t length;  // payload bytes
    std::uint32_t type;    // < kRecordTypePadding: the sender's type; == kRecordTypePadding: padding
};
inline constexpr std::uint32_t kRecordTypePadding = 0x80000000U;
inline constexpr std::uint32_t kRecordAlignment = 8;

constexpr std::uint64_t record_size(std::uint64_t payload_length) {
    return (sizeof(RecordHeader) + payload_length + kRecordAlignment - 1) & ~std::uint64_t{kRecordAlignment - 1};
}

// MPMC and topic slots: a header and `slot_size` payload bytes, `slot_stride` apart (a multiple of
// 64 so that neighbouring slots used by different processes do not share a cache line).
// `sequence` encodes the slot's turn (bounded-queue tickets): for ticket t at index t & mask,
//   sequence == 2t                   the slot is free for the producer holding ticket t
//   sequence == 2t + 1               it holds the message of ticket t, for the consumer holding t
//   sequence == 2(t + capacity)      released: free for ticket t + capacity
// (all modulo 2^64). Doubling keeps "full with ticket t - capacity" (odd) distinct from "free for
// ticket t" (even) even with one slot. Differences are compared as signed 64-bit values: tickets
// in flight on one slot are at most 2^24 turns apart, so the encoding survives the 2^64 wrap.
struct SlotHeader {
    SharedAtomic<std::uint64_t> sequence;
    SharedAtomic<std::uint32_t> length;  // payload bytes of the message, written before `sequence` publishes it
    std::uint32_t reserved;
};
inline constexpr std::uint32_t kSlotAlignment = 64;
// A slot whose length is kSlotLengthVoid carries no message (its producer aborted the loan, or died
// holding it and the slot was repaired): consumers take it and release it without delivering it.
inline constexpr std::uint32_t kSlotLengthVoid = 0xFFFFFFFFU;

// Topic slots: the `sequence` word is the stamp of the message in it. For position p:
//   0                    never written
//   2p + 1               the publisher is writing message p
//   2p + 2               message p is complete
// A subscriber that copied a message checks the stamp again: changed, the copy may be torn.
constexpr std::uint64_t topic_stamp_writing(std::uint64_t position) { return 2 * position + 1; }
constexpr std::uint64_t topic_stamp_complete(std::uint64_t position) { return 2 * position + 2; }

constexpr std::uint64_t slot_stride_for(std::uint64_t slot_size) {
    return (sizeof(SlotHeader) + slot_size + kSlotAlignment - 1) & ~std::uint64_t{kSlotAlignment - 1};
}

// Services. A call is one request and its response, in a call slot of the data area (after the
// request queue's slots): this header, then the request area (max_message bytes), then the
// response area (max_response bytes) after its ResponseHeader, each starting on a 64-byte boundary.
// The request queue's slots carry request ids (8 bytes each): whoever takes a ticket there serves
// that call.
struct CallHeader {
    SharedAtomic<std::uint64_t> state;             // call_state(generation, phase, client, server)
    SharedAtomic<std::uint64_t> sent_realtime_ns;  // CLOCK_REALTIME_COARSE when it was sent, for the tool
    SharedAtomic<std::uint32_t> request_length;    // written by the client before it queues the call
    std::uint8_t pad[44];
};

// The line before a response area: a waiting client watches it, and the server writes it only as it
// answers (the length, then the outcome). Not the state word, which the server changes twice
// (taking the call, answering it) and would have to fetch back from the client's spin; not the
// response's own line, which the server's user may fill at leisure.
struct ResponseHeader {
    SharedAtomic<std::uint64_t> outcome;  // the state a call of this slot ended in for its client
                                          // (answered, reset or refused), posted after that step
    SharedAtomic<std::uint32_t> length;   // written by the server before it answers
    std::uint8_t pad[52];
};

// A call's state word packs its generation (40 bits: one per use of the slot), its phase, and the
// endpoint entries (index + 1, 0 for none) of the client that owns it and of the server serving it.
// One word, so that every step is one CAS that also proves the call is still the one meant.
//
//   free       no call; `generation` is that of the last one
//   writing    claimed by `client`, which writes the request
//   queued     its id is in the request queue, not yet taken by a server
//   serving    taken by `server`, which owes the response
//   answered   the response is in place, for `client`
//   abandoned  `client` gave up (timed out, closed, died) while `server` serves: the server frees it
//   reset      `server` died or closed while serving, or died taking it: `client` learns that
//              (ECONNRESET) and frees it
//   refused    still queued when no live server was left: `client` learns that (ECONNREFUSED) and frees it
enum class CallPhase : std::uint32_t {
    free = 0,
    writing = 1,
    queued = 2,
    serving = 3,
    answered = 4,
    abandoned = 5,
    reset = 6,
    refused = 7,
};
inline constexpr std::uint64_t kCallGenerationMask = (std::uint64_t{1} << 40) - 1;

constexpr std::uint64_t call_state(std::uint64_t generation, CallPhase phase, std::uint32_t client, std::uint32_t server) {
    return ((generation & kCallGenerationMask) << 24) | (std::uint64_t{server & 0xFFU} << 16) | (std::uint64_t{client & 0xFFU} << 8) |
           static_cast<std::uint64_t>(phase);
}
constexpr std::uint64_t call_generation(std::uint64_t state) { return state >> 24; }
constexpr CallPhase call_phase(std::uint64_t state) { return CallPhase(state & 0xFFU); }
constexpr std::uint32_t call_client(std::uint64_t state) { return static_cast<std::uint32_t>(state >> 8) & 0xFFU; }
constexpr std::uint32_t call_server(std::uint64_t state) { return static_cast<std::uint32_t>(state >> 16) & 0xFFU; }

// A request id names one call: the slot index in the low 24 bits, the generation above them.
// Generation 0 is never used, so no id is 0.
constexpr std::uint64_t request_id(std::uint64_t generation, std::uint64_t index) { return (generation << 24) | index; }
constexpr std::uint64_t request_generation(std::uint64_t id) { return id >> 24; }
constexpr std::uint64_t request_index(std::uint64_t id) { return id & 0xFFFFFFU; }

constexpr std::uint64_t call_area_size(std::uint64_t bytes) { return (bytes + kSlotAlignment - 1) & ~std::uint64_t{kSlotAlignment - 1}; }
// Where a call slot's ResponseHeader is, from the slot's start; its response follows it.
constexpr std::uint64_t response_header_offset(std::uint64_t max_request) { return sizeof(CallHeader) + call_area_size(max_request); }
constexpr std::uint64_t call_stride_for(std::uint64_t max_request, std::uint64_t max_response) {
    return response_header_offset(max_request) + sizeof(ResponseHeader) + call_area_size(max_response);
}
// The request queue's slots carry a request id.
inline constexpr std::uint32_t kServiceQueueSlotSize = 8;

// Cells, locks and semaphores: shared state, guarded by protocols that survive a process dying
// anywhere. Their data area starts with a 128-byte state block.
inline constexpr std::size_t kStateBlockSize = kFalseSharingRange;

// A lock that survives its holder (detail/owner_lock.hpp; model verify/lock_owner_death.pml).
// `holder` is the role word (role_word) of the endpoint that holds it, 0 when free: the endpoint's
// lease tells whether the holder lives. Only the holder writes the other fields.
enum class LockConsistency : std::uint32_t {
    consistent = 0,
    owner_died = 1,       // taken from a dead holder; the state it guards awaits repair
    not_recoverable = 2,  // a holder that took it from a dead one gave it back unrepaired: for ever
};
struct OwnerLock {
    SharedAtomic<std::uint64_t> holder;
    SharedAtomic<std::uint32_t> consistency;        // LockConsistency
    std::uint32_t reserved;
    SharedAtomic<std::uint64_t> since_realtime_ns;  // CLOCK_REALTIME_COARSE when the holder took it, for the tool
    SharedAtomic<std::uint64_t> owner_deaths;       // times it was taken from a dead holder, for the tool
};

// A named lock: its OwnerLock. Waiters sleep on the data event; a release wakes them.
struct LockBlock {
    OwnerLock lock;
    std::uint8_t pad[kStateBlockSize - sizeof(OwnerLock)];
};

// A cell: the latest value of up to `max_message` bytes, and its version (detail/cell_protocol.hpp;
// model verify/cell_value.pml). `latest` is the version of the newest complete value, 0 before the
// first write; writers take `writer` to write version latest + 1 into value buffer
// (latest + 1) & (capacity - 1). A buffer is a SlotHeader and `slot_size` bytes, `slot_stride`
// apart; its `sequence` is the stamp of the version in it, as topic stamps are for positions
// (topic_stamp_writing(v), topic_stamp_complete(v)), and `length` its length. Readers and waiting
// writers sleep on the data event; each write wakes them. `latest`, which every read loads, has a
// block of its own: the writer lock's words, which each write changes twice, then never take the
// line away from readers.
struct CellBlock {
    OwnerLock writer;
    std::uint8_t pad[kFalseSharingRange - sizeof(OwnerLock)];
    SharedAtomic<std::uint64_t> latest;
    std::uint8_t pad_latest[kFalseSharingRange - 8];
};
// Value buffers of a cell: a reader copying a value has capacity - 1 later writes' time before
// its buffer is rewritten (then it copies the newer value instead).
inline constexpr std::uint64_t kCellBuffers = 4;
inline constexpr std::uint64_t kMaxCellValue = std::uint64_t{64} << 20;

// A counting semaphore: `count`, at most the header's max_messages. Waiters sleep on the data
// event; a post wakes them.
struct SemaphoreBlock {
    SharedAtomic<std::uint32_t> count;
    std::uint8_t pad[kStateBlockSize - 4];
};
inline constexpr std::uint64_t kMaxSemaphoreCount = 0x7FFFFFFF;  // the C API returns the count as an int

inline constexpr std::size_t kHeaderOffset = 0;
inline constexpr std::size_t kControlOffset = 128;
inline constexpr std::size_t kProducerOffset = 384;
inline constexpr std::size_t kConsumerOffset = 512;
inline constexpr std::size_t kDataEventOffset = 640;
inline constexpr std::size_t kSpaceEventOffset = 768;
inline constexpr std::size_t kRegistryOffset = 896;
inline constexpr std::size_t kDataOffset = kRegistryOffset + kMaxEndpoints * sizeof(EndpointEntry);

// Limits of layout version 6.
inline constexpr std::uint64_t kMinSpscCapacity = 64;
inline constexpr std::uint64_t kMaxSpscCapacity = std::uint64_t{1} << 30;
inline constexpr std::uint64_t kMaxMpmcSlots = std::uint64_t{1} << 24;
inline constexpr std::uint64_t kMaxSlotSize = std::uint64_t{1} << 20;
// A service's request queue has twice as many slots as it has calls (rounded up to a power of
// two): ids of calls given up while queued stay there until a server skips them.
inline constexpr std::uint64_t kMaxServiceCalls = kMaxMpmcSlots / 2;

// The largest SPSC payload: a record of this size always fits once the ring is empty, wherever the
// consumer stands, because the padding in front of it is then at most the record size.
constexpr std::uint64_t spsc_max_message(std::uint64_t capacity) { return capacity / 2 - sizeof(RecordHeader); }

// --- compile-time checks of the layout ---------------------------------------------------------
static_assert(sizeof(SegmentHeader) == 128, "the header fills exactly one 128-byte block");
static_assert(offsetof(SegmentHeader, magic) == 0, "the magic leads the segment");
static_assert(offsetof(SegmentHeader, layout_version) == 8, "the version follows the magic");
static_assert(offsetof(SegmentHeader, header_size) == 12, "header_size is at 12");
static_assert(offsetof(SegmentHeader, total_size) == 16, "total_size is at 16");
static_assert(offsetof(SegmentHeader, engine) == 24 && offsetof(SegmentHeader, kind) == 28, "engine, kind at 24, 28");
static_assert(offsetof(SegmentHeader, capacity) == 32, "capacity is at 32");
static_assert(offsetof(SegmentHeader, slot_size) == 40 && offsetof(SegmentHeader, slot_stride) == 44, "slot geometry");
static_assert(offsetof(SegmentHeader, max_message) == 48 && offsetof(SegmentHeader, max_endpoints) == 52, "limits");
static_assert(offsetof(SegmentHeader, creator_uid) == 56 && offsetof(SegmentHeader, creator_pid) == 60, "creator");
static_assert(offsetof(SegmentHeader, creator_start_time) == 64, "creator start time is at 64");
static_assert(offsetof(SegmentHeader, created_realtime_ns) == 72, "creation time is at 72");
static_assert(offsetof(SegmentHeader, mode) == 80 && offsetof(SegmentHeader, options) == 84, "mode, options");
static_assert(offsetof(SegmentHeader, max_messages) == 88, "the queue's message bound is at 88");
static_assert(offsetof(SegmentHeader, topic_policy) == 96, "the topic policy is at 96");
static_assert(offsetof(SegmentHeader, max_response) == 100 && offsetof(SegmentHeader, call_stride) == 104,
              "a service's response limit and call stride follow it");
static_assert(offsetof(SegmentHeader, state) == 120, "the ready state is the header's last word");

static_assert(sizeof(Counters) == 48, "six 64-bit counters");
static_assert(sizeof(ControlBlock) == 2 * kFalseSharingRange, "the control block fills two 128-byte blocks");
static_assert(offsetof(ControlBlock, repair_lock) == kFalseSharingRange, "the repair lock starts the second block");
static_assert(offsetof(ControlBlock, producer_takes) == kFalseSharingRange + 12 &&
                  offsetof(ControlBlock, consumer_takes) == kFalseSharingRange + 16,
              "the role take counters follow it");
static_assert(offsetof(ControlBlock, corrupt) == 16 && offsetof(ControlBlock, lost_messages) == 24, "control words");
static_assert(offsetof(ControlBlock, retired_producers) == 32 && offsetof(ControlBlock, retired_consumers) == 80,
              "retired counters");
static_assert(offsetof(ProducerBlock, limit) == 8 && offsetof(ConsumerBlock, gating) == 16, "topic gating words");
static_assert(offsetof(ControlBlock, servers) == kFalseSharingRange + 24, "a service's server mask");
static_assert(sizeof(ProducerBlock) == kFalseSharingRange && sizeof(ConsumerBlock) == kFalseSharingRange,
              "producer and consumer positions must be 128 bytes apart to prevent false sharing");
static_assert(sizeof(WaitEvent) == kFalseSharingRange, "each wait event owns its 128-byte block");
static_assert(kMaxEndpoints <= 64, "every endpoint has a bit in a 64-bit sleeper mask");
static_assert(offsetof(WaitEvent, sleepers) == 8 && offsetof(WaitEvent, helper_sleepers) == 16, "sleeper masks");
static_assert(offsetof(WaitEvent, light_publishers) == 24, "the light publishers' mask follows them");
static_assert(sizeof(EndpointEntry) == kFalseSharingRange,
              "each endpoint entry owns a 128-byte block: its owner writes its counters on every message");
static_assert(offsetof(EndpointEntry, role) == 8 && offsetof(EndpointEntry, pid) == 12, "endpoint identity");
static_assert(offsetof(EndpointEntry, claim) == 32 && offsetof(EndpointEntry, pid_namespace) == 44 &&
                  offsetof(EndpointEntry, counters) == 48,
              "endpoint fields");
static_assert(offsetof(EndpointEntry, cursor) == 96 && offsetof(EndpointEntry, lost) == 104, "a subscriber's position");

static_assert(kControlOffset == kHeaderOffset + sizeof(SegmentHeader), "control follows the header");
static_assert(kProducerOffset == kControlOffset + sizeof(ControlBlock), "producer block follows control");
static_assert(kConsumerOffset == kProducerOffset + sizeof(ProducerBlock), "consumer block follows producer");
static_assert(kDataEventOffset == kConsumerOffset + sizeof(ConsumerBlock), "data event follows consumer");
static_assert(kSpaceEventOffset == kDataEventOffset + sizeof(WaitEvent), "space event follows data event");
static_assert(kRegistryOffset == kSpaceEventOffset + sizeof(WaitEvent), "registry follows the events");
static_assert(kDataOffset % kFalseSharingRange == 0, "the data area starts on a 128-byte boundary");
static_assert(kDataOffset == 9088, "the data area starts at 9088");

static_assert(sizeof(RecordHeader) == 8 && alignof(RecordHeader) <= kRecordAlignment, "8-byte record header");
static_assert(record_size(0) == 8 && record_size(1) == 16 && record_size(8) == 16, "records are 8-byte aligned");
static_assert(sizeof(SlotHeader) == 16, "16-byte slot header");
static_assert(sizeof(CallHeader) == kSlotAlignment, "a call header fills one 64-byte line");
static_assert(offsetof(CallHeader, sent_realtime_ns) == 8 && offsetof(CallHeader, request_length) == 16, "call header fields");
static_assert(sizeof(ResponseHeader) == kSlotAlignment && offsetof(ResponseHeader, length) == 8, "a response header fills one line");
static_assert(call_stride_for(1, 1) == 256 && call_stride_for(64, 64) == 256 && call_stride_for(65, 0) == 256 &&
                  call_stride_for(64, 65) == 320,
              "call areas are cache-line multiples");
static_assert(call_phase(call_state(kCallGenerationMask, CallPhase::reset, 64, 63)) == CallPhase::reset &&
                  call_client(call_state(7, CallPhase::queued, 64, 63)) == 64 && call_server(call_state(7, CallPhase::queued, 64, 63)) == 63 &&
                  call_generation(call_state(kCallGenerationMask, CallPhase::free, 0, 0)) == kCallGenerationMask,
              "the call state's fields do not overlap");
static_assert(slot_stride_for(0) == 64 && slot_stride_for(48) == 64 && slot_stride_for(49) == 128,
              "slots are cache-line multiples");
static_assert(sizeof(OwnerLock) == 32 && offsetof(OwnerLock, consistency) == 8 && offsetof(OwnerLock, since_realtime_ns) == 16 &&
                  offsetof(OwnerLock, owner_deaths) == 24,
              "a lock's words");
static_assert(sizeof(LockBlock) == kStateBlockSize && sizeof(SemaphoreBlock) == kStateBlockSize, "a lock's or semaphore's state fills 128 bytes");
static_assert(sizeof(CellBlock) == 2 * kFalseSharingRange && offsetof(CellBlock, latest) == kFalseSharingRange,
              "a cell's latest version is 128 bytes away from its writer lock");
static_assert(sizeof(CellBlock) % kSlotAlignment == 0, "a cell's value buffers start on a cache line");
static_assert(spsc_max_message(kMinSpscCapacity) == 24, "the smallest ring still carries a 24-byte message");

}  // namespace shmring::layout
