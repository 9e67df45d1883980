// Metrics in the text formats monitoring systems scrape: Prometheus' text format 0.0.4 and
// OpenMetrics 1.0. One family is declared once, with its base name and type, and rendered in
// either format's spelling (a counter family "x" has samples "x_total"; an info family "x" has
// samples "x_info"), so `metrics`, `metrics --openmetrics` and the exporter say the same thing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shmring::cli {

enum class ExpositionFormat { prometheus, openmetrics };

// The HTTP Content-Type of each format.
std::string_view content_type(ExpositionFormat format);

// The format an HTTP Accept header prefers: OpenMetrics when it ranks application/openmetrics-text
// above 0 and not below text/plain, else Prometheus' text format.
ExpositionFormat format_for_accept(std::string_view accept);

enum class MetricType { gauge, counter, info };

using Labels = std::vector<std::pair<std::string_view, std::string>>;

class Exposition {
public:
    // Declares a family; samples are added to the family declared last under that name. Families
    // are rendered in the order of their declaration, and one without samples is left out.
    void declare(std::string name, MetricType type, std::string help);
    void add(std::string_view name, Labels labels, std::uint64_t value);
    void add(std::string_view name, Labels labels, double value);

    std::string render(ExpositionFormat format) const;

private:
    struct Sample {
        Labels labels;
        std::string value;
    };
    struct Family {
        std::string name;
        MetricType type;
        std::string help;
        std::vector<Sample> samples;
    };
    void add_text(std::string_view name, Labels labels, std::string value);

    std::vector<Family> families_;
};

}  // namespace shmring::cli
