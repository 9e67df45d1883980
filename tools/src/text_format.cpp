#include "text_format.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>

namespace shmring::cli {

namespace {

std::string fixed(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

}  // namespace

std::string human_bytes(double bytes) {
    static constexpr std::array<const char*, 5> kUnits{"B", "KiB", "MiB", "GiB", "TiB"};
    std::size_t unit = 0;
    while (bytes >= 1024.0 && unit + 1 < kUnits.size()) {
        bytes /= 1024.0;
        ++unit;
    }
    // Whole numbers stay whole ("64 KiB"); others keep one decimal ("1.5 MiB").
    const bool whole = bytes == static_cast<double>(static_cast<std::uint64_t>(bytes));
    return fixed(bytes, unit == 0 || whole ? 0 : 1) + " " + kUnits[unit];
}

std::string human_count(double count) {
    if (count < 10'000.0) return fixed(count, 0);
    if (count < 10'000'000.0) return fixed(count / 1e3, 1) + " k";
    return fixed(count / 1e6, 2) + " M";
}

std::string human_seconds(double seconds) { return fixed(seconds, seconds < 10.0 ? 3 : 1) + " s"; }

std::string iso_time(std::uint64_t realtime_ns) {
    if (realtime_ns == 0) return "-";
    const auto seconds = static_cast<std::time_t>(realtime_ns / 1'000'000'000U);
    std::tm utc{};
    if (::gmtime_r(&seconds, &utc) == nullptr) return "-";
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
    char text[48];
    std::snprintf(text, sizeof text, "%s.%03uZ", date, static_cast<unsigned>(realtime_ns / 1'000'000U % 1000U));
    return text;
}

std::string octal_mode(unsigned mode) {
    char text[16];
    std::snprintf(text, sizeof text, "0%03o", mode);
    return text;
}

std::string percent(double value) { return fixed(value, 1) + "%"; }

std::string Table::render(const std::string& indent) const {
    std::vector<std::size_t> widths;
    for (const auto& row : rows_) {
        if (widths.size() < row.size()) widths.resize(row.size(), 0);
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    std::string out;
    for (const auto& row : rows_) {
        std::string line = indent;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
        }
        out += line + "\n";
    }
    return out;
}

}  // namespace shmring::cli
