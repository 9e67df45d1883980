// Parsing of the values a user types: sizes with K/M/G suffixes and octal permission modes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace shmring::cli {

// "4096", "64K", "1M", "2G" (binary multiples, upper or lower case). nullopt when it is not a
// size or does not fit in 64 bits.
std::optional<std::uint64_t> parse_size(std::string_view text);

// "0600", "644": octal permission bits, at most 0777.
std::optional<unsigned> parse_mode(std::string_view text);

}  // namespace shmring::cli
