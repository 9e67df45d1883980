// shmring watch NAME: the ring's traffic, refreshed every interval. On a terminal the view is
// redrawn in place; otherwise (a file, a pipe) each interval appends one plain line, so that the
// output can be logged. Ctrl-C ends it normally.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>
#include <unistd.h>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "ring_text.hpp"
#include "ring_report.hpp"
#include "stop_signal.hpp"
#include "text_format.hpp"

namespace shmring::cli {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kBarWidth = 40;

struct Sample {
    Clock::time_point when;
    CounterValues producers;
    CounterValues consumers;
};

struct Rates {
    double in_messages, in_bytes, out_messages, out_bytes;  // per second
};

Rates rates_between(const Sample& before, const Sample& after) {
    const double seconds = std::chrono::duration<double>(after.when - before.when).count();
    // A ring removed and created again under the same name starts its counters anew: no negative rates.
    const auto per_second = [&](std::uint64_t from, std::uint64_t to) {
        return to > from && seconds > 0 ? static_cast<double>(to - from) / seconds : 0.0;
    };
    return {per_second(before.producers.messages, after.producers.messages), per_second(before.producers.bytes, after.producers.bytes),
            per_second(before.consumers.messages, after.consumers.messages), per_second(before.consumers.bytes, after.consumers.bytes)};
}

std::uint64_t now_realtime_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000U + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::string rate_text(double messages, double bytes) {
    return human_count(messages) + " msg/s " + human_bytes(bytes) + "/s";
}

std::string fill_bar(double percent_full) {
    const int filled = std::clamp(static_cast<int>(std::lround(percent_full * kBarWidth / 100.0)), 0, kBarWidth);
    return "[" + std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(kBarWidth - filled), '.') + "]";
}

// False once stdout is gone (the reader of a pipe closed it).
bool print_line(const RingReport& v, const Rates& r) {
    const std::string line = iso_time(now_realtime_ns()) + " " + v.name + " in " + rate_text(r.in_messages, r.in_bytes) + " out " +
                             rate_text(r.out_messages, r.out_bytes) + " fill " + percent(v.fill_percent) + " endpoints " +
                             std::to_string(v.alive) + " alive " + std::to_string(v.dead) + " dead state " + std::string(v.state) + "\n";
    std::fputs(line.c_str(), stdout);
    return std::fflush(stdout) == 0;  // one line per interval, even into a pipe
}

bool draw_screen(const RingReport& v, const std::optional<Rates>& r, double interval) {
    char every[32];
    std::snprintf(every, sizeof every, "%.1f", interval);
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
    std::string screen = "shmring watch " + v.name + ": every " + every + " s, Ctrl-C to stop   " + iso_time(now_realtime_ns()) + "\n" +
                         std::string(v.kind) + ", " + std::string(v.engine) + " engine, capacity " + capacity_text(v) + ", state " +
                         std::string(v.state) + "\n\n" + rates.render() + "\nfill " + fill_bar(v.fill_percent) + " " +
                         percent(v.fill_percent) + "  " + held + "\n\n" +
                         "endpoints: " + std::to_string(v.alive) + " alive, " + std::to_string(v.dead) + " dead\n" +
                         (v.endpoints.empty() ? std::string() : endpoints_text(v, "  ")) +
                         (service ? "\n" + calls_text(v, "  ") : std::string());
    // Home, then each line cleared to its end and the rest of the screen below: no flicker.
    std::string frame = "\x1b[H";
    for (std::size_t start = 0; start < screen.size();) {
        const std::size_t end = screen.find('\n', start);
        frame += screen.substr(start, end - start) + "\x1b[K\n";
        start = end + 1;
    }
    frame += "\x1b[J";
    std::fputs(frame.c_str(), stdout);
    return std::fflush(stdout) == 0;
}

// Sleeps for `seconds` unless a stop is requested first (the signal interrupts nanosleep).
void sleep_unless_stopped(double seconds) {
    timespec left{static_cast<std::time_t>(seconds), static_cast<long>(std::fmod(seconds, 1.0) * 1e9)};
    while (!stop_requested() && ::nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
}

}  // namespace

int run_watch(const WatchOptions& options) {
    install_stop_handlers();
    const bool terminal = ::isatty(STDOUT_FILENO) == 1;
    if (terminal) std::fputs("\x1b[2J", stdout);
    std::optional<Sample> previous;
    while (!stop_requested()) {
        const auto view = report_or_fail(options.name);
        if (!view) return kExitFailure;
        const Sample sample{Clock::now(), view->producers, view->consumers};
        std::optional<Rates> rates;
        if (previous) rates = rates_between(*previous, sample);
        // A view loses nothing when its reader goes (`watch feed | head -n 3`): end quietly.
        const bool shown = terminal ? draw_screen(*view, rates, options.interval_seconds) : !rates || print_line(*view, *rates);
        if (!shown) return kExitSuccess;
        previous = sample;
        sleep_unless_stopped(options.interval_seconds);
    }
    return kExitSuccess;
}

}  // namespace shmring::cli
