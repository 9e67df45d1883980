#include "exposition.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace shmring::cli {

namespace {

// Label values escape backslash, double quote and newline; HELP text backslash and newline, and
// in OpenMetrics double quote too.
std::string escaped(std::string_view text, bool quotes) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '"' && quotes) out += "\\\"";
        else out += c;
    }
    return out;
}

std::string_view suffix(MetricType type) {
    switch (type) {
        case MetricType::counter: return "_total";
        case MetricType::info: return "_info";
        case MetricType::gauge: break;
    }
    return "";
}

// Prometheus' text format has no info type: an info family is a gauge named with its suffix.
std::string_view type_word(MetricType type, ExpositionFormat format) {
    switch (type) {
        case MetricType::counter: return "counter";
        case MetricType::info: return format == ExpositionFormat::openmetrics ? "info" : "gauge";
        case MetricType::gauge: break;
    }
    return "gauge";
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    return text;
}

// Splits `text` at the first `separator`: returns what comes before, leaves the rest in `text`.
std::string_view next_part(std::string_view& text, char separator) {
    const std::size_t at = text.find(separator);
    const std::string_view part = text.substr(0, at);
    text = at == std::string_view::npos ? std::string_view() : text.substr(at + 1);
    return trimmed(part);
}

}  // namespace

ExpositionFormat format_for_accept(std::string_view accept) {
    double openmetrics = 0;
    double text = 0;
    while (!accept.empty()) {
        // "type/subtype;param=...;q=0.5": the type, and its weight (1 unless a q parameter says).
        std::string_view range = next_part(accept, ',');
        const std::string_view type = next_part(range, ';');
        double weight = 1;
        while (!range.empty()) {
            const std::string_view parameter = next_part(range, ';');
            if (parameter.starts_with("q=")) std::from_chars(parameter.data() + 2, parameter.data() + parameter.size(), weight);
        }
        if (type == "application/openmetrics-text") openmetrics = std::max(openmetrics, weight);
        if (type == "text/plain" || type == "text/*" || type == "*/*") text = std::max(text, weight);
    }
    return openmetrics > 0 && openmetrics >= text ? ExpositionFormat::openmetrics : ExpositionFormat::prometheus;
}

std::string_view content_type(ExpositionFormat format) {
    return format == ExpositionFormat::openmetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                                   : "text/plain; version=0.0.4; charset=utf-8";
}

void Exposition::declare(std::string name, MetricType type, std::string help) {
    families_.push_back(Family{std::move(name), type, std::move(help), {}});
}

void Exposition::add(std::string_view name, Labels labels, std::uint64_t value) {
    add_text(name, std::move(labels), std::to_string(value));
}

void Exposition::add(std::string_view name, Labels labels, double value) {
    if (std::isnan(value)) return add_text(name, std::move(labels), "NaN");
    if (std::isinf(value)) return add_text(name, std::move(labels), value > 0 ? "+Inf" : "-Inf");
    char text[32];
    const auto written = std::to_chars(text, text + sizeof text, value);  // the shortest text that reads back as `value`
    add_text(name, std::move(labels), std::string(text, written.ptr));
}

void Exposition::add_text(std::string_view name, Labels labels, std::string value) {
    const auto family = std::find_if(families_.rbegin(), families_.rend(), [&](const Family& f) { return f.name == name; });
    // A name never declared is a mistake in this program, not in its input.
    if (family == families_.rend()) throw std::logic_error("metric family not declared: " + std::string(name));
    family->samples.push_back(Sample{std::move(labels), std::move(value)});
}

std::string Exposition::render(ExpositionFormat format) const {
    const bool openmetrics = format == ExpositionFormat::openmetrics;
    std::string out;
    for (const Family& family : families_) {
        if (family.samples.empty()) continue;
        const std::string sample_name = family.name + std::string(suffix(family.type));
        // OpenMetrics names the family; Prometheus' text format names it as its samples are named.
        const std::string& described = openmetrics ? family.name : sample_name;
        out += "# HELP " + described + " " + escaped(family.help, openmetrics) + "\n";
        out += "# TYPE " + described + " " + std::string(type_word(family.type, format)) + "\n";
        for (const Sample& sample : family.samples) {
            out += sample_name;
            if (!sample.labels.empty()) {
                out += '{';
                for (std::size_t i = 0; i < sample.labels.size(); ++i) {
                    if (i != 0) out += ',';
                    out += std::string(sample.labels[i].first) + "=\"" + escaped(sample.labels[i].second, true) + '"';
                }
                out += '}';
            }
            out += ' ' + sample.value + '\n';
        }
    }
    if (openmetrics) out += "# EOF\n";
    return out;
}

}  // namespace shmring::cli
