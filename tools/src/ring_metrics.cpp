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
