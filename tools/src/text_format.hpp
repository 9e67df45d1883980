// Human-readable formatting: sizes, rates, times, modes and aligned tables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shmring::cli {

// 512 -> "512 B", 1536 -> "1.5 KiB", 1048576 -> "1 MiB".
std::string human_bytes(double bytes);
// 1234.5 -> "1235", 2.5e6 -> "2.50 M": per-second figures for the live view.
std::string human_count(double count);
// 0.0123 -> "0.012 s", 75.25 -> "75.2 s": how long ago something happened.
std::string human_seconds(double seconds);
// CLOCK_REALTIME nanoseconds as UTC ISO 8601 with milliseconds; "-" for 0 (never written).
std::string iso_time(std::uint64_t realtime_ns);
// 0600 -> "0600".
std::string octal_mode(unsigned mode);
// 12.3456 -> "12.3%".
std::string percent(double value);

// Rows of cells printed in columns as wide as their widest cell.
class Table {
public:
    explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    // Each line starts with `indent`; the last column is not padded.
    std::string render(const std::string& indent = "") const;

private:
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace shmring::cli
