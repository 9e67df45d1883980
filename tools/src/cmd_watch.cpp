// shmring watch NAME: the ring's traffic, refreshed every interval. On a terminal the view is
// redrawn in place; otherwise (a file, a pipe) each interval appends one plain line, or with --json
// one JSON object, so that the output can be logged. Ctrl-C ends it normally.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>
#include <unistd.h>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "live_view.hpp"
#include "ring_json.hpp"
#include "ring_rates.hpp"
#include "ring_report.hpp"
#include "ring_text.hpp"
#include "stop_signal.hpp"
#include "text_format.hpp"

namespace shmring::cli {

namespace {

constexpr int kBarWidth = 40;

std::string fill_bar(double percent_full) {
    const int filled = std::clamp(static_cast<int>(std::lround(percent_full * kBarWidth / 100.0)), 0, kBarWidth);
    return "[" + std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(kBarWidth - filled), '.') + "]";
}

std::string plain_line(const RingReport& v, const Rates& r) {
    return iso_time(now_realtime_ns()) + " " + v.name + " in " + rate_text(r.in_messages, r.in_bytes) + " out " +
           rate_text(r.out_messages, r.out_bytes) + " fill " + percent(v.fill_percent) + " endpoints " + std::to_string(v.alive) +
           " alive " + std::to_string(v.dead) + " dead state " + std::string(v.state) + "\n";
}

std::string json_line(const RingReport& v, const std::optional<Rates>& r) {
    Json line{{"time", iso_time(now_realtime_ns())}};
    line.update(live_json(v, r));
    return line.dump() + "\n";
}

// Cells, locks and semaphores: their state, with no rates (they move no messages).
std::string state_line(const RingReport& v) {
    return iso_time(now_realtime_ns()) + " " + v.name + " " + state_text(v) + " endpoints " + std::to_string(v.alive) + " alive " +
           std::to_string(v.dead) + " dead state " + std::string(v.state) + "\n";
}

std::string state_screen(const RingReport& v, const char* every) {
    return "shmring watch " + v.name + ": every " + every + " s, Ctrl-C to stop   " + iso_time(now_realtime_ns()) + "\n" +
           std::string(v.kind) + ", state " + std::string(v.state) + "\n\n" + state_text(v) + "\nwaiters: " + waiters_text(v) + "\n\n" +
           "endpoints: " + std::to_string(v.alive) + " alive, " + std::to_string(v.dead) + " dead\n" +
           (v.endpoints.empty() ? std::string() : endpoints_text(v, "  "));
}

std::string screen(const RingReport& v, const std::optional<Rates>& r, double interval) {
    char every[32];
    std::snprintf(every, sizeof every, "%.1f", interval);
    if (v.keeps_state) return state_screen(v, every);
    const auto rate_cell = [&](double value, bool bytes) {
        if (!r) return std::string("-");
        return bytes ? human_bytes(value) + "/s" : human_count(value);
    };
    // SPSC rings count bytes and messages; in MPMC rings a slot is a message; services count calls.
    const bool spsc = v.ring.geometry.engine == layout::Engine::spsc;
    const bool service = v.ring.geometry.engine == layout::Engine::service;
    const std::string held = service ? used_text(v) + " pending"
                                     : (spsc ? used_text(v) + ", " : std::string()) + std::to_string(v.used_messages) + " messages";
    Table rates({"", "MSG/S", "BYTES/S"});
    rates.add({"in", rate_cell(r ? r->in_messages : 0, false), rate_cell(r ? r->in_bytes : 0, true)});
    rates.add({"out", rate_cell(r ? r->out_messages : 0, false), rate_cell(r ? r->out_bytes : 0, true)});
    return "shmring watch " + v.name + ": every " + every + " s, Ctrl-C to stop   " + iso_time(now_realtime_ns()) + "\n" +
           std::string(v.kind) + ", " + std::string(v.engine) + " engine, capacity " + capacity_text(v) + ", state " + std::string(v.state) +
           "\n\n" + rates.render() + "\nfill " + fill_bar(v.fill_percent) + " " + percent(v.fill_percent) + "  " + held + "\n\n" +
           "endpoints: " + std::to_string(v.alive) + " alive, " + std::to_string(v.dead) + " dead\n" +
           (v.endpoints.empty() ? std::string() : endpoints_text(v, "  ")) + (service ? "\n" + calls_text(v, "  ") : std::string());
}

}  // namespace

int run_watch(const WatchOptions& options) {
    install_stop_handlers();
    LiveView view(options);
    std::optional<Sample> previous;
    for (std::uint64_t refresh = 0; !view.done(refresh);) {
        const auto ring = report_or_fail(options.name);
        if (!ring) return kExitFailure;
        const Sample sample = sample_of(*ring);
        std::optional<Rates> rates;
        if (previous) rates = rates_between(*previous, sample);
        // Lines and JSON lines are rates, which the first look cannot give: they start with the second.
        std::string text;
        if (view.terminal()) text = screen(*ring, rates, options.interval_seconds);
        // Cells, locks and semaphores have no rates: their lines start with the first look.
        else if (ring->keeps_state) text = options.json ? json_line(*ring, std::nullopt) : state_line(*ring);
        else if (options.json) text = rates ? json_line(*ring, rates) : "";
        else text = rates ? plain_line(*ring, *rates) : "";
        if (!text.empty()) ++refresh;
        // A view loses nothing when its reader goes (`watch feed | head -n 3`): that ends it quietly.
        if (!view.show(text)) return view.failed(options.name);
        previous = sample;
        if (!view.done(refresh)) sleep_unless_stopped(options.interval_seconds);
    }
    return kExitSuccess;
}

}  // namespace shmring::cli
