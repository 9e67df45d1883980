#include "ring_text.hpp"

#include "process_usage.hpp"
#include "text_format.hpp"

namespace shmring::cli {

namespace {

std::vector<std::string> with_counters(std::vector<std::string> cells, const CounterValues& c) {
    for (const std::uint64_t value : {c.messages, c.bytes, c.full, c.empty, c.sleeps, c.wakes}) cells.push_back(std::to_string(value));
    return cells;
}

std::string role_text(const char* role, const std::optional<std::uint32_t>& endpoint, bool ever) {
    const std::string holder = endpoint ? "endpoint " + std::to_string(*endpoint) : std::string("free");
    return std::string(role) + " " + holder + (ever ? " (taken before)" : " (never taken)");
}

std::string options_text(std::uint32_t options) {
    std::string text;
    const auto add = [&](const char* name) { text += (text.empty() ? "" : ", ") + std::string(name); };
    if ((options & layout::kOptionPrefault) != 0) add("prefault");
    if ((options & layout::kOptionLocked) != 0) add("locked");
    if ((options & layout::kOptionHugePages) != 0) add("huge pages");
    return text.empty() ? "none" : text;
}

std::string pid_command(std::uint32_t pid) {
    const std::string command = process_command(pid);
    return std::to_string(pid) + "/" + (command.empty() ? "?" : command);
}

// Cells, locks and semaphores: everything `stat` shows.
std::string state_stat_text(const RingReport& v) {
    const RingCopy& r = v.ring;
    const RingGeometry& g = r.geometry;
    const bool cell = g.engine == layout::Engine::cell;
    Table facts({"name", v.name});
    facts.add({"path", v.path});
    facts.add({"state", std::string(v.state)});
    facts.add({"kind", std::string(v.kind) + " (layout version " + std::to_string(r.header.layout_version) + ")"});
    if (cell) {
        facts.add({"value", r.state.version == 0 ? std::string("none written yet (version 0)")
                                                 : "version " + std::to_string(r.state.version) +
                                                       (r.state.value_known ? ", " + std::to_string(r.state.value_bytes) + " bytes"
                                                                            : std::string(", being rewritten"))});
        facts.add({"max size", std::to_string(g.slot_size) + " bytes (" + std::to_string(g.capacity) + " value buffers, stride " +
                                   std::to_string(g.slot_stride) + ")"});
    }
    if (g.engine == layout::Engine::semaphore) facts.add({"count", std::to_string(r.state.count) + " of at most " + std::to_string(g.max_messages)});
    if (!v.consistency.empty()) {
        const std::string name = cell ? "writer lock" : "holder";
        facts.add({name, holder_text(v)});
        facts.add({"consistency", std::string(v.consistency)});
        facts.add({"owner deaths", std::to_string(r.state.owner_deaths)});
    }
    facts.add({"waiters", waiters_text(v)});
    facts.add({"object size", std::to_string(r.object_size) + " bytes (state at " + std::to_string(g.header_size) + ")"});
    facts.add({"corrupt flag", r.corrupt_flag != 0 ? "SET" : "no"});
    facts.add({"owner", "uid " + std::to_string(r.owner_uid) + ", mode " + octal_mode(r.file_mode)});
    facts.add({"created", iso_time(r.header.created_realtime_ns) + " by pid " + std::to_string(r.header.creator_pid) + " (uid " +
                              std::to_string(r.header.creator_uid) + (v.creator_alive ? ", alive)" : ", dead)") + ", mode " +
                              octal_mode(r.header.mode) + ", options " + options_text(r.header.options)});
    std::string text = facts.render();
    text += "\nendpoints: " + std::to_string(v.alive) + " alive, " + std::to_string(v.dead) + " dead\n";
    if (!v.endpoints.empty()) text += endpoints_text(v, "  ");
    return text;
}

}  // namespace

std::string holder_text(const RingReport& v) {
    if (!v.holder) return "free";
    const HolderReport& h = *v.holder;
    const std::string who = h.pid ? "pid " + pid_command(*h.pid) + ", endpoint " + std::to_string(h.endpoint)
                                  : "endpoint " + std::to_string(h.endpoint) + " (gone)";
    const std::uint64_t held_ns = v.ring.read_realtime_ns > h.since_realtime_ns ? v.ring.read_realtime_ns - h.since_realtime_ns : 0;
    return "held by " + who + (h.alive ? ", alive" : ", DEAD") + ", since " + iso_time(h.since_realtime_ns) + " (" +
           human_seconds(static_cast<double>(held_ns) / 1e9) + ")";
}

std::string waiters_text(const RingReport& v) {
    if (v.waiters.empty()) return "none";
    std::string text;
    for (const std::uint32_t index : v.waiters) {
        std::string who = "endpoint " + std::to_string(index);
        for (const EndpointReport& e : v.endpoints)
            if (e.copy.index == index) who += " (" + pid_command(e.pid) + ")";
        text += (text.empty() ? "" : ", ") + who;
    }
    return std::to_string(v.waiters.size()) + ": " + text;
}

std::string state_text(const RingReport& v) {
    const RingCopy& r = v.ring;
    switch (r.geometry.engine) {
        case layout::Engine::cell:
            return "version " + std::to_string(r.state.version) + ", " + human_bytes(static_cast<double>(r.used)) + " of " +
                   human_bytes(r.geometry.slot_size) + ", waiters " + std::to_string(v.waiters.size());
        case layout::Engine::lock:
            return holder_text(v) + ", " + std::string(v.consistency) + ", owner deaths " + std::to_string(r.state.owner_deaths) +
                   ", waiters " + std::to_string(v.waiters.size());
        case layout::Engine::semaphore:
            return "count " + std::to_string(r.state.count) + " of " + std::to_string(r.geometry.max_messages) + ", waiters " +
                   std::to_string(v.waiters.size());
        default: break;
    }
    return {};
}

// Queues show their bound and message size, whichever engine; services their pending calls and
// both sizes; other rings their data area.
std::string capacity_text(const RingReport& v) {
    const RingGeometry& g = v.ring.geometry;
    if (g.engine == layout::Engine::cell) return human_bytes(g.slot_size);
    if (g.engine == layout::Engine::lock) return "-";
    if (g.engine == layout::Engine::semaphore) return "max " + std::to_string(g.max_messages);
    if (g.engine == layout::Engine::service)
        return std::to_string(g.max_messages) + " x " + human_bytes(g.max_request) + "/" + human_bytes(g.max_response);
    if (g.kind == layout::ChannelKind::queue || g.engine == layout::Engine::topic)
        return std::to_string(g.max_messages) + " x " + human_bytes(g.max_message);
    if (g.engine == layout::Engine::spsc) return human_bytes(static_cast<double>(g.capacity));
    return std::to_string(g.capacity) + " x " + human_bytes(g.slot_size);
}

std::string used_text(const RingReport& v) {
    const RingCopy& r = v.ring;
    if (r.geometry.engine == layout::Engine::cell) return "v" + std::to_string(r.state.version) + ", " + human_bytes(static_cast<double>(r.used));
    if (r.geometry.engine == layout::Engine::lock) return !v.holder ? "free" : v.holder->alive ? "held" : "held (dead)";
    if (r.geometry.engine == layout::Engine::semaphore) return "count " + std::to_string(r.state.count);
    if (v.ring.geometry.engine == layout::Engine::service) return std::to_string(v.used_messages) + " calls";
    if (v.ring.geometry.kind == layout::ChannelKind::queue || v.ring.geometry.engine != layout::Engine::spsc)
        return std::to_string(v.used_messages) + " msgs";
    return human_bytes(static_cast<double>(v.ring.used));
}

std::string subscribers_text(const RingReport& v, const std::string& indent) {
    Table table({"#", "ROLE", "PID", "ALIVE", "WAIT", "NEXT", "LAG", "LOST", "GATING", "MESSAGES", "BYTES", "FULL", "EMPTY", "SLEEPS", "WAKES"});
    for (const EndpointReport& e : v.endpoints) {
        const bool subscriber = e.copy.role == static_cast<std::uint32_t>(layout::EndpointRole::consumer);
        // A subscriber's next message, by sequence number; the publisher's, at its position.
        const std::uint64_t next = (subscriber ? e.copy.cursor : v.ring.producer_position) + 1;
        table.add(with_counters({std::to_string(e.copy.index), std::string(e.role), std::to_string(e.pid), e.alive ? "yes" : "DEAD",
                                 std::string(e.wait), std::to_string(next), subscriber ? std::to_string(e.lag) : "-",
                                 subscriber ? std::to_string(e.copy.lost) : "-", subscriber ? (e.gating ? "yes" : "no") : "-"},
                                e.copy.counters));
    }
    return table.render(indent);
}

std::string endpoints_text(const RingReport& v, const std::string& indent) {
    if (v.ring.geometry.engine == layout::Engine::topic) return subscribers_text(v, indent);
    Table table({"#", "ROLE", "PID", "ALIVE", "STATUS", "SINCE", "WAIT", "CLAIM", "MESSAGES", "BYTES", "FULL", "EMPTY", "SLEEPS", "WAKES"});
    for (const EndpointReport& e : v.endpoints) {
        const std::string claim = e.copy.claim != 0 ? std::to_string(e.copy.claim - 1) : "-";
        table.add(with_counters({std::to_string(e.copy.index), std::string(e.role), std::to_string(e.pid), e.alive ? "yes" : "DEAD",
                                 std::string(e.status), iso_time(e.copy.attached_realtime_ns), std::string(e.wait), claim},
                                e.copy.counters));
    }
    return table.render(indent);
}

std::string calls_text(const RingReport& v, const std::string& indent) {
    const std::uint64_t pending = v.ring.pending_calls;
    std::string text = "calls: " + std::to_string(pending) + " pending";
    if (v.calls.size() < pending) text += ", the first " + std::to_string(v.calls.size()) + " listed";
    text += "\n";
    if (v.calls.empty()) return text;
    const auto cell = [](const auto& value) { return value ? std::to_string(*value) : std::string("-"); };
    Table table({"SLOT", "ID", "PHASE", "CLIENT", "CLIENT PID", "SERVER", "SERVER PID", "AGE", "REQUEST", "RESPONSE"});
    for (const CallReport& c : v.calls)
        table.add({std::to_string(c.copy.index), std::to_string(c.id), std::string(c.phase), cell(c.client), cell(c.client_pid),
                   cell(c.server), cell(c.server_pid), c.age_ns ? human_seconds(static_cast<double>(*c.age_ns) / 1e9) : "-",
                   cell(c.request_bytes), cell(c.response_bytes)});
    return text + table.render(indent);
}

std::string stat_text(const RingReport& v) {
    if (v.keeps_state) return state_stat_text(v);
    const RingCopy& r = v.ring;
    const RingGeometry& g = r.geometry;
    const bool spsc = g.engine == layout::Engine::spsc;
    Table facts({"name", v.name});
    facts.add({"path", v.path});
    facts.add({"state", std::string(v.state)});
    facts.add({"kind", std::string(v.kind) + " (" + std::string(v.engine) + " engine, layout version " + std::to_string(r.header.layout_version) + ")"});
    const bool topic = g.engine == layout::Engine::topic;
    const bool service = g.engine == layout::Engine::service;
    if (spsc) {
        facts.add({"capacity", capacity_text(v) + " (" + std::to_string(g.capacity) + " bytes)"});
    } else if (service) {
        facts.add({"capacity", std::to_string(g.max_messages) + " pending calls, requests up to " + std::to_string(g.max_request) +
                                   " bytes, responses up to " + std::to_string(g.max_response) + " bytes (call stride " +
                                   std::to_string(g.call_stride) + ", request queue of " + std::to_string(g.capacity) + " slots)"});
    } else if (topic) {
        facts.add({"capacity", std::to_string(g.max_messages) + " messages of up to " + std::to_string(g.slot_size) + " bytes (" +
                                   std::to_string(g.capacity) + " slots, stride " + std::to_string(g.slot_stride) + ")"});
        facts.add({"policy", std::string(v.policy)});
    } else {
        facts.add({"capacity", std::to_string(g.capacity) + " slots of " + std::to_string(g.slot_size) + " bytes (stride " +
                                   std::to_string(g.slot_stride) + ")"});
    }
    if (g.kind == layout::ChannelKind::queue) facts.add({"max messages", std::to_string(g.max_messages)});
    if (!service) facts.add({"max message", std::to_string(g.max_message) + " bytes"});
    facts.add({"object size", std::to_string(r.object_size) + " bytes (data area at " + std::to_string(g.header_size) + ")"});
    if (topic) {
        facts.add({"lag", "slowest subscriber " + std::to_string(v.used_messages) + " messages behind, " + percent(v.fill_percent) + " of capacity"});
        facts.add({"published", std::to_string(r.producer_position) + " messages (next sequence " + std::to_string(r.producer_position + 1) + ")" +
                                    (v.policy == "lossless" ? ", announced limit " + std::to_string(r.topic_limit) : std::string())});
    } else if (service) {
        facts.add({"pending", std::to_string(v.used_messages) + " calls, " + percent(v.fill_percent) + " of capacity"});
        facts.add({"positions", "request queue: producer " + std::to_string(r.producer_position) + ", consumer " +
                                    std::to_string(r.consumer_position)});
        // Attached: the servers' mask, which clients read to know whether anybody could answer.
        std::string attached;
        for (const std::uint32_t index : v.attached_servers) attached += (attached.empty() ? "" : ", ") + std::to_string(index);
        facts.add({"clients", std::to_string(v.clients) + " alive"});
        facts.add({"servers", std::to_string(v.servers) + " alive, " +
                                  (attached.empty() ? std::string("none attached") : "attached: endpoint " + attached)});
    } else {
        facts.add({"used", (spsc ? std::to_string(r.used) + " bytes, " : std::string()) + std::to_string(v.used_messages) +
                               (spsc ? " messages, " : " messages in flight, ") + percent(v.fill_percent) + " full"});
        facts.add({"positions", "producer " + std::to_string(r.producer_position) + ", consumer " + std::to_string(r.consumer_position) +
                                    (spsc ? ", read position " + std::to_string(r.read_position) : std::string())});
    }
    if (spsc || topic) {
        facts.add({"roles", topic ? role_text("publisher", v.producer_endpoint, (r.roles_seen & kSeenProducer) != 0)
                                  : role_text("producer", v.producer_endpoint, (r.roles_seen & kSeenProducer) != 0) + ", " +
                                        role_text("consumer", v.consumer_endpoint, (r.roles_seen & kSeenConsumer) != 0)});
    } else {
        facts.add({"repair lock", v.repair_endpoint ? "endpoint " + std::to_string(*v.repair_endpoint) : std::string("free")});
    }
    facts.add({"sleepers", "data " + std::to_string(r.data_sleepers) + ", space " + std::to_string(r.space_sleepers)});
    facts.add({"corrupt flag", r.corrupt_flag != 0 ? "SET" : "no"});
    facts.add({"lost messages", std::to_string(r.lost_messages)});
    facts.add({"owner", "uid " + std::to_string(r.owner_uid) + ", mode " + octal_mode(r.file_mode)});
    facts.add({"created", iso_time(r.header.created_realtime_ns) + " by pid " + std::to_string(r.header.creator_pid) + " (uid " +
                              std::to_string(r.header.creator_uid) + (v.creator_alive ? ", alive)" : ", dead)") + ", mode " +
                              octal_mode(r.header.mode) + ", options " + options_text(r.header.options)});

    Table counters({"counters", "MESSAGES", "BYTES", "FULL", "EMPTY", "SLEEPS", "WAKES"});
    const std::string producers = topic ? "publishers" : service ? "clients" : "producers";
    const std::string consumers = topic ? "subscribers" : service ? "servers" : "consumers";
    counters.add(with_counters({producers}, v.producers));
    counters.add(with_counters({consumers}, v.consumers));
    counters.add(with_counters({"retired " + producers}, r.retired_producers));
    counters.add(with_counters({"retired " + consumers}, r.retired_consumers));

    std::string text = facts.render() + "\n" + counters.render();
    text += "\nendpoints: " + std::to_string(v.alive) + " alive, " + std::to_string(v.dead) + " dead\n";
    if (!v.endpoints.empty()) text += endpoints_text(v, "  ");
    if (service) text += "\n" + calls_text(v, "  ");
    return text;
}

}  // namespace shmring::cli
