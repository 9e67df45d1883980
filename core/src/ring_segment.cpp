#include "shmring/ring_segment.hpp"

#include <bit>
#include <chrono>
#include <cstring>
#include <ctime>
#include <thread>
#include <unistd.h>

#include "shmring/detail/mpmc_slots.hpp"
#include "shmring/process.hpp"
#include "shmring/wait.hpp"

namespace shmring {

namespace {

using layout::Engine;

std::string quoted(std::string_view name) { return "ring '" + std::string(name) + "'"; }

// How long an opener waits for a creator that is still formatting. Formatting takes microseconds,
// so a segment still not ready after this belongs to a creator that died or hangs.
constexpr auto kReadyTimeout = std::chrono::milliseconds(500);

std::uint64_t realtime_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000U + static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace

Result<std::uint64_t> ring_total_size(const RingConfig& config, std::string_view name) {
    const auto refuse = [&](const std::string& why) { return Error(Errc::invalid_argument, quoted(name) + ": " + why); };
    if (!std::has_single_bit(config.capacity)) return refuse("capacity " + std::to_string(config.capacity) + " is not a power of two");
    switch (config.engine) {
        case Engine::spsc:
            if (config.capacity < layout::kMinSpscCapacity || config.capacity > layout::kMaxSpscCapacity)
                return refuse("capacity must be 64 bytes to 1 GiB");
            if (config.slot_size != 0) return refuse("an SPSC ring has no slot size");
            if (config.max_message > layout::spsc_max_message(config.capacity))
                return refuse("message limit " + std::to_string(config.max_message) + " above capacity / 2 - 8");
            return layout::kDataOffset + config.capacity;
        case Engine::mpmc:
        case Engine::topic:
            if (config.capacity > layout::kMaxMpmcSlots) return refuse("at most 16777216 slots");
            if (config.slot_size > layout::kMaxSlotSize) return refuse("slot size above 1 MiB");
            return layout::kDataOffset + config.capacity * layout::slot_stride_for(config.slot_size);
        case Engine::service:
            // The request queue's slots carry ids; requests and responses live in the call slots.
            if (config.slot_size != layout::kServiceQueueSlotSize) return refuse("a service's queue slots hold 8-byte request ids");
            if (config.max_messages == 0 || config.max_messages > layout::kMaxServiceCalls)
                return refuse("pending calls must be 1 to " + std::to_string(layout::kMaxServiceCalls));
            if (config.capacity != std::bit_ceil(2 * config.max_messages))
                return refuse("the request queue must have twice as many slots as calls, rounded up to a power of two");
            if (config.max_message == 0 || config.max_message > layout::kMaxSlotSize || config.max_response == 0 ||
                config.max_response > layout::kMaxSlotSize)
                return refuse("request and response sizes must be 1 byte to 1 MiB");
            return layout::kDataOffset + config.capacity * layout::slot_stride_for(layout::kServiceQueueSlotSize) +
                   config.max_messages * layout::call_stride_for(config.max_message, config.max_response);
        case Engine::cell:
            if (config.capacity != layout::kCellBuffers) return refuse("a cell has " + std::to_string(layout::kCellBuffers) + " value buffers");
            if (config.slot_size == 0 || config.slot_size > layout::kMaxCellValue) return refuse("a cell's value must be 1 byte to 64 MiB");
            return layout::kDataOffset + sizeof(layout::CellBlock) + config.capacity * layout::slot_stride_for(config.slot_size);
        case Engine::lock:
        case Engine::semaphore:
            if (config.capacity != 1 || config.slot_size != 0) return refuse("a lock or semaphore has no slots");
            if (config.engine == Engine::semaphore &&
                (config.max_messages == 0 || config.max_messages > layout::kMaxSemaphoreCount || config.initial_count > config.max_messages))
                return refuse("a semaphore's maximum must be 1 to " + std::to_string(layout::kMaxSemaphoreCount) +
                              ", its initial count at most that");
            return layout::kDataOffset + layout::kStateBlockSize;
    }
    return refuse("unknown engine");
}

namespace {

// The header of a cell, lock or semaphore: each field that is not theirs is zero.
Result<RingGeometry> validate_state_header(const layout::SegmentHeader& h, RingGeometry g, const std::string& where) {
    const auto fail = [&](const std::string& why) { return Error(Errc::corrupt, where + ": " + why); };
    if (h.kind != static_cast<std::uint32_t>(layout::ChannelKind::raw) || h.topic_policy != 0 || h.max_response != 0 || h.call_stride != 0)
        return fail("fields of a ring in a " + std::string(layout::engine_name(g.engine)));
    const bool cell = g.engine == Engine::cell;
    if (cell ? h.slot_stride != layout::slot_stride_for(h.slot_size) || h.max_message != h.slot_size || h.max_messages != 0
             : h.slot_stride != 0 || h.max_message != 0 || (g.engine == Engine::lock && h.max_messages != 0))
        return fail("limits do not match the geometry");
    g.slot_size = h.slot_size;
    g.slot_stride = h.slot_stride;
    g.max_message = h.max_message;
    g.max_messages = h.max_messages;
    return g;
}

}  // namespace

Result<RingGeometry> validate_header(const layout::SegmentHeader& h, std::uint64_t object_size, std::string_view context) {
    const auto fail = [&](Errc code, const std::string& why) { return Error(code, quoted(context) + ": " + why); };
    if (h.magic != layout::kMagic) return fail(Errc::bad_magic, "magic " + std::to_string(h.magic));
    if (h.layout_version != layout::kLayoutVersion)
        return fail(Errc::version_mismatch, "layout version " + std::to_string(h.layout_version) + ", this library reads " +
                                                std::to_string(layout::kLayoutVersion));
    if (h.header_size != layout::kDataOffset) return fail(Errc::corrupt, "header size " + std::to_string(h.header_size));
    if (h.max_endpoints != layout::kMaxEndpoints) return fail(Errc::corrupt, "endpoint count " + std::to_string(h.max_endpoints));
    if (h.kind > static_cast<std::uint32_t>(layout::ChannelKind::queue)) return fail(Errc::corrupt, "kind " + std::to_string(h.kind));
    RingConfig config;
    config.engine = static_cast<Engine>(h.engine);
    config.capacity = h.capacity;
    config.slot_size = h.slot_size;
    config.max_message = h.max_message;
    config.max_messages = h.max_messages;
    config.max_response = h.max_response;
    const bool service = config.engine == Engine::service;
    if (config.engine != Engine::spsc && config.engine != Engine::mpmc && config.engine != Engine::topic && !service &&
        !layout::keeps_state(config.engine))
        return fail(Errc::corrupt, "engine " + std::to_string(h.engine));
    if (service && (h.kind != static_cast<std::uint32_t>(layout::ChannelKind::raw) || h.topic_policy != 0 ||
                    h.slot_stride != layout::slot_stride_for(layout::kServiceQueueSlotSize) ||
                    h.call_stride != layout::call_stride_for(h.max_message, h.max_response)))
        return fail(Errc::corrupt, "service limits do not match its geometry");
    if (!service && (h.max_response != 0 || h.call_stride != 0)) return fail(Errc::corrupt, "call geometry in a ring that is no service");
    const auto size = ring_total_size(config, context);
    if (!size) return fail(Errc::corrupt, "geometry out of range (capacity " + std::to_string(h.capacity) + ", slot size " + std::to_string(h.slot_size) + ")");
    if (h.total_size != *size) return fail(Errc::corrupt, "total size " + std::to_string(h.total_size) + " does not match the geometry");
    if (object_size < h.total_size)
        return fail(Errc::truncated, std::to_string(object_size) + " bytes, header says " + std::to_string(h.total_size));
    RingGeometry g{};
    g.engine = config.engine;
    g.kind = static_cast<layout::ChannelKind>(h.kind);
    g.capacity = h.capacity;
    g.mask = h.capacity - 1;
    g.header_size = h.header_size;
    g.total_size = h.total_size;
    if (layout::keeps_state(g.engine)) return validate_state_header(h, g, quoted(context));
    const bool queue = g.kind == layout::ChannelKind::queue;
    if (g.engine == Engine::spsc) {
        if (h.slot_stride != 0 || h.max_message == 0 || h.max_message > layout::spsc_max_message(h.capacity))
            return fail(Errc::corrupt, "SPSC limits do not match the capacity");
        g.max_message = h.max_message;
        g.record_stride = queue ? layout::record_size(h.max_message) : 0;
    } else if (service) {
        g.slot_size = h.slot_size;
        g.slot_stride = h.slot_stride;
        g.max_message = h.max_message;
        g.max_request = h.max_message;
        g.max_response = h.max_response;
        g.call_stride = h.call_stride;
        g.calls_offset = h.capacity * h.slot_stride;
        g.max_messages = h.max_messages;
        return g;  // checked by ring_total_size above
    } else {
        if (h.slot_stride != layout::slot_stride_for(h.slot_size) || h.max_message != h.slot_size)
            return fail(Errc::corrupt, "slot stride or message limit does not match the slot size");
        g.slot_size = h.slot_size;
        g.slot_stride = h.slot_stride;
        g.max_message = h.max_message;
    }
    const bool topic = g.engine == Engine::topic;
    if (topic ? h.kind != static_cast<std::uint32_t>(layout::ChannelKind::raw) || h.topic_policy > 1 : h.topic_policy != 0)
        return fail(Errc::corrupt, "topic policy " + std::to_string(h.topic_policy) + " of a kind " + std::to_string(h.kind) + " ring");
    // A queue's bound is what its data area holds at most: whole records (SPSC) or slots (MPMC);
    // a topic's capacity is at most its slots.
    const bool bounded = queue || topic;
    const std::uint64_t most_messages = !bounded ? 0 : g.engine == Engine::spsc ? h.capacity / g.record_stride : h.capacity;
    if (bounded ? h.max_messages == 0 || h.max_messages > most_messages : h.max_messages != 0)
        return fail(Errc::corrupt, "message bound " + std::to_string(h.max_messages) + " does not match the geometry");
    g.max_messages = h.max_messages;
    g.topic_policy = static_cast<layout::TopicPolicy>(h.topic_policy);
    return g;
}

Result<RingGeometry> format_ring(std::byte* base, const RingConfig& config, std::string_view name) {
    auto total = ring_total_size(config, name);
    if (!total) return total.error();
    // The bytes are zeroed: every position, counter, role word and event starts at zero. What is
    // left to write is the header and, for MPMC, each slot's initial sequence.
    auto& h = *reinterpret_cast<layout::SegmentHeader*>(base + layout::kHeaderOffset);
    const ProcessIdentity me = current_process();
    h.magic = layout::kMagic;
    h.layout_version = layout::kLayoutVersion;
    h.header_size = layout::kDataOffset;
    h.total_size = *total;
    h.engine = static_cast<std::uint32_t>(config.engine);
    h.kind = static_cast<std::uint32_t>(config.kind);
    h.capacity = config.capacity;
    h.max_endpoints = layout::kMaxEndpoints;
    h.creator_uid = ::geteuid();
    h.creator_pid = me.pid;
    h.creator_start_time = me.start_time;
    h.created_realtime_ns = realtime_ns();
    h.mode = config.mode;
    h.max_messages = config.max_messages;
    h.topic_policy = config.engine == Engine::topic ? static_cast<std::uint32_t>(config.topic_policy) : 0U;
    h.options = (config.options.prefault ? layout::kOptionPrefault : 0U) | (config.options.lock ? layout::kOptionLocked : 0U) |
                (config.options.huge_pages ? layout::kOptionHugePages : 0U);
    if (config.engine == Engine::spsc) {
        h.max_message = config.max_message != 0 ? config.max_message
                                                : static_cast<std::uint32_t>(layout::spsc_max_message(config.capacity));
    } else if (layout::keeps_state(config.engine)) {
        h.slot_size = config.slot_size;
        h.slot_stride = config.engine == Engine::cell ? static_cast<std::uint32_t>(layout::slot_stride_for(config.slot_size)) : 0U;
        h.max_message = config.slot_size;
        // Relaxed: the creator's release of the ready state publishes it.
        if (config.engine == Engine::semaphore)
            reinterpret_cast<layout::SemaphoreBlock*>(base + layout::kDataOffset)->count.store(config.initial_count, std::memory_order_relaxed);
    } else if (config.engine == Engine::service) {
        h.slot_size = config.slot_size;
        h.slot_stride = static_cast<std::uint32_t>(layout::slot_stride_for(config.slot_size));
        h.max_message = config.max_message;
        h.max_response = config.max_response;
        h.call_stride = static_cast<std::uint32_t>(layout::call_stride_for(config.max_message, config.max_response));
    } else {
        h.slot_size = config.slot_size;
        h.slot_stride = static_cast<std::uint32_t>(layout::slot_stride_for(config.slot_size));
        h.max_message = config.slot_size;
    }
    auto geometry = validate_header(h, *total, name);
    if (!geometry) return geometry.error();
    if (config.engine == Engine::mpmc || config.engine == Engine::service) detail::format_slots(RingView(base, *geometry));
    return geometry;
}

Result<RingSegment> RingSegment::create(std::string_view name, const RingConfig& config) {
    if (auto valid = Segment::validate_name(name); !valid) return valid.error();
    auto total = ring_total_size(config, name);
    if (!total) return total.error();
    auto segment = Segment::create(name, *total, config.mode, config.options);
    if (!segment) return segment.error();
    RingConfig recorded = config;
    recorded.options.huge_pages = config.options.huge_pages && segment->warning().empty();  // what we got, not what we asked
    auto geometry = format_ring(segment->base(), recorded, name);
    if (!geometry) return geometry.error();
    auto& h = *reinterpret_cast<layout::SegmentHeader*>(segment->base() + layout::kHeaderOffset);
    // [R0] release, pairs with [A0] in open: an opener that sees "ready" sees every byte above.
    h.state.store(layout::kStateReady, std::memory_order_release);
    segment->keep();
    return RingSegment(std::move(*segment), *geometry);
}

Result<RingSegment> RingSegment::open(std::string_view name, Access access, const RingExpectation& expect,
                                      const SegmentOptions& options) {
    auto segment = Segment::open(name, access, options);
    if (!segment) return segment.error();
    auto& shared = *reinterpret_cast<layout::SegmentHeader*>(segment->base() + layout::kHeaderOffset);
    const auto give_up = Clock::now() + kReadyTimeout;
    // [A0] acquire, pairs with [R0] in create.
    while (shared.state.load(std::memory_order_acquire) != layout::kStateReady) {
        if (Clock::now() >= give_up) return Error(Errc::not_ready, quoted(name) + ": still initialising after 500 ms");
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    // One copy, validated, then trusted: the shared header may change under us at any time.
    layout::SegmentHeader header;
    std::memcpy(static_cast<void*>(&header), segment->base(), sizeof header);
    auto geometry = validate_header(header, segment->size(), name);
    if (!geometry) return geometry.error();
    if (expect.engine && *expect.engine != geometry->engine)
        return Error(Errc::wrong_kind, quoted(name) + ": engine is " + layout::engine_name(geometry->engine));
    if (expect.kind && *expect.kind != geometry->kind)
        return Error(Errc::wrong_kind, quoted(name) + ": channel kind " + std::to_string(static_cast<unsigned>(geometry->kind)));
    if (options.prefault) segment->prefault(geometry->total_size);
    return RingSegment(std::move(*segment), *geometry);
}

}  // namespace shmring
