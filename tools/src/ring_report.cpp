#include "ring_report.hpp"

#include <algorithm>

#include "diagnostics.hpp"
#include "ring_directory.hpp"
#include "shmring/detail/spsc_records.hpp"
#include "shmring/wait.hpp"

namespace shmring::cli {

namespace {

using layout::EndpointRole;
using layout::EndpointStatus;

std::string_view status_name(EndpointStatus status) {
    switch (status) {
        case EndpointStatus::attached: return "attached";
        case EndpointStatus::claiming: return "claiming";
        case EndpointStatus::free: break;
    }
    return "invalid";
}

std::string_view role_name(std::uint32_t role, bool topic) {
    switch (static_cast<EndpointRole>(role)) {
        case EndpointRole::producer: return topic ? "publisher" : "producer";
        case EndpointRole::consumer: return topic ? "subscriber" : "consumer";
        case EndpointRole::observer: return "observer";
        case EndpointRole::none: return "none";
    }
    return "unknown";
}

std::string_view wait_name(std::uint32_t strategy) {
    switch (static_cast<WaitStrategy>(strategy)) {
        case WaitStrategy::adaptive: return "adaptive";
        case WaitStrategy::spin: return "spin";
        case WaitStrategy::block: return "block";
    }
    return "unknown";
}

std::string_view kind_name(layout::ChannelKind kind) {
    switch (kind) {
        case layout::ChannelKind::pipe: return "pipe";
        case layout::ChannelKind::queue: return "queue";
        case layout::ChannelKind::raw: break;
    }
    return "raw";
}

// The entry a role word names, if it is in range and of the entry's current generation.
std::optional<std::uint32_t> holder(std::uint64_t word, const std::vector<EndpointReport>& endpoints) {
    if (word == 0) return std::nullopt;
    const std::uint32_t index = layout::role_index(word);
    for (const EndpointReport& endpoint : endpoints)
        if (endpoint.copy.index == index && layout::endpoint_generation(endpoint.copy.state) == layout::role_generation(word))
            return index;
    return std::nullopt;
}

std::uint64_t difference_or_zero(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; }

}  // namespace

RingReport report_of(std::string_view name, RingCopy ring) {
    RingReport view;
    view.name = std::string(name);
    view.path = ring_path(name);
    const RingGeometry& g = ring.geometry;
    const bool spsc = g.engine == layout::Engine::spsc;
    const bool topic = g.engine == layout::Engine::topic;
    view.kind = topic ? "topic" : kind_name(g.kind);
    view.engine = layout::engine_name(g.engine);
    view.policy = !topic ? "" : g.topic_policy == layout::TopicPolicy::lossless ? "lossless" : "lossy";
    view.capacity_unit = spsc ? "bytes" : topic ? "messages" : "slots";
    view.producers = ring.retired_producers;
    view.consumers = ring.retired_consumers;
    for (const EndpointCopy& copy : ring.endpoints) {
        EndpointReport endpoint{copy,
                              copy.pid,
                              status_name(layout::endpoint_status(copy.state)),
                              role_name(copy.role, topic),
                              wait_name(copy.wait_strategy),
                              copy.alive};
        if (topic && copy.role == static_cast<std::uint32_t>(EndpointRole::consumer)) {
            endpoint.gating = copy.index < 64 && ((ring.topic_gating >> copy.index) & 1U) != 0;
            endpoint.lag = subscriber_lag(ring, copy);
        }
        if (copy.role == static_cast<std::uint32_t>(EndpointRole::producer)) view.producers += copy.counters;
        if (copy.role == static_cast<std::uint32_t>(EndpointRole::consumer)) view.consumers += copy.counters;
        ++(endpoint.alive ? view.alive : view.dead);
        view.endpoints.push_back(endpoint);
    }
    // An SPSC queue's positions count its messages; other SPSC rings count them only in the
    // counters, read racily, so the difference can briefly be off by a few: never below 0.
    const bool queue = g.kind == layout::ChannelKind::queue;
    if (topic) {
        view.used_messages = ring.used;
    } else if (!spsc) {
        view.used_messages = ring.used;
    } else if (queue) {
        // Positions read in an unstable moment may be out of range: then no count, as `used`.
        const bool in_range = ring.producer_position - ring.consumer_position <= g.capacity;
        view.used_messages = in_range ? detail::spsc_queued_messages(g, ring.producer_position, ring.consumer_position) : 0;
    } else {
        view.used_messages = difference_or_zero(view.producers.messages, view.consumers.messages);
    }
    // Queues are as full as their bound says, topics as their slowest subscriber is behind (a
    // lossy one may be further than the capacity); other rings as their data area is.
    const double held = static_cast<double>(topic ? std::min(view.used_messages, g.max_messages) : view.used_messages);
    view.fill_percent = queue || topic ? 100.0 * held / static_cast<double>(g.max_messages)
                              : 100.0 * static_cast<double>(ring.used) / static_cast<double>(g.capacity);
    view.creator_alive = liveness(creator_of(ring.header)) == Liveness::alive;
    view.producer_endpoint = holder(ring.producer_role, view.endpoints);
    view.consumer_endpoint = holder(ring.consumer_role, view.endpoints);
    view.repair_endpoint = holder(ring.repair_lock, view.endpoints);
    view.ring = std::move(ring);
    if (view.ring.corrupt_flag != 0) {
        view.state = "corrupt";
    } else if (!view.endpoints.empty() && view.alive == 0 && !view.creator_alive) {
        view.state = "stale";
    } else {
        view.state = "ok";
    }
    return view;
}

std::optional<RingReport> report_or_fail(std::string_view name) {
    Inspection inspection = inspect_ring(name);
    switch (inspection.verdict) {
        case Verdict::ok: return report_of(name, std::move(inspection.ring));
        case Verdict::missing:
        case Verdict::unreadable: fail(name, inspection.reason); break;
        // A header that never became ready is as unusable as a damaged one.
        case Verdict::initialising:
        case Verdict::corrupt: fail(name, "corrupt: " + inspection.reason); break;
    }
    return std::nullopt;
}

}  // namespace shmring::cli
