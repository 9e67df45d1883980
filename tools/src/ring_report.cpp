#include "ring_report.hpp"

#include <algorithm>
#include <bit>

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

// Topics and services name their producers and consumers by what they do.
std::string_view role_name(std::uint32_t role, layout::Engine engine) {
    const bool topic = engine == layout::Engine::topic;
    const bool service = engine == layout::Engine::service;
    switch (static_cast<EndpointRole>(role)) {
        case EndpointRole::producer: return topic ? "publisher" : service ? "client" : "producer";
        case EndpointRole::consumer: return topic ? "subscriber" : service ? "server" : "consumer";
        case EndpointRole::observer: return "observer";
        case EndpointRole::user: return "user";
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
const EndpointReport* holder_entry(std::uint64_t word, const std::vector<EndpointReport>& endpoints) {
    if (word == 0) return nullptr;
    const std::uint32_t index = layout::role_index(word);
    for (const EndpointReport& endpoint : endpoints)
        if (endpoint.copy.index == index && layout::endpoint_generation(endpoint.copy.state) == layout::role_generation(word))
            return &endpoint;
    return nullptr;
}

std::optional<std::uint32_t> holder(std::uint64_t word, const std::vector<EndpointReport>& endpoints) {
    if (const EndpointReport* endpoint = holder_entry(word, endpoints)) return endpoint->copy.index;
    return std::nullopt;
}

std::uint64_t difference_or_zero(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; }

std::string_view phase_name(layout::CallPhase phase) {
    switch (phase) {
        case layout::CallPhase::writing: return "writing";
        case layout::CallPhase::queued: return "queued";
        case layout::CallPhase::serving: return "serving";
        case layout::CallPhase::answered: return "answered";
        case layout::CallPhase::abandoned: return "abandoned";
        case layout::CallPhase::reset: return "reset";
        case layout::CallPhase::refused: return "refused";
        case layout::CallPhase::free: break;
    }
    return "free";  // never listed: the inspector copies pending calls only
}

// The pid of the owner of entry `index`, if the entry is in use.
std::optional<std::uint32_t> pid_of(std::uint32_t index, const std::vector<EndpointReport>& endpoints) {
    for (const EndpointReport& endpoint : endpoints)
        if (endpoint.copy.index == index) return endpoint.pid;
    return std::nullopt;
}

// A tag in a call's state names entry tag - 1; 0 names none (the inspector checked the range).
std::optional<std::uint32_t> entry_of_tag(std::uint32_t tag) { return tag != 0 ? std::optional<std::uint32_t>(tag - 1) : std::nullopt; }

CallReport call_report(const CallCopy& copy, const RingCopy& ring, const std::vector<EndpointReport>& endpoints) {
    const layout::CallPhase phase = layout::call_phase(copy.state);
    CallReport call;
    call.copy = copy;
    call.id = layout::request_id(layout::call_generation(copy.state), copy.index);
    call.phase = phase_name(phase);
    call.client = entry_of_tag(layout::call_client(copy.state));
    call.server = entry_of_tag(layout::call_server(copy.state));
    if (call.client) call.client_pid = pid_of(*call.client, endpoints);
    if (call.server) call.server_pid = pid_of(*call.server, endpoints);
    if (copy.settled && phase != layout::CallPhase::writing) {
        // Clocks of different processes may disagree a little: a call sent "after" the read is 0 old.
        call.age_ns = difference_or_zero(ring.read_realtime_ns, copy.sent_realtime_ns);
        call.request_bytes = copy.request_length;
        if (phase == layout::CallPhase::answered) call.response_bytes = copy.response_length;
    }
    return call;
}

std::string_view consistency_name(std::uint32_t consistency) {
    switch (static_cast<layout::LockConsistency>(consistency)) {
        case layout::LockConsistency::consistent: return "consistent";
        case layout::LockConsistency::owner_died: return "owner_died";
        case layout::LockConsistency::not_recoverable: return "not_recoverable";
    }
    return "unknown";  // never: the inspector checked it
}

// Cells, locks and semaphores: what their state block says, in the ring's figures.
void add_state(RingReport& view, const RingCopy& ring) {
    const RingGeometry& g = ring.geometry;
    view.keeps_state = true;
    view.kind = view.engine;
    const bool cell = g.engine == layout::Engine::cell;
    const bool lock = g.engine == layout::Engine::lock;
    view.capacity_unit = cell ? "bytes" : lock ? "holders" : "count";
    view.capacity = cell ? g.slot_size : lock ? 1 : g.max_messages;
    view.used_messages = ring.used;
    view.fill_percent = 100.0 * static_cast<double>(ring.used) / static_cast<double>(std::max<std::uint64_t>(view.capacity, 1));
    if (g.engine != layout::Engine::semaphore) {
        view.consistency = consistency_name(ring.state.consistency);
        if (ring.state.holder != 0) {
            HolderReport holder;
            holder.endpoint = layout::role_index(ring.state.holder);
            holder.since_realtime_ns = ring.state.since_realtime_ns;
            if (const auto current = holder_entry(ring.state.holder, view.endpoints)) {
                holder.pid = current->pid;
                holder.alive = current->alive && layout::endpoint_status(current->copy.state) == EndpointStatus::attached;
            }
            view.holder = holder;
        }
    }
    for (std::uint64_t mask = ring.data_sleeper_mask; mask != 0; mask &= mask - 1)
        view.waiters.push_back(static_cast<std::uint32_t>(std::countr_zero(mask)));
}

}  // namespace

RingReport report_of(std::string_view name, RingCopy ring) {
    RingReport view;
    view.name = std::string(name);
    view.path = ring_path(name);
    const RingGeometry& g = ring.geometry;
    const bool spsc = g.engine == layout::Engine::spsc;
    const bool topic = g.engine == layout::Engine::topic;
    const bool service = g.engine == layout::Engine::service;
    view.kind = topic ? "topic" : service ? "service" : kind_name(g.kind);
    view.engine = layout::engine_name(g.engine);
    view.policy = !topic ? "" : g.topic_policy == layout::TopicPolicy::lossless ? "lossless" : "lossy";
    view.capacity_unit = spsc ? "bytes" : topic ? "messages" : service ? "calls" : "slots";
    view.capacity = topic || service ? g.max_messages : g.capacity;
    view.producers = ring.retired_producers;
    view.consumers = ring.retired_consumers;
    for (const EndpointCopy& copy : ring.endpoints) {
        EndpointReport endpoint{copy,
                              copy.pid,
                              status_name(layout::endpoint_status(copy.state)),
                              role_name(copy.role, g.engine),
                              wait_name(copy.wait_strategy),
                              copy.alive};
        if (topic && copy.role == static_cast<std::uint32_t>(EndpointRole::consumer)) {
            endpoint.gating = copy.index < 64 && ((ring.topic_gating >> copy.index) & 1U) != 0;
            endpoint.lag = subscriber_lag(ring, copy);
        }
        if (copy.role == static_cast<std::uint32_t>(EndpointRole::producer)) view.producers += copy.counters;
        if (copy.role == static_cast<std::uint32_t>(EndpointRole::consumer)) view.consumers += copy.counters;
        ++(endpoint.alive ? view.alive : view.dead);
        if (service && endpoint.alive) {
            if (copy.role == static_cast<std::uint32_t>(EndpointRole::producer)) ++view.clients;
            if (copy.role == static_cast<std::uint32_t>(EndpointRole::consumer)) ++view.servers;
        }
        view.endpoints.push_back(endpoint);
    }
    // An SPSC queue's positions count its messages; other SPSC rings count them only in the
    // counters, read racily, so the difference can briefly be off by a few: never below 0.
    const bool queue = g.kind == layout::ChannelKind::queue;
    if (!spsc) {
        view.used_messages = ring.used;  // MPMC tickets in flight, a topic's slowest lag, a service's pending calls
    } else if (queue) {
        // Positions read in an unstable moment may be out of range: then no count, as `used`.
        const bool in_range = ring.producer_position - ring.consumer_position <= g.capacity;
        view.used_messages = in_range ? detail::spsc_queued_messages(g, ring.producer_position, ring.consumer_position) : 0;
    } else {
        view.used_messages = difference_or_zero(view.producers.messages, view.consumers.messages);
    }
    // Queues are as full as their bound says, topics as their slowest subscriber is behind (a
    // lossy one may be further than the capacity), services as their call slots are taken; other
    // rings as their data area is.
    const double held = static_cast<double>(topic ? std::min(view.used_messages, g.max_messages) : view.used_messages);
    view.fill_percent = queue || topic || service ? 100.0 * held / static_cast<double>(g.max_messages)
                              : 100.0 * static_cast<double>(ring.used) / static_cast<double>(g.capacity);
    view.creator_alive = liveness(creator_of(ring.header)) == Liveness::alive;
    view.producer_endpoint = holder(ring.producer_role, view.endpoints);
    view.consumer_endpoint = holder(ring.consumer_role, view.endpoints);
    view.repair_endpoint = holder(ring.repair_lock, view.endpoints);
    for (std::uint64_t mask = ring.server_mask; mask != 0; mask &= mask - 1)
        view.attached_servers.push_back(static_cast<std::uint32_t>(std::countr_zero(mask)));
    for (const CallCopy& copy : ring.calls) view.calls.push_back(call_report(copy, ring, view.endpoints));
    if (layout::keeps_state(g.engine)) add_state(view, ring);
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
