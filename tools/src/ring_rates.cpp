#include "ring_rates.hpp"

#include "inspector.hpp"
#include "process_usage.hpp"
#include "ring_directory.hpp"
#include "text_format.hpp"

namespace shmring::cli {

Sample sample_of(const RingReport& view) { return {SampleClock::now(), view.producers, view.consumers}; }

Rates rates_between(const Sample& before, const Sample& after) {
    const double seconds = std::chrono::duration<double>(after.when - before.when).count();
    // A ring removed and created again under the same name starts its counters anew: no negative rates.
    const auto per_second = [&](std::uint64_t from, std::uint64_t to) {
        return to > from && seconds > 0 ? static_cast<double>(to - from) / seconds : 0.0;
    };
    return {per_second(before.producers.messages, after.producers.messages), per_second(before.producers.bytes, after.producers.bytes),
            per_second(before.consumers.messages, after.consumers.messages), per_second(before.consumers.bytes, after.consumers.bytes)};
}

std::string rate_text(double messages, double bytes) { return human_count(messages) + " msg/s " + human_bytes(bytes) + "/s"; }

Json rates_json(const std::optional<Rates>& rates) {
    if (!rates) return nullptr;
    return Json{{"in", {{"messages_per_second", rates->in_messages}, {"bytes_per_second", rates->in_bytes}}},
                {"out", {{"messages_per_second", rates->out_messages}, {"bytes_per_second", rates->out_bytes}}}};
}

std::string processes_text(const RingReport& view) {
    std::string text;
    for (const EndpointReport& e : view.endpoints) {
        if (!e.alive) continue;
        const std::string command = process_command(e.pid);
        text += (text.empty() ? "" : ",") + std::to_string(e.pid) + "/" + (command.empty() ? "?" : command);
    }
    if (view.dead != 0) text += (text.empty() ? "" : " ") + std::string("+") + std::to_string(view.dead) + " dead";
    return text.empty() ? "-" : text;
}

Json live_json(const RingReport& view, const std::optional<Rates>& rates) {
    Json ring = summary_json(view);
    ring["rates"] = rates_json(rates);
    ring["processes"] = processes_json(view);
    return ring;
}

std::map<std::string, Sample> ring_samples() {
    std::map<std::string, Sample> samples;
    for (const std::string& name : ring_names()) {
        Inspection inspection = inspect_ring(name);
        if (inspection.verdict == Verdict::ok) samples.emplace(name, sample_of(report_of(name, std::move(inspection.ring))));
    }
    return samples;
}

Json processes_json(const RingReport& view) {
    Json processes = Json::array();
    for (const EndpointReport& e : view.endpoints) {
        const std::string command = e.alive ? process_command(e.pid) : std::string();
        processes.push_back(Json{{"pid", e.pid},
                                 {"command", command.empty() ? Json(nullptr) : Json(command)},
                                 {"role", e.role},
                                 {"alive", e.alive}});
    }
    return processes;
}

}  // namespace shmring::cli
