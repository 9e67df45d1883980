#include "harness/stats.hpp"

#include <algorithm>
#include <cmath>

namespace shmring::bench {

namespace {

// The smallest sample that at least fraction `q` of the sorted samples do not exceed.
double rank(const std::vector<double>& sorted, double q) {
    const auto n = static_cast<double>(sorted.size());
    const auto index = static_cast<std::size_t>(std::max(1.0, std::ceil(q * n))) - 1;
    return sorted[std::min(index, sorted.size() - 1)];
}

}  // namespace

Percentiles percentiles(std::vector<double>& samples) {
    if (samples.empty()) return {};
    std::sort(samples.begin(), samples.end());
    return {rank(samples, 0.5), rank(samples, 0.9), rank(samples, 0.99), rank(samples, 0.999), samples.back()};
}

Spread spread(std::vector<double> values) {
    if (values.empty()) return {};
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    const double median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    return {median, values.front(), values.back()};
}

}  // namespace shmring::bench
