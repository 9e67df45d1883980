// shmring top: every ring live, the busiest first (messages per second in and out), refreshed every
// interval as `top` refreshes processes. On a terminal the table is redrawn in place; otherwise each
// refresh appends a table after a time line, or with --json one JSON object.
#include <algorithm>
#include <cstdio>
#include <map>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "inspector.hpp"
#include "live_view.hpp"
#include "ring_directory.hpp"
#include "ring_json.hpp"
#include "ring_rates.hpp"
#include "ring_report.hpp"
#include "stop_signal.hpp"
#include "text_format.hpp"

namespace shmring::cli {

namespace {

struct Row {
    RingReport view;
    Rates rates;
};

double traffic(const Rates& r) { return r.in_messages + r.out_messages; }

std::vector<Row> busiest_first(std::map<std::string, Sample>& previous) {
    std::vector<Row> rows;
    std::map<std::string, Sample> now;
    for (const std::string& name : ring_names()) {
        Inspection inspection = inspect_ring(name);
        if (inspection.verdict != Verdict::ok) continue;  // `ls` says why
        RingReport view = report_of(name, std::move(inspection.ring));
        const Sample sample = sample_of(view);
        const auto before = previous.find(name);
        rows.push_back(Row{std::move(view), before != previous.end() ? rates_between(before->second, sample) : Rates{}});
        now.emplace(name, sample);
    }
    previous = std::move(now);
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return traffic(a.rates) > traffic(b.rates); });
    return rows;
}

std::string table_text(const std::vector<Row>& rows, const WatchOptions& options) {
    char header[128];
    std::snprintf(header, sizeof header, "shmring top: %zu rings, every %.1f s, Ctrl-C to stop   ", rows.size(), options.interval_seconds);
    Table table({"NAME", "KIND", "IN MSG/S", "IN B/S", "OUT MSG/S", "OUT B/S", "FILL", "STATE", "PROCESSES"});
    for (const Row& row : rows) {
        const Rates& r = row.rates;
        // Cells, locks and semaphores move no messages: no rates.
        const bool rated = !row.view.keeps_state;
        table.add({row.view.name, std::string(row.view.kind), rated ? human_count(r.in_messages) : "-",
                   rated ? human_bytes(r.in_bytes) + "/s" : "-", rated ? human_count(r.out_messages) : "-",
                   rated ? human_bytes(r.out_bytes) + "/s" : "-", percent(row.view.fill_percent), std::string(row.view.state),
                   processes_text(row.view)});
    }
    return header + iso_time(now_realtime_ns()) + "\n\n" + table.render();
}

std::string json_text(const std::vector<Row>& rows) {
    Json rings = Json::array();
    for (const Row& row : rows)
        rings.push_back(live_json(row.view, row.view.keeps_state ? std::nullopt : std::optional<Rates>(row.rates)));
    return Json{{"time", iso_time(now_realtime_ns())}, {"rings", std::move(rings)}}.dump() + "\n";
}

}  // namespace

int run_top(const WatchOptions& options) {
    install_stop_handlers();
    LiveView view(options);
    std::map<std::string, Sample> previous = ring_samples();  // the first look: rates need two
    for (std::uint64_t refresh = 0; !view.done(refresh);) {
        sleep_unless_stopped(options.interval_seconds);
        if (stop_requested()) break;
        const std::vector<Row> rows = busiest_first(previous);
        const std::string text = options.json ? json_text(rows) : table_text(rows, options) + (view.terminal() ? "" : "\n");
        ++refresh;
        if (!view.show(text)) return view.failed("top");
    }
    return kExitSuccess;
}

}  // namespace shmring::cli
