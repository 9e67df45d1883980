// Traffic rates of rings, from two looks at their counters some time apart: what `ls`, `watch` and
// `top` show per second.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ring_json.hpp"
#include "ring_report.hpp"

namespace shmring::cli {

using SampleClock = std::chrono::steady_clock;

struct Sample {
    SampleClock::time_point when;
    CounterValues producers;
    CounterValues consumers;
};

struct Rates {
    double in_messages, in_bytes, out_messages, out_bytes;  // per second
};

Sample sample_of(const RingReport& view);
Rates rates_between(const Sample& before, const Sample& after);

// "1.2 k msg/s 80 KiB/s".
std::string rate_text(double messages, double bytes);
// {"in":{"messages_per_second":...,"bytes_per_second":...},"out":{...}}; null without rates.
Json rates_json(const std::optional<Rates>& rates);

// The processes attached to a ring as `ss -p` shows a socket's: "4711/writer,4712/reader", then
// "+2 dead" when dead endpoints remain; "-" for none.
std::string processes_text(const RingReport& view);
// [{"pid":..,"command":..,"role":..,"alive":..}] for every endpoint.
Json processes_json(const RingReport& view);

// A ring as `ls --json`, `watch --json` and `top --json` show it: its summary, rates (null
// without) and processes.
Json live_json(const RingReport& view, const std::optional<Rates>& rates);

// A look at every ring that inspects cleanly, by name: the first of the two looks rates need.
std::map<std::string, Sample> ring_samples();

}  // namespace shmring::cli
