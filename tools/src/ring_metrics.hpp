// The metrics of rings, as `shmring metrics` prints them and the exporter serves them. The names
// and labels are an interface, listed in tools/README.md: dashboards and alerts are written
// against them.
#pragma once

#include <string>
#include <vector>

#include "exposition.hpp"

namespace shmring::cli {

struct RingMetrics {
    Exposition exposition;
    // The rings asked for by name that could not be read at all (missing, unreadable), with why.
    std::vector<std::string> failures;
};

// Reads every ring afresh (`names` empty: every ring in /dev/shm) with the read-only inspector.
RingMetrics ring_metrics(const std::vector<std::string>& names);

}  // namespace shmring::cli
