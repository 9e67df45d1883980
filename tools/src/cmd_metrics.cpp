// shmring metrics [NAME...]: every ring's state in a text format Prometheus scrapes, read afresh
// and read-only (the inspector), like `stat`.
#include <cstdio>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "ring_metrics.hpp"

namespace shmring::cli {

int run_metrics(const MetricsOptions& options) {
    const RingMetrics metrics = ring_metrics(options.names);
    const auto format = options.openmetrics ? ExpositionFormat::openmetrics : ExpositionFormat::prometheus;
    std::fputs(metrics.exposition.render(format).c_str(), stdout);
    for (const std::string& failure : metrics.failures) std::fprintf(stderr, "shmring: %s\n", failure.c_str());
    return metrics.failures.empty() ? kExitSuccess : kExitFailure;
}

}  // namespace shmring::cli
