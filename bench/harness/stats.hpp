// Order statistics of the samples of one run, and across the repetitions of a job.
#pragma once

#include <vector>

namespace shmring::bench {

struct Percentiles {
    double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};

// Nearest-rank percentiles of `samples` (reordered in place).
Percentiles percentiles(std::vector<double>& samples);

struct Spread {
    double median = 0, min = 0, max = 0;
};

Spread spread(std::vector<double> values);

}  // namespace shmring::bench
