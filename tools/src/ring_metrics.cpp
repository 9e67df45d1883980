#include "ring_metrics.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include "inspector.hpp"
#include "process_usage.hpp"
#include "ring_directory.hpp"
#include "ring_report.hpp"

namespace shmring::cli {

namespace {

using layout::EndpointRole;

struct FamilySpec {
    const char* name;
    MetricType type;
    const char* help;
};

// Every family, in the order they are printed. tools/README.md lists the same.
constexpr FamilySpec kFamilies[] = {
    {"shmring_rings", MetricType::gauge, "Rings found in /dev/shm, by state"},
    {"shmring_ring", MetricType::info, "A ring: its kind, engine, topic policy and state"},
    {"shmring_ring_capacity", MetricType::gauge, "Capacity, in the ring's unit (bytes, slots, messages or calls)"},
    {"shmring_ring_size_bytes", MetricType::gauge, "Size of the shared-memory object"},
    {"shmring_ring_max_message_bytes", MetricType::gauge, "Largest message the ring takes"},
    {"shmring_ring_used", MetricType::gauge, "What the ring holds, in its capacity's unit"},
    {"shmring_ring_used_messages", MetricType::gauge, "Messages the ring holds (topics: the slowest subscriber's lag)"},
    {"shmring_ring_fill_ratio", MetricType::gauge, "How full the ring is, 0 to 1"},
    {"shmring_ring_position", MetricType::gauge, "Producer and consumer positions (bytes, tickets or sequence numbers)"},
    {"shmring_ring_corrupt", MetricType::gauge, "1 when the ring is corrupt: its header fails validation, or an endpoint found it broken"},
    {"shmring_ring_created_timestamp_seconds", MetricType::gauge, "When the ring was created, in seconds since the epoch"},
    {"shmring_ring_endpoints", MetricType::gauge, "Endpoints registered, alive or dead"},
    {"shmring_ring_sleepers", MetricType::gauge, "Endpoints asleep waiting for data or for space"},
    {"shmring_ring_messages", MetricType::counter, "Messages sent (producer side) or received (consumer side), by every endpoint there was"},
    {"shmring_ring_bytes", MetricType::counter, "Bytes sent or received, by every endpoint there was"},
    {"shmring_ring_full", MetricType::counter, "Calls that found the ring full"},
    {"shmring_ring_empty", MetricType::counter, "Calls that found the ring empty"},
    {"shmring_ring_sleeps", MetricType::counter, "Waits that went to sleep on the futex"},
    {"shmring_ring_wakes", MetricType::counter, "Wake-up system calls made for sleepers"},
    {"shmring_ring_lost_messages", MetricType::counter, "Lossy topics: messages overwritten before a subscriber read them"},
    {"shmring_topic_slowest_lag_messages", MetricType::gauge, "Topics: how far the slowest attached subscriber is behind"},
    {"shmring_service_pending_calls", MetricType::gauge, "Services: calls not yet finished"},
    {"shmring_service_clients", MetricType::gauge, "Services: live clients"},
    {"shmring_service_servers", MetricType::gauge, "Services: live servers"},
    {"shmring_cell_version", MetricType::gauge, "Cells: the version of the latest value, 0 before the first write"},
    {"shmring_cell_value_bytes", MetricType::gauge, "Cells: the size of the latest value"},
    {"shmring_lock_held", MetricType::gauge, "Locks: 1 while held"},
    {"shmring_lock_holder_alive", MetricType::gauge, "Locks: 1 while held by a live process, 0 while held by a dead one (the next taker gets owner-died)"},
    {"shmring_lock_held_seconds", MetricType::gauge, "Locks: how long the holder has held it"},
    {"shmring_lock_consistency", MetricType::gauge, "Locks: 1 for the lock's consistency state (consistent, owner_died, not_recoverable), 0 for the others"},
    {"shmring_lock_owner_deaths", MetricType::counter, "Locks: times the lock was taken from a holder that had died holding it"},
    {"shmring_lock_waiters", MetricType::gauge, "Locks: processes asleep waiting for the lock"},
    {"shmring_semaphore_value", MetricType::gauge, "Semaphores: the count (as sem_getvalue gives it)"},
    {"shmring_semaphore_maximum", MetricType::gauge, "Semaphores: the largest count"},
    {"shmring_semaphore_waiters", MetricType::gauge, "Semaphores: processes asleep waiting for a count"},
    {"shmring_endpoint", MetricType::info, "An endpoint: its role, process and wait strategy"},
    {"shmring_endpoint_alive", MetricType::gauge, "1 while the endpoint's process is alive"},
    {"shmring_endpoint_messages", MetricType::counter, "Messages this endpoint sent or received"},
    {"shmring_endpoint_bytes", MetricType::counter, "Bytes this endpoint sent or received"},
    {"shmring_endpoint_full", MetricType::counter, "Calls of this endpoint that found the ring full"},
    {"shmring_endpoint_empty", MetricType::counter, "Calls of this endpoint that found the ring empty"},
    {"shmring_endpoint_sleeps", MetricType::counter, "Waits of this endpoint that went to sleep"},
    {"shmring_endpoint_wakes", MetricType::counter, "Wake-up system calls this endpoint made"},
    {"shmring_subscriber_lag_messages", MetricType::gauge, "Topics: how far this subscriber is behind the publisher"},
    {"shmring_subscriber_lost_messages", MetricType::counter, "Lossy topics: messages this subscriber missed"},
    {"shmring_subscriber_gating", MetricType::gauge, "Lossless topics: 1 while the publisher waits for this subscriber when a capacity ahead of it"},
    {"shmring_scrape_duration_seconds", MetricType::gauge, "How long reading every ring took"},
};

Labels ring_label(const std::string& name) { return {{"ring", name}}; }

Labels with(Labels labels, std::string_view key, std::string value) {
    labels.emplace_back(key, std::move(value));
    return labels;
}

void add_counters(Exposition& out, std::string_view prefix, const Labels& labels, const CounterValues& c) {
    const std::string p(prefix);
    out.add(p + "_messages", labels, c.messages);
    out.add(p + "_bytes", labels, c.bytes);
    out.add(p + "_full", labels, c.full);
    out.add(p + "_empty", labels, c.empty);
    out.add(p + "_sleeps", labels, c.sleeps);
    out.add(p + "_wakes", labels, c.wakes);
}

void add_endpoint(Exposition& out, const RingReport& v, const EndpointReport& e) {
    const Labels labels{{"ring", v.name}, {"endpoint", std::to_string(e.copy.index)}, {"role", std::string(e.role)}, {"pid", std::to_string(e.pid)}};
    out.add("shmring_endpoint", with(with(labels, "command", e.alive ? process_command(e.pid) : ""), "wait_strategy", std::string(e.wait)),
            std::uint64_t{1});
    out.add("shmring_endpoint_alive", labels, std::uint64_t{e.alive ? 1U : 0U});
    add_counters(out, "shmring_endpoint", labels, e.copy.counters);
    const bool subscriber = v.ring.geometry.engine == layout::Engine::topic &&
                            e.copy.role == static_cast<std::uint32_t>(EndpointRole::consumer);
    if (!subscriber) return;
    const Labels who{{"ring", v.name}, {"endpoint", std::to_string(e.copy.index)}, {"pid", std::to_string(e.pid)}};
    out.add("shmring_subscriber_lag_messages", who, e.lag);
    out.add("shmring_subscriber_lost_messages", who, e.copy.lost);
    out.add("shmring_subscriber_gating", who, std::uint64_t{e.gating ? 1U : 0U});
}

// Cells, locks and semaphores: the ring families that mean something for them, and their own.
void add_state(Exposition& out, const RingReport& v) {
    const RingCopy& r = v.ring;
    const Labels ring = ring_label(v.name);
    const auto flag = [](bool value) { return std::uint64_t{value ? 1U : 0U}; };
    switch (r.geometry.engine) {
        case layout::Engine::cell:
            out.add("shmring_cell_version", ring, r.state.version);
            if (r.state.value_known) out.add("shmring_cell_value_bytes", ring, std::uint64_t{r.state.value_bytes});
            break;
        case layout::Engine::lock: {
            out.add("shmring_lock_held", ring, flag(v.holder.has_value()));
            out.add("shmring_lock_holder_alive", ring, flag(v.holder && v.holder->alive));
            const std::uint64_t since = v.holder ? v.holder->since_realtime_ns : 0;
            out.add("shmring_lock_held_seconds", ring,
                    v.holder && r.read_realtime_ns > since ? static_cast<double>(r.read_realtime_ns - since) / 1e9 : 0.0);
            for (const char* state : {"consistent", "owner_died", "not_recoverable"})
                out.add("shmring_lock_consistency", with(ring, "state", state), flag(v.consistency == state));
            out.add("shmring_lock_owner_deaths", ring, r.state.owner_deaths);
            out.add("shmring_lock_waiters", ring, std::uint64_t{v.waiters.size()});
            break;
        }
        case layout::Engine::semaphore:
            out.add("shmring_semaphore_value", ring, std::uint64_t{r.state.count});
            out.add("shmring_semaphore_maximum", ring, r.geometry.max_messages);
            out.add("shmring_semaphore_waiters", ring, std::uint64_t{v.waiters.size()});
            break;
        default: break;
    }
}

void add_ring(Exposition& out, const RingReport& v) {
    const RingCopy& r = v.ring;
    const RingGeometry& g = r.geometry;
    const Labels ring = ring_label(v.name);
    out.add("shmring_ring",
            {{"ring", v.name}, {"kind", std::string(v.kind)}, {"engine", std::string(v.engine)}, {"policy", std::string(v.policy)},
             {"state", std::string(v.state)}},
            std::uint64_t{1});
    out.add("shmring_ring_capacity", with(ring, "unit", std::string(v.capacity_unit)), v.capacity);
    out.add("shmring_ring_size_bytes", ring, r.object_size);
    if (v.keeps_state) {
        // No messages, positions or ring counters: what they hold is their state.
        out.add("shmring_ring_corrupt", ring, std::uint64_t{r.corrupt_flag != 0 ? 1U : 0U});
        out.add("shmring_ring_created_timestamp_seconds", ring, static_cast<double>(r.header.created_realtime_ns) / 1e9);
        out.add("shmring_ring_endpoints", with(ring, "status", "alive"), std::uint64_t{v.alive});
        out.add("shmring_ring_endpoints", with(ring, "status", "dead"), std::uint64_t{v.dead});
        out.add("shmring_ring_sleepers", with(ring, "waiting_for", "data"), std::uint64_t{r.data_sleepers});
        add_state(out, v);
        for (const EndpointReport& e : v.endpoints) add_endpoint(out, v, e);
        return;
    }
    out.add("shmring_ring_max_message_bytes", ring, std::uint64_t{g.max_message});
    out.add("shmring_ring_used", with(ring, "unit", std::string(v.capacity_unit)), r.used);
    out.add("shmring_ring_used_messages", ring, v.used_messages);
    out.add("shmring_ring_fill_ratio", ring, v.fill_percent / 100.0);
    out.add("shmring_ring_position", with(ring, "side", "producer"), r.producer_position);
    out.add("shmring_ring_position", with(ring, "side", "consumer"), r.consumer_position);
    out.add("shmring_ring_corrupt", ring, std::uint64_t{r.corrupt_flag != 0 ? 1U : 0U});
    out.add("shmring_ring_created_timestamp_seconds", ring, static_cast<double>(r.header.created_realtime_ns) / 1e9);
    out.add("shmring_ring_endpoints", with(ring, "status", "alive"), std::uint64_t{v.alive});
    out.add("shmring_ring_endpoints", with(ring, "status", "dead"), std::uint64_t{v.dead});
    out.add("shmring_ring_sleepers", with(ring, "waiting_for", "data"), std::uint64_t{r.data_sleepers});
    out.add("shmring_ring_sleepers", with(ring, "waiting_for", "space"), std::uint64_t{r.space_sleepers});
    add_counters(out, "shmring_ring", with(ring, "side", "producer"), v.producers);
    add_counters(out, "shmring_ring", with(ring, "side", "consumer"), v.consumers);
    if (g.engine == layout::Engine::topic) {
        out.add("shmring_ring_lost_messages", ring, r.lost_messages);
        out.add("shmring_topic_slowest_lag_messages", ring, v.used_messages);
    }
    if (g.engine == layout::Engine::service) {
        out.add("shmring_service_pending_calls", ring, r.pending_calls);
        out.add("shmring_service_clients", ring, std::uint64_t{v.clients});
        out.add("shmring_service_servers", ring, std::uint64_t{v.servers});
    }
    for (const EndpointReport& e : v.endpoints) add_endpoint(out, v, e);
}


// The rings to read: every ring, or those named, each once (a series twice is a broken exposition).
std::vector<std::string> rings_to_read(const std::vector<std::string>& names) {
    if (names.empty()) return ring_names();
    std::vector<std::string> unique;
    for (const std::string& name : names)
        if (std::find(unique.begin(), unique.end(), name) == unique.end()) unique.push_back(name);
    return unique;
}

}  // namespace

RingMetrics ring_metrics(const std::vector<std::string>& names) {
    const auto started = std::chrono::steady_clock::now();
    RingMetrics metrics;
    Exposition& out = metrics.exposition;
    for (const FamilySpec& family : kFamilies) out.declare(family.name, family.type, family.help);
    std::map<std::string, std::uint64_t, std::less<>> states;
    for (const std::string_view state : kRingStates) states.emplace(state, 0);
    for (const std::string& name : rings_to_read(names)) {
        Inspection inspection = inspect_ring(name);
        if (inspection.verdict == Verdict::missing) {
            if (!names.empty()) metrics.failures.push_back(name + ": " + inspection.reason);  // removed since listed: no error
            continue;
        }
        if (inspection.verdict != Verdict::ok) {
            // What cannot be read is still a ring: it is counted, and shown with its state.
            const std::string state(verdict_name(inspection.verdict));
            ++states[state];
            out.add("shmring_ring", {{"ring", name}, {"kind", ""}, {"engine", ""}, {"policy", ""}, {"state", state}}, std::uint64_t{1});
            if (inspection.verdict == Verdict::corrupt) out.add("shmring_ring_corrupt", ring_label(name), std::uint64_t{1});
            if (inspection.verdict == Verdict::unreadable && !names.empty()) metrics.failures.push_back(name + ": " + inspection.reason);
            continue;
        }
        const RingReport view = report_of(name, std::move(inspection.ring));
        ++states[std::string(view.state)];
        add_ring(out, view);
    }
    for (const auto& [state, count] : states) out.add("shmring_rings", {{"state", state}}, count);
    out.add("shmring_scrape_duration_seconds", {}, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return metrics;
}

}  // namespace shmring::cli
