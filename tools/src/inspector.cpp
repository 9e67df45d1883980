#include "inspector.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <sys/mman.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "diagnostics.hpp"
#include "guarded_read.hpp"
#include "shmring/detail/mpmc_slots.hpp"
#include "shmring/detail/service_protocol.hpp"
#include "shmring/detail/spsc_records.hpp"
#include "shmring/endpoint.hpp"
#include "shmring/segment.hpp"

namespace shmring::cli {

namespace {

using layout::CallPhase;
using layout::SegmentHeader;

// A creator formats a ring in microseconds: one still not ready after this is stuck or dead.
constexpr auto kReadyWait = std::chrono::milliseconds(100);
// Tries at reading both positions while the consumer stands still (see read_positions).
constexpr int kPositionAttempts = 64;
// Tries at reading a call's fields while its state stands still (see read_call).
constexpr int kCallAttempts = 4;

constexpr auto kRelaxed = std::memory_order_relaxed;
constexpr auto kAcquire = std::memory_order_acquire;

std::string hex(std::uint64_t value, int digits) {
    char text[32];
    std::snprintf(text, sizeof text, "0x%0*llx", digits, static_cast<unsigned long long>(value));
    return text;
}

// The file descriptor and the read-only mapping of one object, released together.
class ReadOnlyMapping {
public:
    ReadOnlyMapping() = default;
    ReadOnlyMapping(const ReadOnlyMapping&) = delete;
    ReadOnlyMapping& operator=(const ReadOnlyMapping&) = delete;
    ~ReadOnlyMapping() {
        if (base_ != nullptr) ::munmap(const_cast<std::byte*>(base_), size_);
        if (fd_ >= 0) ::close(fd_);
    }

    // Opens without following links and fills `stat`; errno is kept for the caller on failure.
    // O_NONBLOCK: a FIFO planted under a ring's name would otherwise block the open for ever.
    bool open(const std::string& object, struct stat& st) {
        fd_ = ::shm_open(object.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0);
        return fd_ >= 0 && ::fstat(fd_, &st) == 0;
    }
    // Maps exactly the `size` bytes the file had at fstat, never more.
    bool map(std::size_t size) {
        void* address = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd_, 0);
        if (address == MAP_FAILED) return false;
        base_ = static_cast<const std::byte*>(address);
        size_ = size;
        return true;
    }
    template <class T>
    const T& at(std::size_t offset) const noexcept { return *reinterpret_cast<const T*>(base_ + offset); }
    const std::byte* base() const noexcept { return base_; }
    int fd() const noexcept { return fd_; }

private:
    int fd_ = -1;
    const std::byte* base_ = nullptr;
    std::size_t size_ = 0;
};

// Relaxed loads: statistics, read racily by design; each value is untorn.
CounterValues copy_counters(const layout::Counters& shared) {
    return {shared.messages.load(kRelaxed), shared.bytes.load(kRelaxed), shared.full.load(kRelaxed),
            shared.empty.load(kRelaxed),    shared.sleeps.load(kRelaxed), shared.wakes.load(kRelaxed)};
}

// What lies at the consumer position, for the record check. Filled only for positions in range.
struct NextRecord {
    bool looked = false;
    layout::RecordHeader first{};   // SPSC: the next record...
    layout::RecordHeader second{};  // ...and the one after it when the first is padding
    bool has_second = false;
    std::uint64_t slot_sequence = 0;  // MPMC: the slot of the consumer's ticket
    std::uint32_t slot_length = 0;
};

// What is wrong with a call slot: the rules the library checks before it uses a call
// (detail/service_protocol.hpp).
enum class CallFault { none, unknown_phase, client_out_of_range, server_out_of_range, request_too_long, response_too_long };

// The fields after the header, copied in one guarded pass: plain values only (see run_guarded).
struct SharedImage {
    std::uint64_t producer_role;
    std::uint64_t consumer_role;
    std::uint32_t corrupt_flag;
    std::uint32_t roles_seen;
    std::uint64_t lost_messages;
    CounterValues retired_producers;
    CounterValues retired_consumers;
    std::uint64_t repair_lock;
    std::uint32_t data_sleepers;
    std::uint32_t space_sleepers;
    EndpointCopy entries[layout::kMaxEndpoints];
    std::uint64_t producer;
    std::uint64_t consumer;
    std::uint64_t read_position;
    std::uint64_t topic_limit;
    std::uint64_t topic_gating;
    bool stable;  // the consumer did not move while the positions and the next record were read
    NextRecord next;
    std::uint64_t server_mask;     // services
    std::uint64_t pending_calls;   // services: call slots that are not free
    std::uint32_t calls_listed;    // ... of which the first ones are here
    CallCopy calls[kMaxCallsListed];
    CallFault call_fault;          // services: the first call slot that breaks a rule, if any
    CallCopy faulty_call;
    std::uint64_t data_sleeper_mask;
    StateCopy state;               // cells, locks and semaphores
    std::uint64_t cell_stamp;      // cells: the stamp of the latest version's buffer
};

// Copies call slot `index`. The fields other than the state are read between two reads of the
// state: unchanged, they belong to it (a generation makes every use of a slot a new state).
CallCopy read_call(const layout::CallHeader& call, const layout::ResponseHeader& response, std::uint64_t index) {
    CallCopy copy;
    copy.index = index;
    for (int attempt = 0; attempt < kCallAttempts && !copy.settled; ++attempt) {
        // Acquire, pairs with [S1] and [S3] (as the server's [S2] and the client's [A3']): the
        // lengths and the sending time a phase publishes are visible with it.
        copy.state = call.state.load(kAcquire);
        if (layout::call_phase(copy.state) == CallPhase::free) return copy;  // nothing to read
        copy.sent_realtime_ns = call.sent_realtime_ns.load(kRelaxed);
        copy.request_length = call.request_length.load(kRelaxed);
        copy.response_length = response.length.load(kRelaxed);
        // The loads above complete before the state is read again.
        std::atomic_thread_fence(kAcquire);
        copy.settled = call.state.load(kRelaxed) == copy.state;
    }
    return copy;
}

CallFault call_fault(const RingGeometry& g, const CallCopy& call) noexcept {
    if (!detail::known_phase(call.state)) return CallFault::unknown_phase;
    if (layout::call_client(call.state) > layout::kMaxEndpoints) return CallFault::client_out_of_range;
    if (layout::call_server(call.state) > layout::kMaxEndpoints) return CallFault::server_out_of_range;
    const CallPhase phase = layout::call_phase(call.state);
    // A request is complete once queued; a response once answered. Before, the fields are stale.
    if (!call.settled || phase == CallPhase::free || phase == CallPhase::writing) return CallFault::none;
    if (call.request_length > g.max_request) return CallFault::request_too_long;
    if (phase == CallPhase::answered && call.response_length > g.max_response) return CallFault::response_too_long;
    return CallFault::none;
}

std::string call_fault_text(CallFault fault, const CallCopy& call, const RingGeometry& g) {
    const std::string where = "call slot " + std::to_string(call.index) + ": ";
    switch (fault) {
        case CallFault::unknown_phase:
            return where + "unknown phase " + std::to_string(static_cast<std::uint32_t>(layout::call_phase(call.state)));
        case CallFault::client_out_of_range:
            return where + "client tag " + std::to_string(layout::call_client(call.state)) + " out of range";
        case CallFault::server_out_of_range:
            return where + "server tag " + std::to_string(layout::call_server(call.state)) + " out of range";
        case CallFault::request_too_long:
            return where + "request length " + std::to_string(call.request_length) + " above the limit " + std::to_string(g.max_request);
        case CallFault::response_too_long:
            return where + "response length " + std::to_string(call.response_length) + " above the limit " +
                   std::to_string(g.max_response);
        case CallFault::none: break;
    }
    return where + "broken";
}

// Services: every call slot is checked and counted; the first kMaxCallsListed pending ones copied.
void copy_calls(const ReadOnlyMapping& map, const RingGeometry& g, SharedImage& image) {
    // In range: validate_header checked that the call slots end within total_size, which the mapping holds.
    const std::byte* data = map.base() + g.header_size;
    for (std::uint64_t i = 0; i < g.max_messages; ++i) {
        const std::byte* slot = data + detail::call_offset(g, i);
        const CallCopy call = read_call(*reinterpret_cast<const layout::CallHeader*>(slot),
                                        *reinterpret_cast<const layout::ResponseHeader*>(slot + layout::response_header_offset(g.max_request)), i);
        if (const CallFault fault = call_fault(g, call); fault != CallFault::none) {
            image.call_fault = fault;
            image.faulty_call = call;
            return;
        }
        if (layout::call_phase(call.state) == CallPhase::free) continue;
        ++image.pending_calls;
        if (image.calls_listed < kMaxCallsListed) image.calls[image.calls_listed++] = call;
    }
}

// Cells, locks and semaphores: the state block at the start of the data area (layout.hpp), and a
// cell's value buffers after it.
void copy_state(const ReadOnlyMapping& map, const RingGeometry& g, SharedImage& image) {
    // In range: validate_header checked that the state block (and a cell's buffers) end within total_size.
    const std::byte* data = map.base() + g.header_size;
    StateCopy& state = image.state;
    if (g.engine == layout::Engine::semaphore) {
        state.count = reinterpret_cast<const layout::SemaphoreBlock*>(data)->count.load(kRelaxed);
        return;
    }
    const bool cell_engine = g.engine == layout::Engine::cell;
    const auto& lock = cell_engine ? reinterpret_cast<const layout::CellBlock*>(data)->writer : reinterpret_cast<const layout::LockBlock*>(data)->lock;
    state.holder = lock.holder.load(kAcquire);
    state.consistency = lock.consistency.load(kRelaxed);
    state.since_realtime_ns = lock.since_realtime_ns.load(kRelaxed);
    state.owner_deaths = lock.owner_deaths.load(kRelaxed);
    if (!cell_engine) return;
    // As a reader's [R1], [R2], [R3] and [R5] (detail/cell_protocol.hpp), without the payload.
    const auto& cell = *reinterpret_cast<const layout::CellBlock*>(data);
    state.version = cell.latest.load(kAcquire);
    if (state.version == 0) {
        state.value_known = true;
        return;
    }
    const auto& buffer = *reinterpret_cast<const layout::SlotHeader*>(data + sizeof(layout::CellBlock) + (state.version & g.mask) * g.slot_stride);
    image.cell_stamp = buffer.sequence.load(kAcquire);
    const std::uint32_t length = buffer.length.load(kRelaxed);
    std::atomic_thread_fence(kAcquire);
    state.value_known = image.cell_stamp == layout::topic_stamp_complete(state.version) && buffer.sequence.load(kRelaxed) == image.cell_stamp;
    state.value_bytes = length;
}

NextRecord look_at_next(const ReadOnlyMapping& map, const RingGeometry& g, std::uint64_t producer, std::uint64_t consumer) {
    NextRecord next;
    const std::uint64_t used = producer - consumer;
    if (used == 0 || used > g.capacity) return next;
    const std::byte* data = map.base() + g.header_size;
    const std::uint64_t index = consumer & g.mask;
    if (g.engine == layout::Engine::spsc) {
        // An aligned index leaves room for a whole record header: the capacity is a multiple of 8.
        if (consumer % layout::kRecordAlignment != 0) return next;
        std::memcpy(&next.first, data + index, sizeof next.first);
        next.looked = true;
        const detail::RecordCheck check = detail::check_record(next.first, consumer, used, g);
        if (check.verdict == detail::RecordVerdict::padding && check.size < used) {
            std::memcpy(&next.second, data, sizeof next.second);  // a padding record wraps to index 0
            next.has_second = true;
        }
        return next;
    }
    const auto& slot = *reinterpret_cast<const layout::SlotHeader*>(data + detail::slot_offset(g, consumer));
    // Acquire, as a consumer's [A20]: a published slot's length is visible with its sequence.
    next.slot_sequence = slot.sequence.load(kAcquire);
    next.slot_length = slot.length.load(kRelaxed);  // ordered by the acquire above
    next.looked = true;
    return next;
}

void copy_shared(const ReadOnlyMapping& map, const RingGeometry& g, SharedImage& image) {
    const auto& control = map.at<layout::ControlBlock>(layout::kControlOffset);
    image.producer_role = control.producer_role.load(kAcquire);
    image.consumer_role = control.consumer_role.load(kAcquire);
    image.corrupt_flag = control.corrupt.load(kRelaxed);
    image.roles_seen = (control.producer_takes.load(kRelaxed) != 0 ? kSeenProducer : 0U) |
                       (control.consumer_takes.load(kRelaxed) != 0 ? kSeenConsumer : 0U);
    image.lost_messages = control.lost_messages.load(kRelaxed);
    image.retired_producers = copy_counters(control.retired_producers);
    image.retired_consumers = copy_counters(control.retired_consumers);
    image.repair_lock = control.repair_lock.load(kRelaxed);
    image.data_sleepers = static_cast<std::uint32_t>(layout::sleeper_count(map.at<layout::WaitEvent>(layout::kDataEventOffset)));
    image.space_sleepers = static_cast<std::uint32_t>(layout::sleeper_count(map.at<layout::WaitEvent>(layout::kSpaceEventOffset)));
    image.data_sleeper_mask = map.at<layout::WaitEvent>(layout::kDataEventOffset).sleepers.load(kRelaxed);
    for (std::uint32_t i = 0; i < layout::kMaxEndpoints; ++i) {
        const auto& entry = map.at<layout::EndpointEntry>(layout::kRegistryOffset + i * sizeof(layout::EndpointEntry));
        EndpointCopy& copy = image.entries[i];
        copy.index = i;
        // Acquire, pairs with [R3] in Endpoint::attach: an attached entry's fields are complete.
        copy.state = entry.state.load(kAcquire);
        layout::EndpointEntry local;
        std::memcpy(static_cast<void*>(&local), &entry, sizeof entry);
        // From here on the local copy: nothing changes under these loads.
        copy.role = local.role.load(kRelaxed);
        copy.pid = local.pid.load(kRelaxed);
        copy.start_time = local.start_time.load(kRelaxed);
        copy.attached_realtime_ns = local.attached_realtime_ns.load(kRelaxed);
        copy.claim = local.claim.load(kRelaxed);
        copy.wait_strategy = local.wait_strategy.load(kRelaxed);
        copy.counters = copy_counters(local.counters);
        copy.cursor = local.cursor.load(kRelaxed);
        copy.lost = local.lost.load(kRelaxed);
        // The library's own judgement (its lease), on our read-only descriptor, which holds none.
        copy.alive = entry_presence(map.fd(), i, copy.state, [&] { return entry.state.load(kAcquire); }) == Presence::alive;
    }
    // The positions move while we look. Reading the consumer's before and after the producer's
    // (which only grows) brackets a moment when used = producer - consumer was exact, so a range
    // error seen in a stable reading is real, never an artefact of reading two moving counters.
    const auto& producer = map.at<layout::ProducerBlock>(layout::kProducerOffset);
    const auto& consumer = map.at<layout::ConsumerBlock>(layout::kConsumerOffset);
    if (layout::keeps_state(g.engine)) {
        copy_state(map, g, image);
        image.stable = true;  // no positions: state
        return;
    }
    if (g.engine == layout::Engine::topic) {
        // Before the position: the publisher announces a limit only after the position it rests on.
        image.topic_limit = producer.limit.load(kAcquire);
        image.topic_gating = consumer.gating.load(kRelaxed);
        image.producer = producer.position.load(kAcquire);
        image.stable = true;  // a topic has no consumers' position: each subscriber has its own
        return;
    }
    if (g.engine == layout::Engine::service) {
        image.server_mask = map.at<layout::ControlBlock>(layout::kControlOffset).servers.load(kRelaxed);
        copy_calls(map, g, image);
    }
    // The request queue of a service is an MPMC ring of ids.
    image.stable = false;
    for (int attempt = 0; attempt < kPositionAttempts && !image.stable; ++attempt) {
        image.consumer = consumer.position.load(kAcquire);
        image.producer = producer.position.load(kAcquire);
        image.read_position = consumer.read_position.load(kRelaxed);
        image.next = look_at_next(map, g, image.producer, image.consumer);
        image.stable = consumer.position.load(kAcquire) == image.consumer;
    }
}

// The library's own record check (detail/spsc_records.hpp), with its verdict in words.
std::optional<std::string> check_record(const layout::RecordHeader& record, std::uint64_t position, std::uint64_t published,
                                        const RingGeometry& g) {
    const std::string where = "record at position " + std::to_string(position);
    const std::string length = std::to_string(record.length);
    switch (detail::check_record(record, position, published, g).verdict) {
        case detail::RecordVerdict::message:
        case detail::RecordVerdict::padding: return std::nullopt;
        case detail::RecordVerdict::padding_misplaced:
            return "padding " + where + ": length " + length + " does not end at the end of the data area";
        case detail::RecordVerdict::bad_type: return where + ": type " + hex(record.type, 8) + " out of range";
        case detail::RecordVerdict::too_long:
            return where + ": length " + length + " above the message limit " + std::to_string(g.max_message);
        case detail::RecordVerdict::past_published: return where + ": length " + length + " runs past the published data";
    }
    return std::nullopt;
}

// The rules of a state block (owner_lock.hpp, cell_protocol.hpp, semaphore.hpp); the reason when one fails.
std::optional<std::string> check_state(const RingGeometry& g, const SharedImage& s) {
    const StateCopy& state = s.state;
    if (g.engine == layout::Engine::semaphore) {
        if (state.count > g.max_messages)
            return "count " + std::to_string(state.count) + " above the maximum " + std::to_string(g.max_messages);
        return std::nullopt;
    }
    const std::string lock = g.engine == layout::Engine::cell ? "writer lock" : "lock";
    if (state.holder != 0 && layout::role_index(state.holder) >= layout::kMaxEndpoints)
        return lock + ": holder " + hex(state.holder, 16) + " names no endpoint entry";
    if (state.consistency > static_cast<std::uint32_t>(layout::LockConsistency::not_recoverable))
        return lock + ": unknown consistency " + std::to_string(state.consistency);
    if (g.engine != layout::Engine::cell || state.version == 0) return std::nullopt;
    // The latest version's buffer holds it or, rewritten since, a later one: never an earlier one.
    if (static_cast<std::int64_t>(s.cell_stamp - layout::topic_stamp_complete(state.version)) < 0)
        return "value buffer " + std::to_string(state.version & g.mask) + ": stamp " + std::to_string(s.cell_stamp) +
               " older than the latest version " + std::to_string(state.version);
    if (state.value_known && state.value_bytes > g.slot_size)
        return "value of version " + std::to_string(state.version) + ": length " + std::to_string(state.value_bytes) +
               " above the value size " + std::to_string(g.slot_size);
    return std::nullopt;
}

// Position and record checks of a copy; the reason when one fails.
std::optional<std::string> check_positions(const RingGeometry& g, const SharedImage& s) {
    if (layout::keeps_state(g.engine)) return check_state(g, s);
    if (g.engine == layout::Engine::topic) {
        // The limit read first rests on a position no later than the one read after it.
        const std::uint64_t kept_from = s.topic_limit - g.max_messages;
        const bool lossless = g.topic_policy == layout::TopicPolicy::lossless;
        if (lossless && s.topic_limit != 0 && static_cast<std::int64_t>(s.producer - kept_from) < 0)
            return "announced limit " + std::to_string(s.topic_limit) + " is more than a capacity past the publisher's position " +
                   std::to_string(s.producer);
        return std::nullopt;
    }
    const bool spsc = g.engine == layout::Engine::spsc;
    if (spsc && s.producer % layout::kRecordAlignment != 0)
        return "producer position " + std::to_string(s.producer) + " is not 8-byte aligned";
    if (spsc && s.consumer % layout::kRecordAlignment != 0)
        return "consumer position " + std::to_string(s.consumer) + " is not 8-byte aligned";
    if (!s.stable) return std::nullopt;  // the consumer is busy moving: it is in range as far as we can tell
    const std::uint64_t used = s.producer - s.consumer;
    if (used > g.capacity)
        return "positions out of range: producer " + std::to_string(s.producer) + ", consumer " + std::to_string(s.consumer) +
               ", capacity " + std::to_string(g.capacity);
    if (!s.next.looked) return std::nullopt;
    if (spsc) {
        if (auto bad = check_record(s.next.first, s.consumer, used, g)) return bad;
        if (s.next.has_second) {
            const std::uint64_t skipped = layout::record_size(s.next.first.length);
            return check_record(s.next.second, s.consumer + skipped, used - skipped, g);
        }
        return std::nullopt;
    }
    const bool published = s.next.slot_sequence == detail::slot_full_for(s.consumer);
    if (published && s.next.slot_length != layout::kSlotLengthVoid && s.next.slot_length > g.slot_size)
        return "slot of ticket " + std::to_string(s.consumer) + ": length " + std::to_string(s.next.slot_length) +
               " above the slot size " + std::to_string(g.slot_size);
    return std::nullopt;
}

// validate_header's reason without the ring's name and the generic tail it adds.
std::string header_reason(const Error& error, std::string_view name) {
    std::string why = reason_of(error, name);
    const std::string tail = std::string(": ") + describe(error.code());
    if (why.ends_with(tail)) why.resize(why.size() - tail.size());
    return error.code() == Errc::truncated ? "truncated: " + why : why;
}

Inspection verdict(Inspection inspection, Verdict kind, std::string reason) {
    inspection.verdict = kind;
    inspection.reason = std::move(reason);
    return inspection;
}

}  // namespace

std::uint64_t subscriber_lag(const RingCopy& ring, const EndpointCopy& subscriber) {
    const auto lag = static_cast<std::int64_t>(ring.producer_position - subscriber.cursor);
    return lag < 0 ? 0 : std::min<std::uint64_t>(static_cast<std::uint64_t>(lag), ring.geometry.capacity);
}

std::uint64_t slowest_subscriber_lag(const RingCopy& ring) {
    std::uint64_t slowest = 0;
    for (const EndpointCopy& entry : ring.endpoints)
        if (entry.role == static_cast<std::uint32_t>(layout::EndpointRole::consumer) &&
            layout::endpoint_status(entry.state) == layout::EndpointStatus::attached)
            slowest = std::max(slowest, subscriber_lag(ring, entry));
    return slowest;
}

CounterValues& CounterValues::operator+=(const CounterValues& other) noexcept {
    messages += other.messages;
    bytes += other.bytes;
    full += other.full;
    empty += other.empty;
    sleeps += other.sleeps;
    wakes += other.wakes;
    return *this;
}

std::string_view verdict_name(Verdict verdict) {
    switch (verdict) {
        case Verdict::ok: return "ok";
        case Verdict::missing: return "missing";
        case Verdict::unreadable: return "unreadable";
        case Verdict::initialising: return "initialising";
        case Verdict::corrupt: break;
    }
    return "corrupt";
}

ProcessIdentity creator_of(const layout::SegmentHeader& header) {
    return {header.creator_pid, header.creator_start_time, current_process().pid_namespace};
}

Inspection inspect_ring(std::string_view name) {
    Inspection result;
    if (auto valid = Segment::validate_name(name); !valid) return verdict(std::move(result), Verdict::missing, reason_of(valid.error(), name));
    ReadOnlyMapping map;
    struct stat st {};
    if (!map.open(Segment::object_name(name), st)) {
        switch (errno) {
            case ENOENT: return verdict(std::move(result), Verdict::missing, "no such ring");
            case ELOOP: return verdict(std::move(result), Verdict::corrupt, "a symbolic link, not a ring");
            case EACCES: return verdict(std::move(result), Verdict::unreadable, "permission denied");
            default: return verdict(std::move(result), Verdict::unreadable, std::string("open: ") + std::strerror(errno));
        }
    }
    result.owner_uid = st.st_uid;
    if (!S_ISREG(st.st_mode)) return verdict(std::move(result), Verdict::corrupt, "not a regular file");
    const auto object_size = static_cast<std::uint64_t>(st.st_size);
    // shm_open then ftruncate: a creator caught in between leaves an empty object.
    if (object_size == 0) return verdict(std::move(result), Verdict::initialising, "half-initialised: empty object");
    if (object_size < sizeof(SegmentHeader))
        return verdict(std::move(result), Verdict::corrupt,
                       "truncated: " + std::to_string(object_size) + " bytes, smaller than the " +
                           std::to_string(sizeof(SegmentHeader)) + "-byte header");
    if (!map.map(object_size)) return verdict(std::move(result), Verdict::unreadable, std::string("mmap: ") + std::strerror(errno));

    std::uint32_t state = 0;
    SegmentHeader header{};
    auto copy_header = [&] {
        // Acquire, pairs with [R0] in RingSegment::create: a ready header is complete.
        state = map.at<SegmentHeader>(layout::kHeaderOffset).state.load(kAcquire);
        std::memcpy(static_cast<void*>(&header), map.base(), sizeof header);
    };
    const auto give_up = std::chrono::steady_clock::now() + kReadyWait;
    for (;;) {
        if (!run_guarded(copy_header)) return verdict(std::move(result), Verdict::corrupt, "truncated while being read");
        if (state == layout::kStateReady || std::chrono::steady_clock::now() >= give_up) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    result.creator = creator_of(header);
    const bool ready = state == layout::kStateReady;
    if (header.magic == 0 && !ready)
        return verdict(std::move(result), Verdict::initialising, "half-initialised: ready state " + hex(state, 8) + ", no header yet");
    if (header.magic != layout::kMagic) return verdict(std::move(result), Verdict::corrupt, "bad magic " + hex(header.magic, 16));
    if (header.layout_version != layout::kLayoutVersion)
        return verdict(std::move(result), Verdict::corrupt,
                       "unknown layout version " + std::to_string(header.layout_version) + " (this tool reads " +
                           std::to_string(layout::kLayoutVersion) + ")");
    if (!ready) {
        const bool alive = result.creator.pid != 0 && liveness(result.creator) == Liveness::alive;
        return verdict(std::move(result), Verdict::initialising,
                       "half-initialised: ready state " + hex(state, 8) + " (creator pid " + std::to_string(header.creator_pid) +
                           (alive ? ", alive)" : ", dead)"));
    }
    auto geometry = validate_header(header, object_size, name);
    if (!geometry) return verdict(std::move(result), Verdict::corrupt, header_reason(geometry.error(), name));

    SharedImage image{};
    auto copy_rest = [&] { copy_shared(map, *geometry, image); };
    if (!run_guarded(copy_rest)) return verdict(std::move(result), Verdict::corrupt, "truncated while being read");
    if (auto bad = check_positions(*geometry, image)) return verdict(std::move(result), Verdict::corrupt, *bad);
    if (image.call_fault != CallFault::none)
        return verdict(std::move(result), Verdict::corrupt, call_fault_text(image.call_fault, image.faulty_call, *geometry));

    RingCopy& ring = result.ring;
    ring.header = header;
    ring.geometry = *geometry;
    ring.object_size = object_size;
    ring.owner_uid = st.st_uid;
    ring.file_mode = st.st_mode & 0777U;
    ring.producer_role = image.producer_role;
    ring.consumer_role = image.consumer_role;
    ring.corrupt_flag = image.corrupt_flag;
    ring.roles_seen = image.roles_seen;
    ring.lost_messages = image.lost_messages;
    ring.retired_producers = image.retired_producers;
    ring.retired_consumers = image.retired_consumers;
    ring.producer_position = image.producer;
    ring.consumer_position = image.consumer;
    ring.read_position = image.read_position;
    // An unstable reading may bracket no real moment: clamp it into the range a real one has.
    const std::uint64_t used = image.producer - image.consumer;
    ring.used = used <= geometry->capacity ? used : static_cast<std::int64_t>(used) < 0 ? 0 : geometry->capacity;
    ring.topic_limit = image.topic_limit;
    ring.topic_gating = image.topic_gating;
    ring.repair_lock = image.repair_lock;
    ring.data_sleepers = image.data_sleepers;
    ring.space_sleepers = image.space_sleepers;
    ring.data_sleeper_mask = image.data_sleeper_mask;
    ring.state = image.state;
    for (const EndpointCopy& entry : image.entries)
        if (layout::endpoint_status(entry.state) != layout::EndpointStatus::free) ring.endpoints.push_back(entry);
    if (geometry->engine == layout::Engine::topic) ring.used = slowest_subscriber_lag(ring);
    if (geometry->engine == layout::Engine::service) {
        ring.server_mask = image.server_mask;
        ring.pending_calls = image.pending_calls;
        ring.calls.assign(image.calls, image.calls + image.calls_listed);
        ring.read_realtime_ns = detail::realtime_now_ns();
        ring.used = image.pending_calls;
    }
    if (layout::keeps_state(geometry->engine)) ring.read_realtime_ns = detail::realtime_now_ns();
    if (geometry->engine == layout::Engine::cell) ring.used = image.state.value_known ? image.state.value_bytes : 0;
    if (geometry->engine == layout::Engine::lock) ring.used = image.state.holder != 0 ? 1 : 0;
    if (geometry->engine == layout::Engine::semaphore) ring.used = image.state.count;
    return result;
}

}  // namespace shmring::cli
