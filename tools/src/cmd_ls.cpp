// shmring ls: every ring in /dev/shm, one line each, with its traffic over a short look (two reads
// of its counters --interval apart) and the processes attached, as `ss -p` shows a socket's. A ring
// that cannot be inspected is listed with its state and its reason goes to stderr; the listing
// goes on.
#include <cstdio>
#include <map>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "inspector.hpp"
#include "ring_directory.hpp"
#include "ring_json.hpp"
#include "ring_rates.hpp"
#include "ring_report.hpp"
#include "ring_text.hpp"
#include "stop_signal.hpp"
#include "text_format.hpp"

namespace shmring::cli {

int run_ls(const LsOptions& options) {
    std::map<std::string, Sample> first;
    if (options.interval_seconds > 0) {
        first = ring_samples();
        sleep_unless_stopped(options.interval_seconds);
    }
    Json rings = Json::array();
    Table table({"NAME", "KIND", "ENGINE", "CAPACITY", "USED", "FILL", "IN/S", "OUT/S", "STATE", "PROCESSES"});
    for (const std::string& name : ring_names()) {
        Inspection inspection = inspect_ring(name);
        if (inspection.verdict == Verdict::missing) continue;  // removed since the directory was read
        if (inspection.verdict != Verdict::ok) {
            const std::string state(verdict_name(inspection.verdict));
            rings.push_back(problem_json(name, state, inspection));
            table.add({name, "-", "-", "-", "-", "-", "-", "-", state, "-"});
            if (inspection.verdict != Verdict::initialising) fail(name, state + ": " + inspection.reason);
            continue;
        }
        const RingReport view = report_of(name, std::move(inspection.ring));
        std::optional<Rates> rates;  // cells, locks and semaphores move no messages: no rates
        if (const auto before = first.find(name); before != first.end() && !view.keeps_state)
            rates = rates_between(before->second, sample_of(view));
        rings.push_back(live_json(view, rates));
        table.add({name, std::string(view.kind), std::string(view.engine), capacity_text(view), used_text(view), percent(view.fill_percent),
                   rates ? human_count(rates->in_messages) : "-", rates ? human_count(rates->out_messages) : "-", std::string(view.state),
                   processes_text(view)});
    }
    if (options.json) {
        std::puts(Json{{"rings", std::move(rings)}}.dump(2).c_str());
    } else if (!rings.empty()) {
        std::fputs(table.render().c_str(), stdout);
    }
    return kExitSuccess;
}

}  // namespace shmring::cli
