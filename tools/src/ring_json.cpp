#include "ring_json.hpp"

#include "process_usage.hpp"
#include "ring_directory.hpp"
#include "text_format.hpp"

namespace shmring::cli {

namespace {

Json counters_json(const CounterValues& c) {
    return Json{{"messages", c.messages}, {"bytes", c.bytes}, {"full", c.full},
                {"empty", c.empty},       {"sleeps", c.sleeps}, {"wakes", c.wakes}};
}

template <class T>
Json optional_value(const std::optional<T>& value) {
    return value ? Json(*value) : Json(nullptr);
}

Json endpoint_json(const EndpointReport& e) {
    return Json{{"index", e.copy.index},
                {"role", e.role},
                {"pid", e.pid},
                {"alive", e.alive},
                {"status", e.status},
                {"attached_since", iso_time(e.copy.attached_realtime_ns)},
                {"attached_realtime_ns", e.copy.attached_realtime_ns},
                {"wait_strategy", e.wait},
                {"claim", e.copy.claim != 0 ? Json(e.copy.claim - 1) : Json(nullptr)},
                {"counters", counters_json(e.copy.counters)}};
}

// Topics: the publisher's position, and every subscriber's place behind it.
Json topic_json(const RingReport& v) {
    const RingCopy& r = v.ring;
    Json subscribers = Json::array();
    for (const EndpointReport& e : v.endpoints) {
        if (e.copy.role != static_cast<std::uint32_t>(layout::EndpointRole::consumer)) continue;
        subscribers.push_back(Json{{"index", e.copy.index},
                                   {"pid", e.pid},
                                   {"alive", e.alive},
                                   {"next_sequence", e.copy.cursor + 1},
                                   {"lag", e.lag},
                                   {"lost", e.copy.lost},
                                   {"gating", e.gating},
                                   {"counters", counters_json(e.copy.counters)}});
    }
    return Json{{"policy", v.policy},
                {"published", r.producer_position},
                {"next_sequence", r.producer_position + 1},
                {"announced_limit", r.topic_limit},
                {"slowest_lag", v.used_messages},
                {"subscribers", std::move(subscribers)}};
}

// Services: limits, who is there, and every pending call with its phase, its parties and its age.
Json service_json(const RingReport& v) {
    const RingGeometry& g = v.ring.geometry;
    Json calls = Json::array();
    for (const CallReport& c : v.calls) {
        calls.push_back(Json{{"index", c.copy.index},
                             {"id", c.id},
                             {"phase", c.phase},
                             {"client", optional_value(c.client)},
                             {"client_pid", optional_value(c.client_pid)},
                             {"server", optional_value(c.server)},
                             {"server_pid", optional_value(c.server_pid)},
                             {"sent", c.age_ns ? Json(iso_time(c.copy.sent_realtime_ns)) : Json(nullptr)},
                             {"sent_realtime_ns", c.age_ns ? Json(c.copy.sent_realtime_ns) : Json(nullptr)},
                             {"age_seconds", c.age_ns ? Json(static_cast<double>(*c.age_ns) / 1e9) : Json(nullptr)},
                             {"request_bytes", optional_value(c.request_bytes)},
                             {"response_bytes", optional_value(c.response_bytes)}});
    }
    return Json{{"max_pending", g.max_messages},
                {"max_request", g.max_request},
                {"max_response", g.max_response},
                {"call_stride", g.call_stride},
                {"clients", v.clients},
                {"servers", v.servers},
                {"attached_servers", v.attached_servers},
                {"pending", v.ring.pending_calls},
                {"calls_listed", v.calls.size()},
                {"calls", std::move(calls)}};
}

Json command_json(std::uint32_t pid) {
    const std::string command = process_command(pid);
    return command.empty() ? Json(nullptr) : Json(command);
}

Json holder_json(const RingReport& v) {
    if (!v.holder) return nullptr;
    const HolderReport& h = *v.holder;
    const std::uint64_t held_ns = v.ring.read_realtime_ns > h.since_realtime_ns ? v.ring.read_realtime_ns - h.since_realtime_ns : 0;
    return Json{{"endpoint", h.endpoint},
                {"pid", optional_value(h.pid)},
                {"command", h.pid ? command_json(*h.pid) : Json(nullptr)},
                {"alive", h.alive},
                {"since", iso_time(h.since_realtime_ns)},
                {"since_realtime_ns", h.since_realtime_ns},
                {"held_seconds", static_cast<double>(held_ns) / 1e9}};
}

Json waiters_json(const RingReport& v) {
    Json waiters = Json::array();
    for (const std::uint32_t index : v.waiters) {
        Json waiter{{"endpoint", index}, {"pid", nullptr}, {"command", nullptr}};
        for (const EndpointReport& e : v.endpoints)
            if (e.copy.index == index) {
                waiter["pid"] = e.pid;
                waiter["command"] = command_json(e.pid);
            }
        waiters.push_back(std::move(waiter));
    }
    return waiters;
}

// Cells, locks and semaphores: what their state block says.
Json state_json(const RingReport& v) {
    const RingCopy& r = v.ring;
    switch (r.geometry.engine) {
        case layout::Engine::cell:
            return Json{{"version", r.state.version},
                        {"value_bytes", r.state.value_known ? Json(r.state.value_bytes) : Json(nullptr)},
                        {"max_size", r.geometry.slot_size},
                        {"writer", holder_json(v)},
                        {"consistency", v.consistency},
                        {"owner_deaths", r.state.owner_deaths},
                        {"waiters", waiters_json(v)}};
        case layout::Engine::lock:
            return Json{{"held", v.holder.has_value()},
                        {"holder", holder_json(v)},
                        {"consistency", v.consistency},
                        {"owner_deaths", r.state.owner_deaths},
                        {"waiters", waiters_json(v)}};
        case layout::Engine::semaphore:
            return Json{{"count", r.state.count}, {"maximum", r.geometry.max_messages}, {"waiters", waiters_json(v)}};
        default: break;
    }
    return nullptr;
}

Json options_json(std::uint32_t options) {
    Json names = Json::array();
    if ((options & layout::kOptionPrefault) != 0) names.push_back("prefault");
    if ((options & layout::kOptionLocked) != 0) names.push_back("locked");
    if ((options & layout::kOptionHugePages) != 0) names.push_back("huge_pages");
    return names;
}

}  // namespace

Json stat_json(const RingReport& v) {
    const RingCopy& r = v.ring;
    const RingGeometry& g = r.geometry;
    Json endpoints = Json::array();
    for (const EndpointReport& e : v.endpoints) endpoints.push_back(endpoint_json(e));
    Json stat = Json{
        {"name", v.name},
        {"path", v.path},
        {"state", v.state},
        {"kind", v.kind},
        {"engine", v.engine},
        {"layout_version", r.header.layout_version},
        {"capacity", v.capacity},
        {"capacity_unit", v.capacity_unit},
        {"slot_size", g.slot_size},
        {"slot_stride", g.slot_stride},
        {"max_message", g.max_message},
        {"max_messages", g.max_messages},
        {"header_size", g.header_size},
        {"total_size", g.total_size},
        {"object_size", r.object_size},
        {"used", r.used},
        {"used_messages", v.used_messages},
        {"fill_percent", v.fill_percent},
        {"positions", {{"producer", r.producer_position}, {"consumer", r.consumer_position}, {"read_position", r.read_position}}},
        {"roles",
         {{"producer", {{"endpoint", optional_value(v.producer_endpoint)}, {"ever_taken", (r.roles_seen & kSeenProducer) != 0}}},
          {"consumer", {{"endpoint", optional_value(v.consumer_endpoint)}, {"ever_taken", (r.roles_seen & kSeenConsumer) != 0}}}}},
        {"repair_lock", optional_value(v.repair_endpoint)},
        {"sleepers", {{"data", r.data_sleepers}, {"space", r.space_sleepers}}},
        {"counters",
         {{"producers", counters_json(v.producers)},
          {"consumers", counters_json(v.consumers)},
          {"retired_producers", counters_json(r.retired_producers)},
          {"retired_consumers", counters_json(r.retired_consumers)},
          {"lost_messages", r.lost_messages},
          {"corrupt", r.corrupt_flag != 0}}},
        {"endpoints_alive", v.alive},
        {"endpoints_dead", v.dead},
        {"endpoints", std::move(endpoints)},
        {"owner_uid", r.owner_uid},
        {"mode", octal_mode(r.file_mode)},
        {"created", iso_time(r.header.created_realtime_ns)},
        {"created_realtime_ns", r.header.created_realtime_ns},
        {"creator", {{"pid", r.header.creator_pid}, {"uid", r.header.creator_uid}, {"alive", v.creator_alive}}},
        {"creation_mode", octal_mode(r.header.mode)},
        {"options", options_json(r.header.options)},
    };
    if (g.engine == layout::Engine::topic) stat["topic"] = topic_json(v);
    if (g.engine == layout::Engine::service) stat["service"] = service_json(v);
    if (v.keeps_state) stat[std::string(v.kind)] = state_json(v);
    return stat;
}

Json summary_json(const RingReport& v) {
    Json summary{{"name", v.name},
                {"path", v.path},
                {"state", v.state},
                {"kind", v.kind},
                {"engine", v.engine},
                {"capacity", v.capacity},
                {"capacity_unit", v.capacity_unit},
                {"max_messages", v.ring.geometry.max_messages},
                {"max_message", v.ring.geometry.max_message},
                {"used", v.ring.used},
                {"used_messages", v.used_messages},
                {"fill_percent", v.fill_percent},
                {"endpoints_alive", v.alive},
                {"endpoints_dead", v.dead}};
    if (v.keeps_state) summary[std::string(v.kind)] = state_json(v);
    return summary;
}

Json problem_json(std::string_view name, std::string_view state, const Inspection& inspection) {
    return Json{{"name", name}, {"path", ring_path(name)}, {"state", state}, {"reason", inspection.reason}};
}

}  // namespace shmring::cli
